"""The table of which module registers each special wrapper (loaded when first needed)
is what the modules register, and a parse loads only the modules its commands need."""

from __future__ import annotations

import subprocess
import sys

from shellgate.parse import parse
from shellgate.parse.wrappers import unwrap

_BUILT_IN = {".", "env", "eval", "find", "source", "trap"}


def _everything_registered() -> dict[str, str]:
    for module in unwrap.REGISTERED_IN:
        __import__("shellgate.parse.wrappers." + module)
    return {name: getattr(handler, "__module__", "?").rsplit(".", 1)[-1]
            for name, handler in unwrap._SPECIAL.items()}


def test_the_table_is_what_the_modules_register() -> None:
    registered = _everything_registered()
    lazy = {name: module for name, module in registered.items()
            if module not in ("unwrap", "launchers")}
    assert lazy == unwrap._LAZY
    assert {n for n, m in registered.items() if m == "unwrap"} == _BUILT_IN
    assert unwrap.special_names() == frozenset(registered)


def test_partial_tools_are_listed_before_their_modules_load() -> None:
    probe = ("import sys\nfrom shellgate.parse.wrappers import unwrap\n"
             "before = set(unwrap.PARTIAL)\n"
             "for m in unwrap.REGISTERED_IN:\n"
             "    __import__('shellgate.parse.wrappers.' + m)\n"
             "print(before == unwrap.PARTIAL, len(before))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split()[0] == "True" and int(result.stdout.split()[1]) > 30


def test_a_parse_loads_only_the_readers_it_meets() -> None:
    probe = ("import sys\nfrom shellgate.parse import parse\n"
             "parse(sys.argv[1])\n"
             "print(' '.join(sorted(m.rsplit('.', 1)[-1] for m in sys.modules if "
             "m.startswith('shellgate.parse.wrappers.') and m.rsplit('.', 1)[-1] in "
             f"{tuple(unwrap.REGISTERED_IN)!r})))\n")

    def loaded(command: str) -> list[str]:
        result = subprocess.run([sys.executable, "-c", probe, command], capture_output=True,
                                text=True, check=True)
        return result.stdout.split()

    assert loaded("ls -la > out && echo $HOME") == []
    assert loaded("sudo awk '{print}' f") == ["languages"]
    assert loaded("ssh host 'make -C /x && git push'") == ["git", "projects", "remote"]
    assert loaded("echo x | xargs -n1 rm") == ["xargs"]


def test_commands_read_through_lazily_loaded_modules_are_unwrapped() -> None:
    script = parse("ssh prod 'rm -rf /var/data'")
    assert any(c.argv and c.argv[0].value == "rm" for c in script.commands)
    script = parse("awk 'BEGIN { system(\"rm -rf /x\") }'")
    assert any(c.argv and c.argv[0].value == "rm" for c in script.commands)
