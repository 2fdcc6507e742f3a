"""`seatwise serve` with use recording switched off (bench only): `accessCheck` answers as always but records no
use, so that the benchmark can set `accessCheck` with recording (the op `accessCheck`) against it without
(`accessCheckNoUses`) on the same data. Production code has no such switch: a use is what reclaim is decided by."""

from __future__ import annotations

from seatwise.models.usage import uses


async def _no_use(assignment, at) -> bool:
    return False


def main() -> None:
    uses.record_use = _no_use  # `serve` with one worker runs the app in this process: every sign-in sees it
    from seatwise.gql.cli.main import main as seatwise_main

    seatwise_main()


if __name__ == "__main__":
    main()
