"""Commands that run other commands: sudo, bash -c, xargs, ssh, containers, launchers — what
runs inside them."""
