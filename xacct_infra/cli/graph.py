"""`xacct-infra graph`: the access as a Mermaid or DOT diagram, drawn from check's model."""

from __future__ import annotations

import click

from xacct_infra import config as config_mod
from xacct_infra.cli.options import config_option, output_option


@click.command()
@config_option
@output_option("mermaid", "dot", default="mermaid", help="mermaid (renders in pull requests and READMEs) or dot (graphviz).")
def graph(*, config_path: str, output: str) -> None:
    """Draw accounts, roles, trust arrows (conditions in short), consumers, and the tables and
    keys each role reaches with which access, from the templates the config renders."""
    from xacct_infra import graph as graph_mod

    click.echo(graph_mod.render(config_mod.load(config_path), "dot" if output == "dot" else "mermaid"), nl=False)
