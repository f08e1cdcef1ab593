"""Payloads read with real parsers: SQL, database clients, HTTP and GraphQL, interpreter code."""
