"""Deterministic serialisation of both templates, and atomic writes.

The bytes produced here are what ``xacct-infra templates`` writes *and* what ``deploy``
sends, so a deployed stack can never come from a stale file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xacct_infra import limits
from xacct_infra.config import Config, Consumer, Side
from xacct_infra.files import atomic_write
from xacct_infra.stacks import AccountATemplate, ConsumerTemplate
from xacct_infra.stacks.inputs import digest

Format = Literal["yaml", "json"]


@dataclass(frozen=True)
class Rendered:
    side: Side
    filename: str
    body: str
    consumers: tuple[str, ...] = ()  # for Account B templates: the consumers it is for


def template_body(config: Config, side: Side, fmt: Format = "yaml", consumer: Consumer | None = None) -> str:
    builder = AccountATemplate(config) if side == "a" else ConsumerTemplate(config, consumer)
    template = builder.build()
    if fmt == "json":
        return str(template.to_json(indent=2, sort_keys=True)) + "\n"
    body = str(template.to_yaml(sort_keys=True))
    return body if body.endswith("\n") else body + "\n"


def render(config: Config, fmt: Format = "yaml") -> list[Rendered]:
    """Every template, in memory, in deployment order (A first). Raises TemplateLimitError
    when a template is larger than CloudFormation accepts (and warns above the inline limit).

    Account B: one file when every consumer gets the same template (``account-b.yaml``,
    always the case with a single consumer), else ``account-b-<consumer>.yaml`` per distinct
    template, named after the first consumer that uses it.
    """
    rendered = [Rendered("a", f"account-a.{fmt}", template_body(config, "a", fmt))]
    limits.check_body(rendered[0].body, rendered[0].filename, config.account_a.artifact_bucket, config.source)
    # Consumers whose template inputs are equal share a template: render each distinct one once.
    by_inputs: dict[str, list[Consumer]] = {}
    for b in config.consumers:
        by_inputs.setdefault(digest(config, "b", b), []).append(b)
    by_body: dict[str, list[Consumer]] = {}
    for consumers in by_inputs.values():
        by_body.setdefault(template_body(config, "b", fmt, consumers[0]), []).extend(consumers)
    for body, consumers in by_body.items():
        name = f"account-b.{fmt}" if len(by_body) == 1 else f"account-b-{consumers[0].name}.{fmt}"
        rendered.append(Rendered("b", name, body, tuple(c.name for c in consumers)))
        limits.check_body(body, name, consumers[0].artifact_bucket, config.source)
    return rendered


def orphans(out_dir: Path, rendered: list[Rendered]) -> list[Path]:
    """Account B templates in ``out_dir`` that the config no longer produces (a removed
    consumer, or several consumers where there was one): ours by name, so safe to remove."""
    if not rendered or not out_dir.is_dir():
        return []
    ext = rendered[0].filename.rsplit(".", 1)[1]
    wanted = {item.filename for item in rendered}
    return sorted(p for p in out_dir.glob(f"account-b*.{ext}") if p.name not in wanted and p.is_file())


def stale(out_dir: Path, rendered: list[Rendered]) -> list[str]:
    """Names of files in ``out_dir`` that are missing, differ from ``rendered`` or are orphans."""
    differing = [str(p) for p in orphans(out_dir, rendered)]
    for item in rendered:
        path = out_dir / item.filename
        try:
            current = path.read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError):
            current = None
        if current != item.body:
            differing.append(str(path))
    return differing


def write(out_dir: Path, rendered: list[Rendered]) -> list[str]:
    """Write every file atomically; files whose content is unchanged are not touched.

    Everything is rendered before the first write, so a config error writes nothing. Each
    file is written to a temporary sibling, flushed to disk, then renamed over the target:
    a crash leaves either the old file or the new one, never a half-written file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in stale(out_dir, rendered):
        item = next((r for r in rendered if str(out_dir / r.filename) == name), None)
        if item is None:  # an orphan: removed after the new files are in place (below)
            continue
        atomic_write(out_dir / item.filename, item.body)
        written.append(name)
    for path in orphans(out_dir, rendered):
        path.unlink()
        written.append(str(path))
    return written


