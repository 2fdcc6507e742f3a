"""The GraphQL schema: `schema` merges one package per area; `core` holds what every area uses."""
