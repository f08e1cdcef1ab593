"""Hardened mode: shellgate installed by root for one user, its policy and keys root-owned,
its approvals, audit trail and tickets held by a broker running as a system user.

``layout`` names every path (real defaults, each a parameter for tests), ``state`` reads
the root-owned marker that switches a process into hardened mode and checks ownership.
Installing is ``shellgate.install.hardened``; the broker is ``shellgate.broker``.
"""

MARKER_NAME = "hardened.toml"
"""The root-owned file in the policy directory whose presence means hardened mode."""
POINTER_NAME = "shellgate-hardened"
"""A root-owned file beside the hardened environment's package (in its site-packages)
naming the policy directory, for installs whose policy directory is not /etc/shellgate."""
DEFAULT_ETC = "/etc/shellgate"
