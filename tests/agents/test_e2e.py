"""shellgate inside the real agent CLIs, each driven by a fake model on 127.0.0.1 that asks
for one shell command.

For every agent: a harmless command runs; a destructive one on a scratch directory is
blocked without approval and shellgate's reason reaches the model (it is in the next
request the agent sends); with a software key enrolled it is approved and runs; and a
broken hook — missing interpreter, crash, hang past the timeout — blocks it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.agents import drivers
from tests.agents.fakemodel import FakeModel, Running

AGENTS = list(drivers.VERSIONS)
HARMLESS = "touch harmless-ran"
DESTRUCTIVE = "rm -r scratch"  # Codex refuses rm -rf by itself, before any hook
RULE = "fs.rm-recursive"
HOOK_TIMEOUT = 20
"""The hook timeout the tests install (shellgate answers well inside it)."""
SHELLGATE = str(Path(sys.executable).with_name("shellgate"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Outcome:
    """What one agent run did."""

    work: Path
    model: FakeModel
    result: subprocess.CompletedProcess[str]
    seconds: float

    def explain(self) -> str:
        """Context for a failed assertion."""
        return (f"exit {self.result.returncode} after {self.seconds:.1f}s\n"
                f"requests: {[(e.path, e.answer) for e in self.model.exchanges]}\n"
                f"tool results: {self.model.tool_results()[:1500]}\n"
                f"stdout: {self.result.stdout[-1500:]}\nstderr: {self.result.stderr[-1500:]}")


def shellgate(config: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SHELLGATE, "--config", str(config), *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def installed_hook_files(agent: str, home: Path) -> list[Path]:
    from shellgate.surfaces.hooks.agents import registry

    return [t.path for t in registry()[agent].targets(home, "x", [], HOOK_TIMEOUT)]


def break_hook(agent: str, home: Path, how: str, tmp: Path) -> None:
    """Replace the interpreter in the installed hook entry by a broken one."""
    if how == "missing":
        broken = str(tmp / "gone" / "python3")
    else:
        broken = str(tmp / f"{how}-python")
        body = "kill -SEGV $$" if how == "crash" else "exec sleep 600"
        Path(broken).write_text(f"#!/bin/sh\n{body}\n")
        os.chmod(broken, 0o700)
    changed = 0
    for path in installed_hook_files(agent, home):
        text = path.read_text()
        if sys.executable in text:
            path.write_text(text.replace(sys.executable, broken))
            changed += 1
    assert changed, f"no installed hook entry of {agent} names {sys.executable}"
    if agent == "codex":  # an edited hook is untrusted until trusted again
        from shellgate.surfaces.hooks.agents.codex import trust_installed

        trust_installed(home, str(drivers.BIN / "codex"))


def run_agent(agent: str, tmp: Path, command: str, *, enroll: bool = False,
              broken: str | None = None) -> Outcome:
    home, work, config = tmp / "home", tmp / "work", tmp / "config"
    home.mkdir()
    (work / "scratch").mkdir(parents=True)
    (work / "scratch" / "data.txt").write_text("keep me unless approved\n")
    model = FakeModel(command=command)
    with Running(model) as server:
        run = drivers.prepare(agent, home, server.url)
        if enroll:
            done = shellgate(config, "enroll", "--soft", str(tmp / "key.json"), env=run.env)
            assert done.returncode == 0, done.stderr
        done = shellgate(config, "hook-install", agent, "--home", str(home),
                         "--hook-timeout", str(HOOK_TIMEOUT), env=run.env)
        assert done.returncode == 0, done.stdout + done.stderr
        if broken:
            break_hook(agent, home, broken, tmp)
        started = time.monotonic()
        result = subprocess.run(run.argv, cwd=work, env=run.env, capture_output=True,
                                text=True, timeout=240, stdin=subprocess.DEVNULL, check=False)
        seconds = time.monotonic() - started
    return Outcome(work, model, result, seconds)


@pytest.fixture(autouse=True)
def _clis(agent_clis: Path) -> None:
    """Every test here needs the pinned CLIs."""


@pytest.mark.parametrize("agent", AGENTS)
def test_harmless_command_runs(agent: str, tmp_path: Path) -> None:
    out = run_agent(agent, tmp_path, HARMLESS)
    assert out.model.tool_calls(), out.explain()
    assert (out.work / "harmless-ran").exists(), out.explain()
    assert out.model.followups(), out.explain()


@pytest.mark.parametrize("agent", AGENTS)
def test_destructive_command_is_blocked_and_the_model_reads_why(agent: str,
                                                                 tmp_path: Path) -> None:
    out = run_agent(agent, tmp_path, DESTRUCTIVE)
    assert out.model.tool_calls(), out.explain()
    assert (out.work / "scratch" / "data.txt").exists(), out.explain()
    told = out.model.tool_results()
    assert RULE in told and "not approved" in told, out.explain()


@pytest.mark.parametrize("agent", AGENTS)
def test_destructive_command_runs_once_approved_with_the_software_key(
        agent: str, tmp_path: Path) -> None:
    out = run_agent(agent, tmp_path, DESTRUCTIVE, enroll=True)
    assert out.model.tool_calls(), out.explain()
    assert not (out.work / "scratch").exists(), out.explain()
    audit = shellgate(tmp_path / "config", "audit", "verify", env=drivers.base_env(tmp_path))
    assert audit.returncode == 0, audit.stdout + audit.stderr


@pytest.mark.parametrize("how", ["missing", "crash", "hang"])
@pytest.mark.parametrize("agent", AGENTS)
def test_broken_hook_blocks(agent: str, how: str, tmp_path: Path) -> None:
    out = run_agent(agent, tmp_path, DESTRUCTIVE, enroll=True, broken=how)
    assert out.model.tool_calls(), out.explain()
    assert (out.work / "scratch" / "data.txt").exists(), out.explain()
    assert out.model.followups(), out.explain()  # the agent went on, told it was blocked


def _capture(agent: str, home: Path, sink: Path) -> None:
    """Make the installed entry copy its stdin to ``sink`` before shellgate reads it."""
    for path in installed_hook_files(agent, home):
        text = path.read_text()
        if agent == "opencode":
            head = json.dumps(["/bin/sh", "-c", f'tee {sink} | "$0" "$@"'])[:-1] + ", "
            text = text.replace("const ARGV = [", "const ARGV = " + head, 1)
        else:
            data = json.loads(text)
            for handler in _handlers(data):
                for key in ("command", "bash"):
                    if isinstance(handler.get(key), str) and "shellgate" in handler[key]:
                        handler[key] = f"tee {sink} | {handler[key]}"
            text = json.dumps(data)
        path.write_text(text)
    if agent == "codex":
        from shellgate.surfaces.hooks.agents.codex import trust_installed

        trust_installed(home, str(drivers.BIN / "codex"))


def _handlers(value: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if isinstance(value, dict):
        if "command" in value or "bash" in value:
            found.append(value)
        for item in value.values():
            found.extend(_handlers(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_handlers(item))
    return found


def _shape(value: object, prefix: str = "") -> set[str]:
    """Every key path in a JSON value (``a.b`` for nested objects)."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            paths.add(prefix + key)
            paths |= _shape(item, prefix + key + ".")
    return paths


