"""Surfaces: where commands are intercepted — PATH shims, the restricted shell, interactive
database clients, agent hooks — each a thin adapter over the one guard."""
