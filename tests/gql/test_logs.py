import io
import json
import logging

from gql import logs


def test_log_lines_are_json_and_redact_card_numbers_and_tokens():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.setup("INFO", stream=stream)
    try:
        logging.getLogger("seatwise.test").info("card 4242 4242 4242 4242 and token sw_abcdefghijklmnopqrstuvwxyz012345", extra={"count": 3})
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    line = json.loads(stream.getvalue().strip())
    assert line["message"] == "card [redacted] and token [redacted]"
    assert line["count"] == 3 and "requestId" in line
