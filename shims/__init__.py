"""Templates for the executables ``shellgate install`` writes into the shims directory."""
