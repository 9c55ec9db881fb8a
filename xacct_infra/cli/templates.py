from __future__ import annotations

from pathlib import Path

import click

from xacct_infra import config as config_mod
from xacct_infra import render
from xacct_infra.cli.options import config_option
from xacct_infra.errors import ExitCode


@click.command()
@config_option
@click.option("--out", "out_dir", default="templates", show_default=True, metavar="DIR",
              type=click.Path(path_type=Path), help="Directory for account-a/account-b templates.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if DIR differs from what would be generated.")
@click.pass_context
def templates(ctx: click.Context, *, config_path: str, out_dir: Path, fmt: render.Format, check: bool) -> None:
    """Generate the Account A and Account B CloudFormation templates from the config."""
    cfg = config_mod.load(config_path)
    rendered = render.render(cfg, fmt)
    render.check_out_dir(out_dir, rendered)
    if check:
        differing = render.stale(out_dir, rendered)
        for name in differing:
            click.echo(f"{name}: differs from what {config_path} generates; run: xacct-infra templates --config {config_path} --out {out_dir}", err=True)
        if differing:
            ctx.exit(int(ExitCode.FAILED))
        click.echo(f"{out_dir}: up to date with {config_path}", err=True)
        return
    removed = [str(p) for p in render.orphans(out_dir, rendered)]
    written = render.write(out_dir, rendered)
    for item in rendered:
        path = out_dir / item.filename
        state = "written" if str(path) in written else "unchanged"
        click.echo(f"{path}\t{state}")
    for path_name in removed:
        click.echo(f"{path_name}\tremoved (no consumer uses it any more)")
