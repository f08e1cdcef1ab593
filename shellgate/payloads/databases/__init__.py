"""Database clients: how each reads its argv and stdin, and MongoDB/Redis commands."""
