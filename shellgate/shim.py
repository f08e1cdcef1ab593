"""Stable entry module for PATH shims: every shim ``shellgate install`` ever wrote runs
``from shellgate.shim import main`` (or ``restricted_shell``), so this path never moves.
The shim itself is :mod:`shellgate.surfaces.shim`."""

from __future__ import annotations

from shellgate.surfaces.shim import main, restricted_shell

__all__ = ["main", "restricted_shell"]
