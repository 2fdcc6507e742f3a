"""GraphQL over WebSocket: the graphql-transport-ws protocol (between the schema, gql/graphql/, and the HTTP app)."""
