"""The Starlette app: routes, middleware, the GraphQL view and GraphiQL, export downloads, SCIM, health and metrics."""
