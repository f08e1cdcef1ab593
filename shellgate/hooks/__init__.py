"""Stable entry module for agent hooks: installed hook entries run
``from shellgate.hooks.__main__ import main``, so this path never moves. The hooks
themselves live in :mod:`shellgate.surfaces.hooks`."""
