"""The hook entry point written into agents' configs (``entries.hook_command``: ``python -I
-c 'from shellgate.hooks.__main__ import main; …' [--config DIR] AGENT``, or ``python -I -m
shellgate.hooks [--config DIR] AGENT`` by hand). Same as ``shellgate [--config DIR] hook
AGENT``, without click, so the hook starts fast and runs isolated from the agent's PYTHON*
environment."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from shellgate.config import Config


def main(argv: list[str]) -> None:
    """Parse ``[--config DIR] AGENT`` and run the hook; any other shape refuses (exit 2)."""
    from shellgate.surfaces.hooks.run import finish
    from shellgate.surfaces.hooks.run import main as run

    config_dir: str | None = None
    if len(argv) >= 2 and argv[0] == "--config":
        config_dir, argv = argv[1], argv[2:]
    if len(argv) != 1:
        sys.stderr.write("usage: python -I -m shellgate.hooks [--config DIR] AGENT; "
                         "refusing\n")
        finish(2)

    def config() -> Config:
        from shellgate.config import Config

        return Config.at(config_dir)

    from shellgate.rules.index import config_dir as resolve

    try:
        quick_dir: str | None = resolve(config_dir)
    except KeyError:  # no home directory: loading the config says so, and refuses
        quick_dir = None
    finish(run(argv[0], config, quick_dir))


if __name__ == "__main__":
    main(sys.argv[1:])
