"""docs/admin-guide.md as a script: its blocks in order, and what each block's notes ask of its answer.

The guide's conventions (its section "How to follow this guide" explains them to the reader):

- a ```sh block runs in one shell session that carries its exported variables to the next block;
- a ```graphql block is sent to /graphql with the headers of the last ```json block that holds `Authorization`;
  a ```json block right after a graphql block is its variables; `$NAME` in a json block is a variable kept earlier;
- lines right after a block, in a quote, are its notes: "Keep `NAME` = `jq`" keeps a value of the answer's `data`,
  "Check ... `jq`" must be true of it, "Expect `CODE`" is the userErrors code the block shows (otherwise every
  userErrors list must be empty), "Not run by the test suite" marks a block the suite cannot run (the test lists them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
HEADING = re.compile(r"^#{1,4} (.*)$")
NOTE = re.compile(r"^\s*> (?:- )?\**(Keep|Check|Expect|Not run)\b(.*)$")
CODE_SPAN = re.compile(r"`([^`]+)`")


@dataclass
class Block:
    kind: str  # graphql, sh, json, js
    heading: str
    line: int
    text: str
    variables: str | None = None  # a json block right after a graphql block
    keep: list[tuple[str, str]] = field(default_factory=list)  # (NAME, jq expression)
    checks: list[str] = field(default_factory=list)  # jq expressions that must be true
    expect: list[str] = field(default_factory=list)  # the userErrors codes the block shows
    not_run: str | None = None  # why the suite cannot run it

    def where(self) -> str:
        return f'docs/admin-guide.md:{self.line} (section "{self.heading}")'

    def describe(self) -> str:
        shown = self.text if self.variables is None else f"{self.text}\nvariables: {self.variables}"
        return f"{self.where()}, {self.kind} block:\n{shown}"


def _note(block: Block, kind: str, rest: str) -> None:
    spans = CODE_SPAN.findall(rest)
    if kind == "Keep":
        assert len(spans) >= 2, f"{block.where()}: a Keep note names a variable and a jq expression: {rest}"
        block.keep.append((spans[0], spans[-1]))
    elif kind == "Check":
        assert spans, f"{block.where()}: a Check note ends with a jq expression: {rest}"
        block.checks.append(spans[-1])
    elif kind == "Expect":
        block.expect.extend(spans)
    else:
        block.not_run = rest.strip(" :*")


def parse_guide(path: Path) -> list[Block]:
    """The blocks in order, each with its variables and notes."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    heading, i = "", 0
    while i < len(lines):
        fence, found = FENCE.match(lines[i]), HEADING.match(lines[i])
        if found:
            heading = found.group(1)
        if not fence:
            note = NOTE.match(lines[i])
            if note and blocks:
                _note(_owner(blocks), note.group(1), note.group(2))
            i += 1
            continue
        indent, kind, start = len(fence.group(1)), fence.group(2), i + 1
        i += 1
        while not lines[i].strip().startswith("```"):
            i += 1
        text = "\n".join(line[indent:] for line in lines[start:i])
        block = Block(kind, heading, start, text)
        if kind == "json" and blocks and blocks[-1].kind == "graphql" and "Authorization" not in text:
            blocks[-1].variables = text
        else:
            blocks.append(block)
        i += 1
    return blocks


def _owner(blocks: list[Block]) -> Block:
    return blocks[-1]
