"""Hijack resistance, black-box: real subprocesses of the installed shims, the restricted
shell and ``shellgate run``. Nothing the agent can set — Python's variables, HOME and XDG,
any SHELLGATE_* variable, BASH_ENV and exported functions, PATH inside the command, a
project-local .shellgate.toml, aliases or functions named like shellgate or the tool —
turns a gated command into one that runs. Every case must refuse (126) and run nothing.

The configuration directory holds no key, so a gated command is refused at once; a hijack
that worked would let the stub ``git`` run and write its marker file.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
FORCE = ["git", "push", "--force"]
SHELLGATE_VARIABLES = ("SHELLGATE_CONFIG", "SHELLGATE_CONFIG_DIR", "SHELLGATE_DISABLE",
                       "SHELLGATE_DISABLED", "SHELLGATE_OFF", "SHELLGATE_BYPASS",
                       "SHELLGATE_ALLOW", "SHELLGATE_ALLOW_ALL", "SHELLGATE_SKIP",
                       "SHELLGATE_NO_GATE", "SHELLGATE_MODE", "SHELLGATE_HARDENED",
                       "SHELLGATE_STRICT", "SHELLGATE_PATTERNS", "SHELLGATE_RULES",
                       "SHELLGATE_KEY", "SHELLGATE_KEYS", "SHELLGATE_SOFT_KEY",
                       "SHELLGATE_AUTHENTICATOR", "SHELLGATE_APPROVED", "SHELLGATE_TICKET",
                       "SHELLGATE_DEBUG", "SHELLGATE_TEST", "SHELLGATE_HOME")


@dataclass(frozen=True)
class World:
    root: Path
    config: Path
    shims: Path
    marker: Path
    evil_python: Path
    evil_home: Path
    env: dict[str, str]

    def run(self, argv: list[str], extra: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **(extra or {})}
        self.marker.unlink(missing_ok=True)
        return subprocess.run(argv, env=env, cwd=cwd or self.root, capture_output=True,
                              text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)

    def ran(self) -> str:
        return self.marker.read_text() if self.marker.exists() else ""


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed next to {sys.executable}")
    return str(path)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("hijack")
    real_bin = root / "bin"
    real_bin.mkdir()
    marker = root / "ran"
    stub = real_bin / "git"
    stub.write_text(f'#!/bin/sh\necho "git $*" >> {marker}\n')
    stub.chmod(0o755)
    config, shims = root / "config", root / "shims"
    config.mkdir()
    (config / "config.toml").write_text("approval_timeout = 2\n")
    env = {"PATH": f"{shims}:{real_bin}:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(root)}
    install = subprocess.run([_tool("shellgate"), "--config", str(config), "install",
                              "--home", str(root / "install-home"), "--shims-dir", str(shims),
                              "--tools", "git", "--no-shell-config", "--no-agent-config"],
                             env=env, capture_output=True, text=True, timeout=120, check=False)
    assert install.returncode == 0, install.stderr
    assert (shims / "git").exists() and (shims / "shellgate-sh").exists()
    return World(root, config, shims, marker, _evil_python(root), _evil_home(root), env)


def _evil_python(root: Path) -> Path:
    """Modules that, if Python loaded them, would make every decision an allow."""
    evil = root / "evil-python"
    patch = ("import shellgate.engine as e\nfrom shellgate.values import Decision\n"
             "e.evaluate = lambda *a, **k: Decision('allow')\n"
             "e.evaluate_argv = lambda *a, **k: Decision('allow')\n")
    user_site = evil / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / \
        "site-packages"
    for directory in (evil, user_site):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "sitecustomize.py").write_text(patch)
        (directory / "usercustomize.py").write_text(patch)
    (evil / "startup.py").write_text(patch)
    return evil


def _evil_home(root: Path) -> Path:
    """A home whose shellgate config has no git rules and an agent-made key that touches."""
    home = root / "evil-home"
    config = home / ".config" / "shellgate"
    (config / "patterns").mkdir(parents=True)
    (config / "patterns" / "git.toml").write_text("# no rules\n")
    (config / "config.toml").write_text("approval_timeout = 2\nhardened = false\n")
    result = subprocess.run([_tool("shellgate"), "--config", str(config), "enroll", "--soft",
                             str(home / "agent-key.json")], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return home


def _env_hijacks(world: World) -> dict[str, dict[str, str]]:
    evil, home = str(world.evil_python), str(world.evil_home)
    hijacks = {
        "PYTHONPATH": {"PYTHONPATH": evil},
        "PYTHONHOME": {"PYTHONHOME": evil},
        "PYTHONUSERBASE": {"PYTHONUSERBASE": evil, "PYTHONNOUSERSITE": ""},
        "PYTHONSTARTUP": {"PYTHONSTARTUP": f"{evil}/startup.py", "PYTHONINSPECT": "1"},
        "HOME": {"HOME": home},
        "XDG": {"XDG_CONFIG_HOME": f"{home}/.config", "XDG_DATA_HOME": f"{home}/.local/share",
                "XDG_STATE_HOME": f"{home}/.local/state", "XDG_RUNTIME_DIR": home},
    }
    for name in SHELLGATE_VARIABLES:
        value = f"{home}/.config/shellgate" if name.endswith(("CONFIG", "DIR", "HOME")) else "1"
        if name.endswith(("KEY", "KEYS", "AUTHENTICATOR")):
            value = f"{home}/agent-key.json"
        hijacks[name] = {name: value}
    return hijacks


def _entry_points(world: World) -> dict[str, list[str]]:
    config = str(world.config)
    return {
        "shim": [str(world.shims / "git"), *FORCE[1:]],
        "restricted shell": [str(world.shims / "shellgate-sh"), "-c", " ".join(FORCE)],
        "shellgate-sh": [_tool("shellgate-sh"), "--config", config, "-c", " ".join(FORCE)],
        "shellgate run": [_tool("shellgate"), "--config", config, "run", "--", *FORCE],
    }


# The console scripts pip writes start Python without -I, so Python's own variables reach
# them; the shims and the installed restricted shell are the isolated entry points. (The
# venv's shellgate-sh is still caught: the script it runs finds git's shim first.)
_NOT_ISOLATED = {("shellgate run", "PYTHONPATH")}
# PYTHONINSPECT keeps a non-isolated Python alive after the refusal: nothing runs, but the
# exit status is the interactive prompt's, not 126.
_EXIT_STATUS_ONLY = {("shellgate-sh", "PYTHONSTARTUP"), ("shellgate run", "PYTHONSTARTUP")}

ENV_CASES = [(entry, hijack) for entry in ("shim", "restricted shell", "shellgate-sh",
                                           "shellgate run")
             for hijack in ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONSTARTUP", "HOME",
                            "XDG", *SHELLGATE_VARIABLES)]


def _console_scripts_isolated() -> bool:
    """install.sh rewrites the console scripts' #! line to ``python -I``; pip alone does not."""
    try:
        with open(BIN / "shellgate", "rb") as handle:
            return handle.readline().rstrip().endswith(b" -I")
    except OSError:
        return False


