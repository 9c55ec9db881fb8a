"""`deploy --account-b --stackset`: Account B's template across many accounts."""

from __future__ import annotations

import json
import re

import click

from xacct_infra import aws, render
from xacct_infra import config as config_mod
from xacct_infra.cli.progress import reporter_for
from xacct_infra.deploy.deployer import OWNER_TAG
from xacct_infra.deploy.stackset import StackSetDeployer, StackSetFailed, StackSetResult, StackSetSpec
from xacct_infra.errors import UsageError

_ACCOUNT = config_mod.validate.ACCOUNT_ID
_OU = re.compile(r"(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})")
_REGION = config_mod.validate.REGION


def _split(value: str | None, pattern: re.Pattern[str], flag: str) -> tuple[str, ...]:
    items = tuple(v.strip() for v in (value or "").split(",") if v.strip())
    for item in items:
        if not pattern.fullmatch(item):
            raise UsageError(f"{flag}: {item!r} is not valid")
    return items


def deploy_stackset(clients: aws.Clients, cfg: config_mod.Config, *, consumer: str | None, profile: str | None, region: str | None, endpoint_url: str | None,
                    accounts: str | None, org_units: tuple[str, ...], regions: str | None, max_concurrent: int,
                    failure_tolerance: int, timeout: float | None, output: str) -> None:
    b = cfg.view(consumer).consumer  # several consumers: --consumer picks whose template
    for ou in org_units:
        if not _OU.fullmatch(ou):
            raise UsageError(f"--org-unit: {ou!r} is not an organizational unit id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)")
    spec = StackSetSpec(
        name=b.stack_name, template_body=render.template_body(cfg, "b", consumer=b),
        regions=_split(regions, _REGION, "--regions") or (b.region,),
        accounts=_split(accounts, _ACCOUNT, "--accounts"), org_units=org_units,
        tags=((OWNER_TAG, f"account_b-stackset:{b.stack_name}"),),
        max_concurrent_percentage=max_concurrent, failure_tolerance_percentage=failure_tolerance)
    target = aws.Target(region=region or b.region, profile=profile or b.profile, endpoint_url=endpoint_url)
    with aws.translate_errors(target):
        admin, arn = clients.caller(target)
        reporter = reporter_for()
        reporter.info(f"StackSet administrator: account {admin} ({arn})")
        deployer = StackSetDeployer(clients.client(target, "cloudformation"), reporter=reporter)
        try:
            result = deployer.deploy(spec, timeout=timeout)
        except StackSetFailed as exc:
            _print(exc.result, output)
            raise
    _print(result, output)


def _print(result: StackSetResult, output: str) -> None:
    if output == "json":
        click.echo(json.dumps({"stackset": result.name, "outcome": result.outcome, "operations": result.operations,
                               "instances": [i.__dict__ for i in result.instances],
                               "not_in_config": [list(k) for k in result.unmanaged]}, indent=2, sort_keys=True))
        return
    click.echo(f"{result.name}\t{result.outcome}")
    for inst in result.instances:
        click.echo(f"  {inst.account}\t{inst.region}\t{inst.status}{chr(9) + inst.reason if inst.reason else ''}")
    for account, region in result.unmanaged:
        click.echo(f"  {account}\t{region}\tnot in --accounts (left alone; remove with aws cloudformation delete-stack-instances)")
