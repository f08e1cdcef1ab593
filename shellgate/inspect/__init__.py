"""Payload inspectors: SQL, database clients, HTTP, GraphQL."""
