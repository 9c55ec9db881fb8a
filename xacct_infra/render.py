"""Deterministic serialisation of both templates, and atomic writes.

The bytes produced here are what ``xacct-infra templates`` writes *and* what ``deploy``
sends, so a deployed stack can never come from a stale file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xacct_infra import quotas, render_cache
from xacct_infra.config import Config, Consumer, Side
from xacct_infra.errors import UsageError
from xacct_infra.files import write_all

log = logging.getLogger(__name__)

Format = Literal["yaml", "json"]


@dataclass(frozen=True)
class Rendered:
    side: Side
    filename: str
    body: str
    consumers: tuple[str, ...] = ()  # for Account B templates: the consumers it is for


def template_body(config: Config, side: Side, fmt: Format = "yaml", consumer: Consumer | None = None) -> str:
    """One template's body, from the render cache when this exact config and code rendered it before."""
    who = "" if side == "a" else (consumer or config.consumers[0]).name
    entry = render_cache.key(config, side, who, fmt)
    return render_cache.cached(entry, lambda: _build(config, side, fmt, consumer))


def _build(config: Config, side: Side, fmt: Format, consumer: Consumer | None) -> str:
    # troposphere and awacs are loaded only when something is rendered
    from xacct_infra.stacks.account_a import AccountATemplate
    from xacct_infra.stacks.account_b import ConsumerTemplate

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
    from xacct_infra.stacks.inputs import digest

    rendered = [Rendered("a", f"account-a.{fmt}", template_body(config, "a", fmt))]
    check_body(rendered[0].body, rendered[0].filename, config.account_a.artifact_bucket, config.source)
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
        check_body(body, name, consumers[0].artifact_bucket, config.source)
    return rendered


def check_body(body: str, filename: str, artifact_bucket: str | None, source: str) -> None:
    """`templates`: refuse a template over 1 MB; warn when deploy will have to upload it to S3."""
    size = quotas.check_template(body, f"{source}: {filename}", bucket=artifact_bucket, bucket_key="artifact_bucket", need_bucket=False)
    note = size.upload_note(filename, artifact_bucket, "artifact_bucket")
    if note:
        log.warning("%s", note)


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
        except (OSError, UnicodeDecodeError):  # missing, a directory, unreadable, not text: it differs
            current = None
        if current != item.body:
            differing.append(str(path))
    return differing


def write(out_dir: Path, rendered: list[Rendered]) -> list[str]:
    """Write every file that differs, all or nothing; files whose content is unchanged are not touched.

    Everything is rendered before the first write, so a config error writes nothing; the
    output directory is checked before anything is created (:func:`check_out_dir`); and the
    files are staged and renamed together (:func:`files.write_all`), so a failure part way
    (no space, read-only) leaves the directory as it was, never a half-written set.
    """
    check_out_dir(out_dir, rendered)
    changed = stale(out_dir, rendered)
    todo = {r.filename: r.body for r in rendered if str(out_dir / r.filename) in changed}
    try:
        if todo or not out_dir.is_dir():
            write_all(out_dir, todo)
        gone = orphans(out_dir, rendered)  # removed once the new files are in place
        for path in gone:
            path.unlink()
    except OSError as exc:
        raise OutputError(f"--out {_shown(out_dir)}: cannot write the templates: {exc.strerror or exc}") from None
    return [str(out_dir / name) for name in todo] + [str(p) for p in gone]


class OutputError(UsageError):
    """The output directory cannot hold the templates (exit 2, nothing written)."""


def _shown(path: Path) -> str:
    from xacct_infra.inputs import quote

    text = str(path)
    return text if text.isprintable() and len(text) <= 200 else quote(text, 200)


def check_out_dir(out_dir: Path, rendered: list[Rendered]) -> None:
    """Refuse, before anything is written, an output that cannot be a directory of templates:
    ``--out FILE``, ``--out FILE/sub``, a template name taken by a directory."""
    probe = out_dir
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        where = "is a file" if probe == out_dir else f"is inside {_shown(probe)}, which is a file"
        raise OutputError(f"--out {_shown(out_dir)} {where}; allowed: a directory (created if missing)")
    if probe.is_symlink() and not probe.exists():
        raise OutputError(f"--out {_shown(out_dir)}: {_shown(probe)} is a dangling symbolic link; allowed: a directory")
    for item in rendered:
        if (out_dir / item.filename).is_dir():
            raise OutputError(f"--out {_shown(out_dir)}: {item.filename} is a directory; remove it or choose another --out")
