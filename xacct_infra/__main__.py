from xacct_infra.cli import main

main()
