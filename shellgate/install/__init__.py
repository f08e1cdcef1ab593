"""install: shims and startup files, agent hook entries, and ``doctor`` (what is set up,
missing, or weaker than it looks)."""
