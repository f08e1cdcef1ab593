"""SQL: a client's script split the way the client reads it, each statement classified with
sqlglot."""
