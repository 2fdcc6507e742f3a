"""docs/admin-guide.md as a script: its blocks in order, and what each block's notes ask of its answer.

The guide's conventions (its section "How to follow this guide" explains them to the reader):

- a ```sh block runs in one shell session that carries its exported variables to the next block;
- a ```graphql block is sent to /graphql with the headers of the last ```json block that holds `Authorization`;
  a ```json block right after a graphql block is its variables; `$NAME` in a json block is a variable kept earlier;
- lines right after a block, in a quote, are its notes: "Keep `NAME` = `jq`" keeps a value of the answer's `data`,
  "Check ... `jq`" must be true of it, "Expect `CODE`" is the userErrors code the block shows (otherwise every
  userErrors list must be empty), "Wait ... `jq`" reads again (a query only) until it is true of the answer;
- a subscription's notes are of its first event; a ```js block is graphql-transport-ws messages, one a line.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
HEADING = re.compile(r"^#{1,4} (.*)$")
NOTE = re.compile(r"^\s*> (?:- )?\**(Keep|Check|Expect|Wait)\b(.*)$")
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
    waits: list[str] = field(default_factory=list)  # jq expressions to read again for until true
    expect: list[str] = field(default_factory=list)  # the userErrors codes the block shows

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
    elif kind in ("Check", "Wait"):
        assert spans, f"{block.where()}: a {kind} note ends with a jq expression: {rest}"
        (block.checks if kind == "Check" else block.waits).append(spans[-1])
    else:
        block.expect.extend(spans)


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


SUBSCRIBERS = re.compile(r"^seatwise_live_subscribers (\S+)$", re.MULTILINE)


class LiveSocket:
    """A graphql-transport-ws connection to the server's /graphql, initialised with `payload`."""

    def __init__(self, http_url: str, payload: dict) -> None:
        self.url = http_url
        self._connection = connect(http_url.replace("http://", "ws://", 1) + "/graphql", subprotocols=["graphql-transport-ws"])
        self.ws = self._connection.__enter__()
        self.send({"type": "connection_init", "payload": payload})
        first = self.next_message()
        self.ack, self.refusal = first is not None and first["type"] == "connection_ack", first

    def send(self, frame: dict) -> None:
        self.ws.send(json.dumps(frame))

    def next_message(self, timeout: float = 10) -> dict | None:
        """The next message other than a ping (answered); None when the socket closes or nothing comes."""
        try:
            while (message := json.loads(self.ws.recv(timeout))).get("type") == "ping":
                self.send({"type": "pong"})
        except (TimeoutError, ConnectionClosed):
            return None
        return message

    def until_counted(self, client: httpx.Client, count: int, timeout: float = 10) -> bool:
        """Poll /metrics until the server counts `count` open subscriptions (it starts one after `subscribe`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = SUBSCRIBERS.search(client.get(f"{self.url}/metrics").text)
            if found and float(found.group(1)) >= count:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._connection.__exit__(None, None, None)
