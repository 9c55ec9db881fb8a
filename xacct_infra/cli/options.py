"""Options shared by several commands."""

from __future__ import annotations

import click

from xacct_infra.config import DEFAULT_CONFIG

config_option = click.option(
    "--config", "config_path", default=DEFAULT_CONFIG, show_default=True, metavar="PATH",
    envvar="XACCT_CONFIG", help="Config file (env: XACCT_CONFIG).")

consumer_option = click.option(
    "--consumer", metavar="NAME", envvar="XACCT_CONSUMER",
    help="Which [[account_b]] consumer (name or account id); needed when the config has several (env: XACCT_CONSUMER).")
