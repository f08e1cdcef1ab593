"""shellgate: gate destructive shell commands run by AI coding agents behind a FIDO2 key touch."""

__version__ = "0.1.0"
