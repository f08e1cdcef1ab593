"""Is this process in hardened mode, and is what it is about to trust really root's?

Hardened mode is switched on only by root-owned state: ``/etc/shellgate/hardened.toml``,
or — for an install whose policy directory is elsewhere (tests, staging) — a root-owned
pointer file beside the root-owned package the code runs from (its site-packages). Nothing
the user controls (flags, environment, project files, their home directory) can select
another configuration, other keys or a softer policy once the marker exists; a marker or
policy file with the wrong owner or mode refuses everything rather than falling back.
"""

from __future__ import annotations

import os
import stat
import sys

from shellgate.errors import ConfigError
from shellgate.hardened import DEFAULT_ETC, MARKER_NAME, POINTER_NAME

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: Config.at calls marker_path on hot paths
if TYPE_CHECKING:
    from shellgate.hardened.layout import Layout

MARKER_VERSION = 1


def code_root() -> str:
    """The directory shellgate's package sits in (site-packages): where the installer puts
    the pointer. Not ``sys.prefix``, which shims started with ``-S`` never set to the venv."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def marker_path(prefix: str | None = None) -> str | None:
    """The marker's path if hardened mode is installed, else None. Two ``lstat`` calls,
    no imports: it runs before every decision. ``prefix``: where to look for the pointer
    (default :func:`code_root`)."""
    default = os.path.join(DEFAULT_ETC, MARKER_NAME)
    if os.path.lexists(default):
        return default
    pointer = os.path.join(prefix if prefix is not None else code_root(), POINTER_NAME)
    if not os.path.lexists(pointer):
        return None
    check_root_owned(pointer)
    try:
        with open(pointer, encoding="utf-8") as handle:
            etc = handle.read().strip()
    except OSError as exc:
        raise ConfigError(f"hardened mode: cannot read {pointer}: {exc.strerror}") from exc
    if not os.path.isabs(etc):
        raise ConfigError(f"hardened mode: {pointer} does not name an absolute directory")
    return os.path.join(etc, MARKER_NAME)


def _describe(path: str, st: os.stat_result) -> str:
    return f"{path} (owner uid {st.st_uid}, mode {stat.S_IMODE(st.st_mode):04o})"


def check_owner(path: str, uid: int, what: str = "", *, kind: str = "") -> os.stat_result:
    """``path`` exists, is not a symlink, is owned by ``uid`` and is writable by nobody
    else (no group or other write bit). Raises ConfigError naming what is wrong."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise ConfigError(f"hardened mode: {what or path} is missing: {exc.strerror}") \
            from exc
    if stat.S_ISLNK(st.st_mode):
        raise ConfigError(f"hardened mode: refusing {what or path}: it is a symlink")
    if kind == "dir" and not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"hardened mode: refusing {what or path}: not a directory")
    if kind == "file" and not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"hardened mode: refusing {what or path}: not a regular file")
    if st.st_uid != uid or st.st_mode & 0o022:
        raise ConfigError(f"hardened mode: refusing {what or 'a file'} with the wrong owner "
                          f"or mode: {_describe(path, st)}; it must be owned by uid {uid} "
                          "and writable by no one else")
    return st


def check_parents(path: str) -> None:
    """Every directory above ``path`` is root's and not writable by others (a root-owned
    sticky directory such as ``/tmp`` is allowed: no one else can rename root's entries)."""
    directory = os.path.dirname(os.path.abspath(path))
    while True:
        st = os.lstat(directory)
        sticky = st.st_mode & stat.S_ISVTX
        if stat.S_ISLNK(st.st_mode):
            st = os.stat(directory)  # /var/run → /run style links: judge the target too
            check_parents(os.path.realpath(directory))
        if st.st_uid != 0 or (st.st_mode & 0o022 and not sticky):
            raise ConfigError(f"hardened mode: refusing {path}: the directory above it is "
                              f"not root's alone: {_describe(directory, st)}")
        parent = os.path.dirname(directory)
        if parent == directory:
            return
        directory = parent


def check_root_owned(path: str, what: str = "", *, kind: str = "") -> os.stat_result:
    """:func:`check_owner` for root, and every directory above it root's too."""
    st = check_owner(path, 0, what, kind=kind)
    check_parents(path)
    return st


class HardenedState:
    """The parsed, checked marker: who is guarded, by which broker, with which paths."""

    def __init__(self, layout: Layout, user: str, uid: int, broker_uid: int,
                 broker_gid: int) -> None:
        self.layout = layout
        self.user = user
        self.uid = uid
        self.broker_uid = broker_uid
        self.broker_gid = broker_gid

    def check_policy(self) -> None:
        """The policy directory, settings, pattern files and key store are root's and
        writable by no one else; anything else refuses (never a softer fallback)."""
        etc = str(self.layout.etc)
        check_root_owned(etc, "the policy directory", kind="dir")
        for name, what in (("config.toml", "the policy"), ("keys.json", "the key store")):
            path = os.path.join(etc, name)
            if os.path.lexists(path):
                check_owner(path, 0, f"{what} {path}", kind="file")
        patterns = os.path.join(etc, "patterns")
        if os.path.lexists(patterns):
            check_owner(patterns, 0, "the pattern directory", kind="dir")
            for name in sorted(os.listdir(patterns)):
                full = os.path.join(patterns, name)
                check_owner(full, 0, f"the pattern file {full}", kind="file")
        cache = os.path.join(etc, "cache")
        if os.path.lexists(cache):
            check_owner(cache, 0, "the rule cache", kind="dir")
            for name in sorted(os.listdir(cache)):
                check_owner(os.path.join(cache, name), 0, "the rule cache", kind="file")

    def check_state(self) -> None:
        """The broker's state directory is the broker's and writable by no one else."""
        check_owner(str(self.layout.state), self.broker_uid, "the broker's state directory",
                    kind="dir")


def load(marker: str) -> HardenedState:
    """Read and check the marker (root's, every parent root's), then the policy."""
    import pwd

    from shellgate.hardened.layout import Layout

    check_root_owned(marker, "the hardened-mode marker", kind="file")
    try:
        with open(marker, encoding="utf-8") as handle:
            text = handle.read()
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        data = tomllib.loads(text)
        if data.get("version") != MARKER_VERSION:
            raise ConfigError(f"hardened mode: {marker} has version {data.get('version')!r}, "
                              f"this shellgate reads version {MARKER_VERSION}")
        layout = Layout.from_dict(dict(data.get("layout", {})))
        user, uid = str(data["user"]), int(data["uid"])
        entry, broker = pwd.getpwnam(user), pwd.getpwnam(layout.broker_user)
    except ConfigError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"hardened mode: {marker} cannot be used ({type(exc).__name__}: "
                          f"{exc}); refusing everything until root repairs it") from exc
    if entry.pw_uid != uid:
        raise ConfigError(f"hardened mode: {marker} names {user} with uid {uid}, but the "
                          f"password database says {entry.pw_uid}")
    if str(layout.etc) != os.path.dirname(marker):
        raise ConfigError(f"hardened mode: {marker} names another policy directory "
                          f"({layout.etc})")
    state = HardenedState(layout, user, uid, broker.pw_uid, broker.pw_gid)
    state.check_policy()
    return state


def detect(prefix: str | None = None) -> HardenedState | None:
    """The hardened state of this machine (None in personal mode). Raises ConfigError —
    refuse, never fall back to the personal path — when the state is not root's."""
    marker = marker_path(prefix)
    return load(marker) if marker is not None else None
