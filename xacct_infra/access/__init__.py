"""Offline proof of what the generated templates allow.

``evaluator`` decides single requests from policy documents, the way AWS documents it (with
``matching`` for the wildcard matching and condition operators);
``templates`` reads policies out of rendered templates; ``matrix`` sweeps every principal,
action and resource that matters (``grants``: what is expected and what is probed) and compares
the result with what the config grants.
"""
