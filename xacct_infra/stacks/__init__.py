"""One troposphere template class per side of the cross-account recipe: ``account_a.AccountATemplate``
and ``account_b.ConsumerTemplate``; ``inputs`` holds what shapes them (and imports no troposphere)."""
