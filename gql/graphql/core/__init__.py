"""What every area of the schema uses: the request context and its DataLoaders, `@domain_mutation`, errors,
permissions, scalars, shared types and phrases, authentication."""