def _param(entry: str, hijack: str) -> object:
    if (entry, hijack) in _NOT_ISOLATED and not _console_scripts_isolated():
        return pytest.param(entry, hijack, marks=pytest.mark.xfail(
            strict=True, reason="gap: pip's console scripts run Python without -I "
            "(docs/residual-risk.md); the shims and the installed shellgate-sh are isolated"))
    return pytest.param(entry, hijack)


@pytest.mark.parametrize(("entry", "hijack"), [_param(e, h) for e, h in ENV_CASES])
def test_environment_does_not_weaken_the_gate(world: World, entry: str, hijack: str) -> None:
    result = world.run(_entry_points(world)[entry], _env_hijacks(world)[hijack])
    assert world.ran() == "", f"the gated command ran: {result.stderr}"
    if hijack == "PYTHONHOME":  # Python cannot start: nothing is decided, nothing runs
        assert result.returncode != 0
    elif (entry, hijack) not in _EXIT_STATUS_ONLY:
        assert result.returncode == 126, result.stderr


TEXT_CASES = {
    "function named shellgate": "shellgate(){ :; }; git push --force",
    "alias named shellgate": "alias shellgate=true; git push --force",
    "function named git": 'git(){ command git "$@"; }; git push --force',
    "alias named git": "alias git='command git'; git push --force",
    "PATH reordered for the command": "PATH=REAL_BIN:$PATH git push --force",
    "PATH reordered for the line": "export PATH=REAL_BIN:/usr/bin; git push --force",
    "absolute path to the real git": "REAL_BIN/git push --force",
    "Python variables for the tool": "PYTHONPATH=EVIL PYTHONHOME=EVIL git push --force",
    "SHELLGATE_ variables for the tool": "SHELLGATE_DISABLE=1 SHELLGATE_BYPASS=1 git push -f",
    "HOME for the tool": "HOME=EVIL_HOME git push --force",
    "shellgate run under a hijacked Python": "PYTHONPATH=EVIL shellgate run -- git push -f",
    "shellgate run with the agent's config":
        "shellgate --config EVIL_HOME/.config/shellgate run -- git push --force",
    "BASH_ENV for a nested bash": "echo 'git push --force' > e.sh; BASH_ENV=e.sh bash -c :",
    "exported function for a nested bash":
        "env 'BASH_FUNC_ls%%=() { git push --force; }' bash -c ls",
}


