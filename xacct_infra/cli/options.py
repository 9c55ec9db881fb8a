"""Options shared by several commands."""

from __future__ import annotations

import click

from xacct_infra.config import DEFAULT_CONFIG

config_option = click.option(
    "--config", "config_path", default=DEFAULT_CONFIG, show_default=True, metavar="PATH",
    envvar="XACCT_CONFIG", help="Config file (env: XACCT_CONFIG).")