@pytest.mark.parametrize("agent", AGENTS)
def test_real_hook_input_has_the_captured_shape(agent: str, tmp_path: Path) -> None:
    """The committed fixture (tests/agents/fixtures/AGENT.json) is what this agent version
    really sends; SHELLGATE_RECAPTURE=1 rewrites it from the run."""
    home, work, config = tmp_path / "home", tmp_path / "work", tmp_path / "config"
    home.mkdir()
    work.mkdir()
    sink = tmp_path / "input.json"
    model = FakeModel(command=HARMLESS)
    with Running(model) as server:
        run = drivers.prepare(agent, home, server.url)
        done = shellgate(config, "hook-install", agent, "--home", str(home),
                         "--hook-timeout", str(HOOK_TIMEOUT), env=run.env)
        assert done.returncode == 0, done.stderr
        _capture(agent, home, sink)
        subprocess.run(run.argv, cwd=work, env=run.env, capture_output=True, text=True,
                       timeout=240, stdin=subprocess.DEVNULL, check=False)
    assert (work / "harmless-ran").exists()
    captured = json.loads(sink.read_text())
    fixture = FIXTURES / f"{agent}.json"
    if os.environ.get("SHELLGATE_RECAPTURE") == "1":
        fixture.write_text(json.dumps(captured, indent=2, sort_keys=True) + "\n")
    assert _shape(captured) == _shape(json.loads(fixture.read_text()))


def test_codex_trust_is_written_by_install_and_checked_by_doctor(tmp_path: Path) -> None:
    """Codex skips an untrusted hook without a word: install records the trust through
    Codex itself; once the entry changes, Codex holds it as untrusted and doctor says so."""
    home, config = tmp_path / "home", tmp_path / "config"
    home.mkdir()
    env = drivers.base_env(home)
    done = shellgate(config, "hook-install", "codex", "--home", str(home), env=env)
    assert "codex: trusted shellgate's hook" in done.stdout, done.stdout + done.stderr
    doctor = shellgate(config, "doctor", "--home", str(home), env=env).stdout
    assert "codex trusts shellgate's hook (hooks/list: trusted)" in doctor
    assert "PROBLEM codex" not in doctor
    hooks = home / ".codex" / "hooks.json"
    data = json.loads(hooks.read_text())
    data["hooks"]["PreToolUse"][0]["hooks"][0]["statusMessage"] = "edited by hand"
    hooks.write_text(json.dumps(data))
    doctor = shellgate(config, "doctor", "--home", str(home), env=env).stdout
    assert "PROBLEM codex: Codex holds shellgate's hook as modified" in doctor or \
        "PROBLEM codex: Codex holds shellgate's hook as untrusted" in doctor, doctor
