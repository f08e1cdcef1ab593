"""Interactive database clients (psql, mysql, redis-cli, mongosh) gated statement by statement."""