@pytest.mark.parametrize("shell", ["restricted shell", "shellgate-sh"])
@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_command_text_does_not_weaken_the_gate(world: World, shell: str, name: str) -> None:
    text = (TEXT_CASES[name].replace("REAL_BIN", str(world.root / "bin"))
            .replace("EVIL_HOME", str(world.evil_home)).replace("EVIL", str(world.evil_python)))
    argv = _entry_points(world)[shell][:-1] + [text]
    result = world.run(argv)
    assert result.returncode == 126, result.stderr
    assert world.ran() == ""


@pytest.mark.parametrize("variable", ["BASH_ENV", "ENV", "BASH_FUNC_echo%%", "PROMPT_COMMAND",
                                      "PS4"])
@pytest.mark.parametrize("shell", ["restricted shell", "shellgate-sh"])
def test_shell_environment_runs_no_unseen_code(world: World, shell: str, variable: str) -> None:
    """An allowed script must not pick up code from the environment bash reads at start."""
    script = world.root / "evil.sh"
    script.write_text("git push --force\n")
    value = {"BASH_ENV": str(script), "ENV": str(script),
             "BASH_FUNC_echo%%": "() { git push --force; }",
             "PROMPT_COMMAND": "git push --force", "PS4": "$(git push --force)"}[variable]
    extra = {variable: value, "SHELLOPTS": "xtrace"} if variable == "PS4" else {variable: value}
    argv = _entry_points(world)[shell][:-1] + ["echo hi"]
    result = world.run(argv, extra)
    assert result.returncode == 0, result.stderr
    assert world.ran() == ""


def test_project_local_config_cannot_allow(world: World) -> None:
    project = world.root / "project"
    (project / ".shellgate" / "patterns").mkdir(parents=True, exist_ok=True)
    (project / ".shellgate.toml").write_text('disabled = true\nallow = ["*"]\n'
                                             '[[rule]]\nid = "git.force-push"\naction = "allow"\n')
    (project / ".shellgate" / "patterns" / "git.toml").write_text("# nothing\n")
    (project / ".shellgate" / "config.toml").write_text("hardened = false\n")
    for entry in _entry_points(world).values():
        result = world.run(entry, cwd=project)
        assert result.returncode == 126, result.stderr
        assert world.ran() == ""


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
def test_check_reports_gate_under_every_hijack(world: World) -> None:
    """``check`` (what hooks and humans read) is not swayed by the environment either."""
    hijacks = _env_hijacks(world)
    for name in ("HOME", "XDG", *SHELLGATE_VARIABLES):
        result = world.run([_tool("shellgate"), "--config", str(world.config), "check",
                            "--json", "-c", "git push --force"], hijacks[name])
        assert json.loads(result.stdout)["decision"] == "gate", (name, result.stdout)


_REAL_CONFIG = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".config"


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None
                    or not _REAL_CONFIG.is_dir(),
                    reason="needs root and ~/.config for a private mount over it")
def test_default_config_comes_from_the_password_database(world: World,
                                                         tmp_path: Path) -> None:
    """Without --config, shellgate reads the real user's home from the password database:
    HOME and XDG pointing at a config with no git rules and an agent's key change nothing.
    The real ~/.config is covered by an empty directory in a private mount namespace, so
    the user's own configuration is neither used nor touched."""
    fake = tmp_path / "config-dir"
    fake.mkdir()
    hijacks = _env_hijacks(world)
    for name in ("HOME", "XDG", "SHELLGATE_CONFIG", "SHELLGATE_SOFT_KEY"):
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", str(fake),
                str(_REAL_CONFIG), _tool("shellgate"), "run", "--", *FORCE]
        result = world.run(argv, hijacks[name])
        assert result.returncode == 126, (name, result.stderr)
        assert world.ran() == ""
    assert (fake / "shellgate" / "audit.jsonl").exists()  # it used the real user's home
