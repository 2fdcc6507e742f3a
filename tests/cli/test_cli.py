"""The `seatwise` command behaves like a tool: help everywhere, --version, one clear line on failure, no password
on the command line."""

import argparse
import json
import os
import subprocess
import sys

import pytest

from seatwise.gql.cli.main import build_parser
from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import User
from seatwise.models.people import auth
from tests.support import ROOT, database_url, free_port


def seatwise(*args: str, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DATABASE_URL": database_url(), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "gql", *args], cwd=ROOT, env=full_env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_every_subcommand_and_option_has_help_and_the_epilog_names_every_variable():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {c.dest for c in commands._choices_actions} == set(commands.choices)
    for choice in commands._choices_actions:
        assert choice.help, choice.dest
    for name, command in commands.choices.items():
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings}"
        for variable in ("DATABASE_URL", "HOST", "PORT", "SEATWISE_LOG_LEVEL", "REDIS_URL"):
            assert variable in command.format_help(), (name, variable)


def test_version_is_printed():
    done = seatwise("--version")
    assert done.returncode == 0 and done.stdout.startswith("seatwise ")


@pytest.mark.parametrize("as_json", [False, True])
def test_a_bad_setting_ends_in_one_line_naming_it(as_json):
    done = seatwise("clock", *(["--json"] if as_json else []), env={"SEATWISE_LOG_LEVEL": "chatty"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    if as_json:
        [line] = done.stdout.splitlines()
        assert json.loads(line)["error"]["code"] == "CONFIGURATION"
        assert json.loads(line)["error"]["message"].startswith("SEATWISE_LOG_LEVEL: ")
    else:
        assert done.stdout == "" and done.stderr.splitlines() == [done.stderr.strip()]
        assert done.stderr.startswith("error: CONFIGURATION: SEATWISE_LOG_LEVEL: ")


@pytest.mark.parametrize(
    "command", [["migrate"], ["clock", "--json"], ["create-org", "--name", "X", "--admin-email", "a@x.test", "--json"]]
)
def test_an_unreachable_database_ends_in_one_line_without_its_password(command):
    url = f"postgres://seatwise:hunter2secret@127.0.0.1:{free_port()}/nowhere"
    done = seatwise(*command, env={"DATABASE_URL": url}, stdin="")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "hunter2" not in done.stdout + done.stderr
    if "--json" in command:
        [line] = done.stdout.splitlines()
        error = json.loads(line)["error"]
    else:
        [line] = done.stderr.splitlines()
        code, _, message = line.removeprefix("error: ").partition(": ")
        error = {"code": code, "message": message}
    assert error["code"] == "DATABASE_UNAVAILABLE" and "127.0.0.1" in error["message"]


def test_a_password_on_the_command_line_is_refused():
    done = seatwise("create-org", "--name", "Acme", "--admin-email", "cli@acme.test", "--admin-password", "visible in ps aux")
    assert done.returncode == 2 and "process list" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("source", ["stdin", "environment"])
async def test_create_org_takes_the_admin_password_from_stdin_or_the_environment(source):
    password = "a long enough secret"
    email = f"cli-{source}@acme.test"
    args = ["create-org", "--name", "Acme", "--admin-email", email, "--json"]
    if source == "stdin":
        done = seatwise(*args, "--admin-password-stdin", stdin=password + "\n")
    else:
        done = seatwise(*args, env={"SEATWISE_ADMIN_PASSWORD": password}, stdin="")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["token"] and password not in done.stdout + done.stderr
    _, viewer = await auth.sign_in(email, password, now=utcnow())
    assert viewer.user.email == email


def test_an_empty_stdin_password_is_refused_and_creates_nothing():
    done = seatwise(
        "create-org", "--name", "Acme", "--admin-email", "none@acme.test", "--admin-password-stdin", "--json", stdin=""
    )
    assert done.returncode == 2 and json.loads(done.stdout)["error"]["code"] == "INVALID_INPUT"


async def test_nothing_is_created_by_a_refused_stdin_password():
    seatwise("create-org", "--name", "Acme", "--admin-email", "none@acme.test", "--admin-password-stdin", stdin="\n")
    assert not await User.exists(email="none@acme.test")


async def test_reset_password_takes_the_new_password_from_stdin_and_never_prints_it():
    email = "reset-stdin@acme.test"
    seatwise("create-org", "--name", "Acme", "--admin-email", email, "--admin-password-stdin", stdin="the old passphrase\n")
    new = "the new passphrase"

    done = seatwise("reset-password", "--email", email.upper(), "--password-stdin", "--json", stdin=new + "\n")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"adminUserId": json.loads(done.stdout)["adminUserId"], "adminEmail": email}
    assert new not in done.stdout + done.stderr
    _, viewer = await auth.sign_in(email, new, now=utcnow())
    assert viewer.user.email == email


async def test_reset_password_without_stdin_prints_a_generated_password_once():
    email = "reset-generated@acme.test"
    seatwise("create-org", "--name", "Acme", "--admin-email", email, stdin="")

    done = seatwise("reset-password", "--email", email, "--json")

    assert done.returncode == 0, done.stderr
    generated = json.loads(done.stdout)["adminPassword"]
    assert len(generated) >= 12 and generated not in done.stderr
    _, viewer = await auth.sign_in(email, generated, now=utcnow())
    assert viewer.user.email == email


def test_reset_password_of_an_unknown_email_fails_in_one_line():
    done = seatwise("reset-password", "--email", "nobody@nowhere.test", "--json")
    assert done.returncode == 2 and json.loads(done.stdout)["error"]["code"] == "NOT_FOUND"


async def test_demo_json_prints_the_admin_email_that_sign_in_needs():
    done = seatwise("demo", "--json")

    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    _, viewer = await auth.sign_in(printed["adminEmail"], printed["adminPassword"], now=utcnow())
    assert str(viewer.user.id) == printed["adminUserId"]


# A process receives bytes: those that are not UTF-8 (a byte 0xFF, the encoded surrogate ED A0 80) reach argv as
# lone surrogates (PEP 383).
@pytest.mark.parametrize("name", ["Acme\udcff", "Acme\udced\udca0\udc80"], ids=["undecodable-byte", "encoded-surrogate"])
async def test_an_option_with_text_no_database_stores_is_invalid_input_naming_the_option(name):
    done = seatwise("create-org", "--name", name, "--admin-email", "odd@acme.test", "--json", env={"PYTHONUTF8": "1"})
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "INVALID_INPUT" and "--name" in error["message"]
    assert not await User.exists(email="odd@acme.test")


@pytest.mark.parametrize(("args", "days"), [([], 30), (["--expires-in", "7"], 7)])
async def test_create_org_prints_a_token_that_expires(args, days):
    from datetime import timedelta

    from seatwise.models.core.tables import Credential

    email = f"expiring{days}@acme.test"
    done = seatwise("create-org", "--name", "Acme", "--admin-email", email, "--json", *args)
    assert done.returncode == 0, done.stderr
    [token] = await Credential.filter(user__email=email)
    assert token.expires_at - token.created_at.replace(microsecond=0) == timedelta(days=days)
    assert token.expires_at.microsecond == 0


@pytest.mark.parametrize("days", ["0", "3651", "١", "x"])
def test_create_org_refuses_an_expiry_out_of_range(days):
    done = seatwise("create-org", "--name", "Acme", "--admin-email", "never@acme.test", "--expires-in", days)
    assert done.returncode == 2 and "--expires-in" in done.stderr
