"""The two floors of the benchmark, served with exactly the uvicorn settings of `seatwise serve`.

- `starlette`: a plain Starlette endpoint, `GET /json` answering `{"data": {"ping": "pong"}}`: what one HTTP request
  costs on this stack before any GraphQL.
- `strawberry`: a bare Strawberry schema `type Query { ping: String! }` at `POST /graphql` (Strawberry's own ASGI
  view, no extension, no database): what one GraphQL request costs before Seatwise's own work. Most of it is
  graphql-core validating the document on every request;
- `strawberry-cached`: the same with the parser and validation caches Seatwise's schema has (`ParserCache`,
  `ValidationCache`): the floor of a GraphQL request once a document has been seen.

`python -m bench.floors {starlette|strawberry|strawberry-cached} --port P` runs `seatwise serve` itself with `uvicorn.run` swapped for
a call that serves the floor instead of Seatwise: the floors get whatever `serve` passes to uvicorn (event loop,
HTTP parser, logging, workers, proxy headers), now and after any change to it. `serve` migrates DATABASE_URL first,
so point it at the bench's database (the migration finds nothing to do).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

PONG = {"data": {"ping": "pong"}}


async def _json(request: Request) -> JSONResponse:
    return JSONResponse(PONG)


def starlette_app() -> Starlette:
    """A plain Starlette JSON endpoint: GET /json."""
    return Starlette(routes=[Route("/json", _json, methods=["GET", "POST"])])


@strawberry.type
class Query:
    @strawberry.field(description="pong")
    def ping(self) -> str:
        return "pong"


def strawberry_app() -> Starlette:
    """A bare Strawberry schema `{ ping }` at POST /graphql (no GraphiQL)."""
    schema = strawberry.Schema(query=Query)
    return Starlette(routes=[Route("/graphql", GraphQL(schema, graphql_ide=None), methods=["GET", "POST"])])


def strawberry_cached_app() -> Starlette:
    """The bare schema with Seatwise's parser and validation caches."""
    schema = strawberry.Schema(query=Query, extensions=[ParserCache(maxsize=256), ValidationCache(maxsize=256)])
    return Starlette(routes=[Route("/graphql", GraphQL(schema, graphql_ide=None), methods=["GET", "POST"])])


FACTORIES = {
    "starlette": "bench.floors:starlette_app",
    "strawberry": "bench.floors:strawberry_app",
    "strawberry-cached": "bench.floors:strawberry_cached_app",
}


def serve(kind: str, host: str, port: int, workers: int = 1) -> None:
    """`seatwise serve --host H --port P --workers N`, serving the floor `kind` instead of Seatwise."""
    import uvicorn

    from seatwise.gql.cli import main as cli

    real_run = uvicorn.run

    def run_floor(app: Any, **options: Any) -> None:
        options["factory"] = True
        real_run(FACTORIES[kind], **options)

    uvicorn.run = run_floor  # type: ignore[assignment]
    try:
        cli.main(["serve", "--host", host, "--port", str(port), "--workers", str(workers)])
    finally:
        uvicorn.run = real_run  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floors")
    parser.add_argument("kind", choices=sorted(FACTORIES))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    serve(args.kind, args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
