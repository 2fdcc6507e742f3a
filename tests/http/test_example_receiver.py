"""The example webhook receiver (examples/webhook_receiver.py, Starlette + standardwebhooks) receives and verifies
what a serving Seatwise delivers."""

import json
import subprocess
import time

import httpx
from cryptography.fernet import Fernet

from seatwise.models.core.settings import reload
from tests.http.test_examples import examples_python  # noqa: F401  (fixture: the examples' own environment)
from tests.support import ROOT, Server, free_port, make_org, make_user
from tests.webhook_support import make_endpoint, private_allowed  # noqa: F401  (fixture)


async def test_the_example_receiver_verifies_and_prints_each_event(examples_python, private_allowed, monkeypatch):  # noqa: F811
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SEATWISE_SECRET_KEY", key)
    reload()
    port = free_port()
    fx = await make_org()
    _, secret = await make_endpoint(fx, f"http://127.0.0.1:{port}/webhooks/seatwise", ["user.created"])
    receiver = subprocess.Popen(  # noqa: ASYNC220  (read line by line below; the server runs in another process)
        [str(examples_python), "webhook_receiver.py", "--port", str(port)],
        cwd=ROOT / "examples",
        env={"PATH": "/usr/bin:/bin", "SEATWISE_WEBHOOK_SECRET": secret},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    env = {"SEATWISE_WEBHOOK_ALLOW_PRIVATE": "true", "SEATWISE_WEBHOOK_INTERVAL": "0.1", "SEATWISE_SECRET_KEY": key}
    server = Server(env=env).wait_ready()
    try:
        assert receiver.stdout is not None
        assert receiver.stdout.readline().startswith("listening on ")
        forged = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/seatwise",
            content=b"{}",
            headers={"webhook-id": "x", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,AAAA"},
        )
        assert forged.status_code == 401
        assert receiver.stdout.readline().strip() == "refused: bad signature"
        user = await make_user(fx)
        line = json.loads(receiver.stdout.readline())
    finally:
        server.stop()
        receiver.terminate()
        receiver.communicate(timeout=10)
    assert line["type"] == "user.created" and line["id"].startswith("evt_") and line["sequence"] > 1
    assert user.id
