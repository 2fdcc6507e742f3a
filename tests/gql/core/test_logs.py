import io
import json
import logging

from seatwise.gql.http import logs


def test_log_lines_are_json_and_redact_card_numbers_and_tokens():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.setup("INFO", stream=stream)
    try:
        logging.getLogger("seatwise.test").info(
            "card 4242 4242 4242 4242 and token sw_abcdefghijklmnopqrstuvwxyz012345", extra={"count": 3}
        )
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    line = json.loads(stream.getvalue().strip())
    assert line["message"] == "card [redacted] and token [redacted]"
    assert line["count"] == 3 and "requestId" in line


def _one_line(message: str, **extra) -> dict:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.setup("INFO", stream=stream)
    try:
        logging.getLogger("seatwise.test").info(message, extra=extra)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    return json.loads(stream.getvalue().strip())


def test_card_numbers_written_with_dots_are_redacted():
    line = _one_line("card 4242.4242.4242.4242 or 5555.5555.5555.4444 then 127.0.0.1")
    assert line["message"] == "card [redacted] or [redacted] then 127.0.0.1"


def test_json_lines_carry_no_ansi_color_message():
    # uvicorn passes a coloured copy of each message as the extra `color_message`.
    line = _one_line("Started server process [42]", color_message="Started server process [\x1b[36m42\x1b[0m]")
    assert "color_message" not in line and line["message"] == "Started server process [42]"
