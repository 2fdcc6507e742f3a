"""RFC 7643/7644 conformance of `/scim/v2`, judged by an outside checker: scim2-tester, run by scim2-cli as
`scim2 --url <server>/scim/v2 test` against a real `seatwise serve` with a SCIM-scoped token.

The checker runs in its own virtual environment, `.venv-scim` (git-ignored; `make scim-conformance` builds it
the same way), with the versions pinned in tests/scim-conformance-requirements.txt: never in the project's.
Its results are graded SUCCESS, COMPLIANT, ACCEPTABLE, DEVIATION, ERROR, CRITICAL or SKIPPED; the test fails
on any ERROR or CRITICAL and prints every result that is not a plain success. It is skipped only when the
package index cannot be reached to build the environment.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scim_http_support import scim_org
from tests.support import ROOT, Server

pytestmark = pytest.mark.slow

REQUIREMENTS = ROOT / "tests" / "scim-conformance-requirements.txt"
VENV = ROOT / ".venv-scim"
LEVELS = ("SUCCESS", "COMPLIANT", "ACCEPTABLE", "DEVIATION", "ERROR", "CRITICAL", "SKIPPED")
FAILING = ("ERROR", "CRITICAL")
# What pip prints when it cannot reach the package index (as opposed to a package that does not install).
UNREACHABLE = re.compile(
    r"NewConnectionError|Max retries exceeded|Temporary failure in name resolution|Name or service not known|"
    r"Network is unreachable|Connection refused|ConnectTimeoutError|ReadTimeoutError|ProxyError"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def checker_environment() -> Path:
    """The `scim2` command of .venv-scim, built (or rebuilt when the pinned requirements changed)."""
    scim2 = VENV / "bin" / "scim2"
    stamp = VENV / ".installed"
    wanted = REQUIREMENTS.read_text()
    if scim2.exists() and stamp.exists() and stamp.read_text() == wanted:
        return scim2
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    installed = subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if installed.returncode != 0:
        output = installed.stdout + installed.stderr
        if UNREACHABLE.search(output):
            pytest.skip(f"the package index is unreachable, so scim2-cli cannot be installed:\n{output[-1500:]}")
        pytest.fail(f"pip install -r {REQUIREMENTS.name} failed:\n{output[-3000:]}")
    stamp.write_text(wanted)
    return scim2


def parse_results(output: str) -> list[tuple[str, str, str]]:
    """(level, title, reason) for each result line `LEVEL title`, with the indented reason that follows it."""
    results: list[tuple[str, str, str]] = []
    for line in ANSI.sub("", output).splitlines():
        level, _, title = line.partition(" ")
        if level in LEVELS:
            results.append((level, title.strip(), ""))
        elif line.startswith("  ") and results and not results[-1][2]:
            results[-1] = (*results[-1][:2], line.strip())
    return results


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


async def test_scim2_tester_reports_no_error_and_no_critical_result(server):
    scim2 = checker_environment()
    org = await scim_org("Conformance")
    # The token goes through the environment, not the command line (other users of the machine see arguments).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("SEATWISE_")}
    env["SCIM_CLI_HEADERS"] = f"Authorization: Bearer {org.scim_token}"
    run = subprocess.run(
        [str(scim2), "--url", f"{server.url}/scim/v2", "test", "--verbose"],
        cwd=VENV,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    results = parse_results(run.stdout)
    counts = collections.Counter(level for level, _, _ in results)
    summary = ", ".join(f"{level} {counts[level]}" for level in LEVELS if counts[level])
    print(f"scim2-tester: {len(results)} results: {summary}")
    for level, title, reason in results:
        if level != "SUCCESS":
            print(f"{level} {title}: {reason}")
    assert results, f"the checker reported nothing (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    failing = [f"{level} {title}: {reason}" for level, title, reason in results if level in FAILING]
    assert not failing, f"{summary}\n" + "\n".join(failing)
