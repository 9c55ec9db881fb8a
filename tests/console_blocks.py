"""The README's ```console blocks as data, and how their output is compared.

Convention (documented in README "Development"):
- every ```console block is run by tests/test_readme.py against the emulator, prepared
  afresh for each block the way `xacct-infra local serve` prepares it, with the environment it
  prints (so each block stands on its own); blocks share one empty working directory;
- `$ ` starts a command; a line ending in `\\` continues it; `  # ...` (two spaces first) is a
  comment; every command must exit 0;
- the lines after a command are output that must appear, in that order, in what it prints
  (stdout and stderr); other lines may come between them. Runs of spaces and tabs compare
  equal, `...` inside a line matches any text, and a line that is only `...` is a reminder
  that lines were left out;
- `<!-- console: offline -->` right before a block runs it with no emulator environment
  (no XACCT_CONFIG, no AWS endpoint or profiles), in a directory of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^(?P<indent>\s*)```console\s*$")
_END = re.compile(r"^\s*```\s*$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*console:\s*(?P<words>[\w\s-]+?)\s*-->\s*$")
_COMMENT = re.compile(r"\s{2,}#\s.*$")


@dataclass
class Command:
    line: int  # 1-based README line of its `$ `
    text: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    line: int
    heading: str
    directives: frozenset[str]
    commands: list[Command]

    @property
    def name(self) -> str:
        return f"README.md:{self.line} ({self.heading})"


def parse(markdown: str) -> list[Block]:
    lines = markdown.splitlines()
    blocks: list[Block] = []
    heading = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        fence = _FENCE.match(line)
        if not fence:
            i += 1
            continue
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        directive = _DIRECTIVE.match(previous)
        start, indent, commands = i + 1, len(fence.group("indent")), []
        i += 1
        while i < len(lines) and not _END.match(lines[i]):
            text = lines[i][indent:] if lines[i][:indent].isspace() else lines[i].lstrip()
            if text.startswith("$ "):
                command = Command(i + 1, _COMMENT.sub("", text[2:]).rstrip())
                while command.text.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    command.text = command.text[:-1] + " " + _COMMENT.sub("", lines[i].strip())
                commands.append(command)
            elif commands and text.strip():
                commands[-1].expected.append(text)
            elif text.strip():
                raise ValueError(f"README.md:{i + 1}: output before any `$ ` command in a console block")
            i += 1
        words = frozenset(directive.group("words").split()) if directive else frozenset()
        blocks.append(Block(start, heading, words, commands))
        i += 1
    return blocks


def _normal(line: str) -> str:
    return " ".join(line.split())


def _pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in _normal(expected).split("...")))


def unmatched(expected: list[str], output: str) -> str | None:
    """The first expected line that does not appear (in order) in ``output``, or None."""
    actual = [_normal(line) for line in output.splitlines()]
    position = 0
    for line in expected:
        if _normal(line) == "...":
            continue
        pattern = _pattern(line)
        while position < len(actual) and not pattern.fullmatch(actual[position]):
            position += 1
        if position == len(actual):
            return line
        position += 1
    return None
