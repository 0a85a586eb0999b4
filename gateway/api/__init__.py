"""GraphQL API: Strawberry types, inputs, resolvers, DataLoaders, permissions and extensions."""
