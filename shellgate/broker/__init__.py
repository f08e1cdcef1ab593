"""The broker: in hardened mode the one process that decides, asks the key, verifies and
records. It runs as its own system user, owns the audit trail, counters, nonces and
tickets, and answers the surfaces over a Unix socket (``protocol``, ``server``, ``client``).
"""
