try:
    from xacct_infra.cli import main
except KeyboardInterrupt:  # Ctrl-C while starting up (a `local demo` step told at once): one line, not a traceback
    import sys

    sys.stderr.write("xacct-infra: interrupted\n")
    raise SystemExit(130) from None

main()
