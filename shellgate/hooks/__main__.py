"""The hook entry point written into agents' configs (``agent_entries.hook_command``:
``python -I -c 'from shellgate.hooks.__main__ import main; …' [--config DIR] [--deadline
SECONDS] AGENT``, or ``python -I -m shellgate.hooks …`` by hand). Same as ``shellgate
[--config DIR] hook AGENT``, without click, so the hook starts fast and runs isolated from
the agent's PYTHON* environment. Entries written by older versions (no ``--deadline``)
keep working: they get the agent's default budget."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from shellgate.config import Config


def _refuse(message: str) -> None:
    import os

    sys.stderr.write(f"shellgate: {message}; refusing\n")
    sys.stderr.flush()
    os._exit(2)


def main(argv: list[str]) -> None:
    """Parse ``[--config DIR] [--deadline SECONDS] AGENT`` and run the hook; any other
    shape refuses (exit 2)."""
    config_dir: str | None = None
    deadline: float | None = None
    if len(argv) >= 2 and argv[0] == "--config":
        config_dir, argv = argv[1], argv[2:]
    if len(argv) >= 2 and argv[0] == "--deadline":
        try:
            deadline = float(argv[1])
        except ValueError:
            deadline = None
        if deadline is None or not 1 <= deadline <= 3600:
            _refuse(f"--deadline {argv[1]!r} is not a number of seconds from 1 to 3600")
        argv = argv[2:]
    if len(argv) != 1:
        _refuse("usage: python -I -m shellgate.hooks [--config DIR] [--deadline SECONDS] "
                "AGENT")
    if deadline is not None:  # first, before anything slow: the answer is due by then
        from shellgate.surfaces.hooks import watchdog

        watchdog.start(argv[0], deadline)

    from shellgate.surfaces.hooks.run import finish
    from shellgate.surfaces.hooks.run import main as run

    def config() -> Config:
        from shellgate.config import Config

        return Config.at(config_dir)

    from shellgate.rules.index import config_dir as resolve

    try:
        quick_dir: str | None = resolve(config_dir)
    except KeyError:  # no home directory: loading the config says so, and refuses
        quick_dir = None
    finish(run(argv[0], config, quick_dir, deadline))


if __name__ == "__main__":
    main(sys.argv[1:])
