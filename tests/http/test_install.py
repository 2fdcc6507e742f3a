"""Seatwise installs under one `seatwise` namespace: it lives in one environment with PyPI's `gql` client
(whose import name is that of the repository's gql/ folder), its install prints no warning, and its
command line works there."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import ROOT, free_port

QUERY = """
import sys
from gql import Client, gql
from gql.transport.httpx import HTTPXTransport

transport = HTTPXTransport(url=sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
with Client(transport=transport, fetch_schema_from_transport=False) as session:
    result = session.execute(gql("{ viewer { role } seats { product { sku } purchased } }"))
print(result["viewer"]["role"], len(result["seats"]))
"""


@pytest.fixture(scope="module")
def shared_env() -> Path:
    """A fresh environment (in the system temp folder) with PyPI's gql client, then Seatwise installed from this tree."""
    requirements = (ROOT / "examples" / "requirements.txt").read_bytes()
    digest = hashlib.sha256(requirements + sys.version.encode()).hexdigest()[:16]
    venv = Path(tempfile.gettempdir()) / f"seatwise-install-venv-{digest}"
    python = venv / "bin" / "python"
    if not (venv / ".client").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        client = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(ROOT / "examples" / "requirements.txt"),
            ],
            capture_output=True,
            text=True,
        )
        assert client.returncode == 0, client.stderr[-3000:]
        (venv / ".client").touch()
    # Build from a copy of the tree: a build never writes into the repository (no build/ or *.egg-info left behind).
    source = Path(tempfile.mkdtemp(prefix="seatwise-src-"))
    shutil.copytree(
        ROOT, source / "seatwise", ignore=shutil.ignore_patterns(".venv*", ".git", "node_modules", "*.sqlite3*", "test-artifacts")
    )
    installed = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--force-reinstall",
            "--no-deps",
            str(source / "seatwise"),
        ],
        capture_output=True,
        text=True,
    )
    deps = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source / "seatwise")],
        capture_output=True,
        text=True,
    )
    shutil.rmtree(source, ignore_errors=True)
    assert installed.returncode == 0 and deps.returncode == 0, installed.stderr[-3000:] + deps.stderr[-3000:]
    # What setuptools would say about the package layout (e.g. data folders missing from `packages`): nothing.
    build_warnings = [
        line
        for line in (installed.stdout + installed.stderr).splitlines()
        if "warning" in line.lower() and "Location 'file:" not in line
    ]
    assert build_warnings == [], "\n".join(build_warnings)
    return venv


def test_seatwise_and_the_gql_client_share_one_environment(shared_env, tmp_path):
    seatwise = shared_env / "bin" / "seatwise"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("SEATWISE_")}
    env["DATABASE_URL"] = f"sqlite://{tmp_path}/install.sqlite3"
    helped = subprocess.run([str(seatwise), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "serve" in helped.stdout, helped.stderr
    made = subprocess.run([str(seatwise), "demo", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    token = __import__("json").loads(made.stdout)["token"]

    port = free_port()
    server = subprocess.Popen(
        [str(seatwise), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env={**env, "SEATWISE_CLOCK_INTERVAL": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        python = shared_env / "bin" / "python"
        client = None
        for _ in range(120):  # the server migrates, then serves
            client = subprocess.run(
                [str(python), "-c", QUERY, f"http://127.0.0.1:{port}/graphql", token],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if client.returncode == 0:
                break
            __import__("time").sleep(0.5)
        assert client is not None and client.returncode == 0, client.stderr[-2000:]
        assert client.stdout.split() == ["GLOBAL_ADMIN", "3"]
    finally:
        server.terminate()
        server.wait(timeout=30)
