"""HTTP requests from curl, wget, HTTPie and xh argv, and GraphQL documents in their bodies."""
