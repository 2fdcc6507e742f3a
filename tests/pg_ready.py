"""Exit 0 when PostgreSQL answers at the URL given (used by `make test` to decide on the second run)."""

import asyncio
import sys


async def main(url: str) -> int:
    import asyncpg

    try:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=3)
    except Exception:
        return 1
    await conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
