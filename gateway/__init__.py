"""GraphQL gateway over checkout consignments and order shipping data."""
