"""Seatwise's GraphQL layer, the Starlette app and the command line (installed as `seatwise.gql`)."""
