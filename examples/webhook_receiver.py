"""A Seatwise webhook receiver: Starlette, with signatures checked by the `standardwebhooks` library.

    SEATWISE_WEBHOOK_SECRET=whsec_... python webhook_receiver.py --port 8900

Create the endpoint first (`createWebhookEndpoint`, GLOBAL_ADMIN) and keep the secret it shows once. The receiver
answers 401 to a request whose signature does not verify, 200 to the rest; it deduplicates by `webhook-id`
(delivery is at least once) and reports a gap in `sequence` (order is not guaranteed: fetch what is missing with
`events(after: ...)`). After a `rotateWebhookSecret`, set the new secret: for 24 hours both secrets sign, so
restarting the receiver with the new one loses nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def build_app(secret: str) -> Starlette:
    webhook = Webhook(secret)
    seen: set[str] = set()
    sequences: set[int] = set()

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            event = webhook.verify(body, dict(request.headers))
        except WebhookVerificationError:
            print("refused: bad signature", flush=True)
            return Response(status_code=401)
        message_id = request.headers["webhook-id"]
        if message_id in seen:
            return Response(status_code=200)  # already handled: at least once means sometimes twice
        seen.add(message_id)
        sequences.add(event["sequence"])
        missing = sorted(set(range(1, max(sequences) + 1)) - sequences)
        print(json.dumps({"id": message_id, "type": event["type"], "sequence": event["sequence"]}), flush=True)
        if missing:
            print(f"not yet received: sequences {missing[:10]} (fetch them with events(after: {missing[0] - 1}))", flush=True)
        return Response(status_code=200)

    return Starlette(routes=[Route("/webhooks/seatwise", receive, methods=["POST"])])


def main() -> int:
    parser = argparse.ArgumentParser(description="Receive Seatwise webhooks at /webhooks/seatwise.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    args = parser.parse_args()
    secret = os.environ.get("SEATWISE_WEBHOOK_SECRET")
    if not secret:
        print("set SEATWISE_WEBHOOK_SECRET to the endpoint's whsec_... secret", file=sys.stderr)
        return 2
    print(f"listening on http://{args.host}:{args.port}/webhooks/seatwise", flush=True)
    uvicorn.run(build_app(secret), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
