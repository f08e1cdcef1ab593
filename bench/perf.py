"""How much shellgate adds to the commands it lets through, measured as ratios.

Run with the project's own venv: ``.venv/bin/python bench/perf.py [--rounds N] [--quick]``.
Every scenario runs as a real process, interleaved round by round with its baseline, so
that machine noise hits both; each figure is a median, and each ratio is the scenario's
added time divided by the bare interpreter start (``python -I -S -c pass``) measured in
the same rounds. Peak memory is each scenario's maximum resident set, from one more run
under GNU ``time`` (``%M``): GNU time forks its child from its own small image, where
``wait4`` on a child of this (larger) process would report this process's size as a floor.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
Run = list[str]
Scenario = tuple[Run, bytes]
GNU_TIME = shutil.which("time", path="/usr/bin:/bin")


def timed(argv: Run, stdin: bytes = b"", env: dict[str, str] | None = None) -> float:
    """Wall seconds of one run of ``argv`` with ``stdin``."""
    started = time.perf_counter()
    subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False, env=env)
    return time.perf_counter() - started


def peak_kib(argv: Run, stdin: bytes = b"", env: dict[str, str] | None = None) -> int | None:
    """Maximum resident set (KiB) of one run, by GNU time; None without GNU time."""
    if GNU_TIME is None:
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
        subprocess.run([GNU_TIME, "-f", "%M", "-o", out.name, *argv], input=stdin,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env=env)
        text = out.read().strip().splitlines()
    return int(text[-1]) if text and text[-1].isdigit() else None


def measure(scenarios: dict[str, Scenario], rounds: int) -> dict[str, tuple[float, int | None]]:
    """Median seconds per scenario, scenarios interleaved in every round; peak memory."""
    return {name: (median, peak) for name, (median, _p90, peak) in
            measure_p90(scenarios, rounds).items()}


def measure_p90(scenarios: dict[str, Scenario], rounds: int,
                env: dict[str, str] | None = None,
                prompted: dict[str, Scenario] | None = None,
                ) -> dict[str, tuple[float, float, int | None]]:
    """(median, 90th percentile, peak KiB) per scenario, all interleaved in every round.

    ``prompted`` scenarios are timed until they print the key-touch prompt
    (``payloads.until_prompt``) rather than until they exit."""
    from payloads import until_prompt

    prompted = prompted or {}
    everything = {**scenarios, **prompted}
    times: dict[str, list[float]] = {name: [] for name in everything}
    names = list(everything)
    for round_index in range(rounds):
        order = names[round_index % len(names):] + names[:round_index % len(names)]
        for name in order:
            if name in prompted:
                seconds = until_prompt(*prompted[name], env=env or dict(os.environ))
                if seconds is not None:
                    times[name].append(seconds)
            else:
                times[name].append(timed(*everything[name], env=env))
    out: dict[str, tuple[float, float, int | None]] = {}
    for name in names:
        values = sorted(times[name]) or [float("nan")]
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        out[name] = (statistics.median(values), p90, peak_kib(*everything[name], env=env))
    return out


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else name


def prepare(workdir: Path, config_name: str = "config", tools: str = "git",
            env: dict[str, str] | None = None) -> dict[str, object]:
    """A config dir with warm caches, a shims dir when `install` exists, a git repo."""
    config = workdir / config_name
    subprocess.run([tool("shellgate"), "--config", str(config), "check", "-c", "true"],
                   check=True, stdout=subprocess.DEVNULL)
    repo = workdir / "repo"
    if not repo.exists():
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    shims = workdir / f"shims-{config_name}"
    home = workdir / f"home-{config_name}"
    home.mkdir()
    installed = subprocess.run([tool("shellgate"), "--config", str(config), "install",
                                "--shims-dir", str(shims), "--tools", tools,
                                "--no-shell-config", "--no-agent-config",
                                "--home", str(home)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return {"config": str(config), "repo": str(repo),
            "shims": str(shims) if installed == 0 and (shims / "git").exists() else None}


def unrelated_rules(directory: Path, files: int) -> None:
    """``files`` pattern files for tools nobody runs (the "10 times the rule files" scenario)."""
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(files):
        rules = "".join(
            f'[[rule]]\nid = "unrelated{n}.r{k}"\nsummary = "s"\nwhy = "w"\nseverity = "low"\n'
            f'tool = "faketool{n}x{k}"\ncommand = ["destroy"]\n'
            f'[rule.examples]\ngate = ["faketool{n}x{k} destroy"]\n'
            f'pass = ["faketool{n}x{k} list"]\n'
            for k in range(8))
        (directory / f"unrelated{n}.toml").write_text(rules)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--quick", action="store_true", help="few rounds: only check it runs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", choices=("all", "payloads", "plain"), default="all",
                        help="payloads: only the payload, gated and size scenarios")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    python = str(BIN / "python")
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="shellgate-bench-") as tmp:
        work = Path(tmp)
        if args.only == "payloads":
            results["payloads"] = payload_paths(work, python, rounds)
            report(results) if not args.json else print(json.dumps(results, indent=2))
            return 0
        env = prepare(work)
        config, repo = str(env["config"]), str(env["repo"])
        git = shutil.which("git") or "git"
        scenarios = {
            "python -I -S -c pass": _bind([python, "-I", "-S", "-c", "pass"]),
            "git --version (real)": _bind([git, "--version"]),
        }
        if env["shims"]:
            shim = str(Path(str(env["shims"])) / "git")
            scenarios["git --version (shim)"] = _bind([shim, "--version"])
        # plain: words and operators only, decided by the fast path; engine: a script with
        # quotes and an expansion, decided by the full parser and rules. No shimmed tool in
        # either, so the figure is the restricted shell's own.
        scripts = {"plain": "uname -a && ls -la | grep -c 'r'",
                   "engine": f'cd {repo} && ls -la | head -5 && echo "in $PWD"'}
        shell = restricted_shell(env, config)
        for kind, script in scripts.items():
            scenarios[f"bash -c ({kind})"] = _bind(["bash", "-c", script])
            scenarios[f"shellgate-sh -c ({kind})"] = _bind([*shell, "-c", script])
            # the hook command exactly as `shellgate install --agent` writes it
            scenarios[f"hook claude-code ({kind})"] = _bind(
                installed_hook(python, config), _hook_input(repo, script))
        measured = measure(scenarios, rounds)
        base = measured["python -I -S -c pass"][0]

        def added(name: str, reference: str) -> float:
            return round((measured[name][0] - measured[reference][0]) / base, 2)

        results["runs"] = {k: {"median_ms": round(v[0] * 1000, 2), "peak_rss_kib": v[1]}
                           for k, v in measured.items()}
        ratios: dict[str, float] = {}
        if env["shims"]:
            ratios["shim: added / bare interpreter start"] = added(
                "git --version (shim)", "git --version (real)")
        for kind in scripts:
            ratios[f"restricted shell ({kind}): added / bare interpreter start"] = added(
                f"shellgate-sh -c ({kind})", f"bash -c ({kind})")
            ratios[f"hook call ({kind}): total / bare interpreter start"] = round(
                measured[f"hook claude-code ({kind})"][0] / base, 2)
        results["ratios"] = ratios
        results["scan"] = scan_throughput(config, 300 if args.quick else 5000)
        results["scaling"] = scaling(work, config, rounds)
        if args.only == "all":
            results["payloads"] = payload_paths(work, python, rounds)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        report(results)
    return 0


def restricted_shell(env: dict[str, object], config: str) -> Run:
    """``shellgate-sh`` as ``shellgate install`` writes it into the shims directory (what
    agents run); the console script with ``--config`` when there are no shims."""
    if env["shims"]:
        return [str(Path(str(env["shims"])) / "shellgate-sh")]
    return [tool("shellgate-sh"), "--config", config]


def installed_hook(python: str, config: str) -> Run:
    """The argv of the hook line ``shellgate install --agent claude-code`` writes (with the
    outer ``timeout`` when coreutils has it; without the ``|| …`` fallback, which only
    runs when the hook fails)."""
    from shellgate.install.agent_entries import FALLBACK, hook_command

    line = hook_command(python, Path(config), "claude-code").removesuffix(" || " + FALLBACK)
    return shlex.split(line)


def payload_paths(work: Path, python: str, rounds: int) -> dict[str, object]:
    """Hook and restricted-shell paths on payloads, gated commands and large commands, as
    installed, interleaved with the bare interpreter start and their bash baselines."""
    import payloads as p

    stubs_path = p.make_stubs(work / "stubs")
    env = {**os.environ, "PATH": stubs_path}
    installed = prepare(work, "payload-config", "git,curl,psql,redis-cli,mongosh", env)
    config, repo = str(installed["config"]), str(installed["repo"])
    hook, shell = installed_hook(python, config), restricted_shell(installed, config)
    scenarios: dict[str, Scenario] = {"python -I -S -c pass": _bind([python, "-I", "-S", "-c",
                                                                     "pass"])}
    commands = p.allowed_commands(work)
    for name, command in commands.items():
        scenarios[f"hook: {name}"] = _bind(hook, _hook_input(repo, command))
        scenarios[f"bash -c: {name}"] = _bind(["bash", "-c", command])
        scenarios[f"shellgate-sh -c: {name}"] = _bind([*shell, "-c", command])
    if installed["shims"]:
        scenarios['psql -c "SELECT 1" (stub)'] = _bind([str(work / "stubs" / "psql"), "-c",
                                                        "SELECT 1"])
        scenarios['psql -c "SELECT 1" (shim)'] = _bind([str(Path(str(installed["shims"]))
                                                            / "psql"), "-c", "SELECT 1"])
    for label, size in (("100 KiB", 100 * 1024), ("1 MiB", 1024 * 1024)):
        big = p.large_command(size)
        scenarios[f"hook: {label} command"] = _bind(hook, _hook_input(repo, big))
        script = work / f"large-{size}.sh"  # a -c string is capped at 128 KiB by the kernel
        script.write_text(big + "\n")
        scenarios[f"bash FILE: {label} command"] = _bind(["bash", str(script)])
        scenarios[f"shellgate-sh FILE: {label} command"] = _bind([*shell, str(script)])
    gated_dir = work / "gated"
    gated_dir.mkdir()
    p.soft_key_config(tool("shellgate"), gated_dir / "config", gated_dir)
    gated = prepare(gated_dir, "config", "git,curl", env)  # shims bound to that config
    gated_config = str(gated["config"])
    gated_shell = restricted_shell(gated, gated_config)
    gated_hook = installed_hook(python, gated_config)
    prompted: dict[str, Scenario] = {}
    for name, command in (("git push --force", "git push --force origin main"),
                          ("graphql mutation (PocketOS)", p.MUTATION)):
        prompted[f"hook until prompt: {name}"] = _bind(gated_hook, _hook_input(
            repo, command, "toolu_bench"))
        prompted[f"shellgate-sh until prompt: {name}"] = _bind([*gated_shell, "-c", command])
    measured = measure_p90(scenarios, rounds, env, prompted)
    base = measured["python -I -S -c pass"][0]
    runs = {k: {"median_ms": round(v[0] * 1000, 2), "p90_ms": round(v[1] * 1000, 2),
                "peak_rss_kib": v[2]} for k, v in measured.items()}
    ratios: dict[str, float] = {}

    def ratio(name: str, reference: str | None = None) -> None:
        key = f"{name}: {'added' if reference else 'total'} / bare interpreter start"
        extra = measured[reference][0] if reference else 0.0
        ratios[key] = round((measured[name][0] - extra) / base, 2)

    for name in commands:
        ratio(f"hook: {name}")
        ratio(f"shellgate-sh -c: {name}", f"bash -c: {name}")
    if installed["shims"]:
        ratio('psql -c "SELECT 1" (shim)', 'psql -c "SELECT 1" (stub)')
    for label in ("100 KiB", "1 MiB"):
        ratio(f"hook: {label} command")
        ratio(f"shellgate-sh FILE: {label} command", f"bash FILE: {label} command")
    for name in prompted:
        ratio(name)
    return {"runs": runs, "ratios": ratios}


def _bind(argv: Run, stdin: bytes = b"") -> Scenario:
    return argv, stdin


def _hook_input(cwd: str, command: str, tool_use_id: str | None = None) -> bytes:
    payload: dict[str, object] = {"session_id": "b", "hook_event_name": "PreToolUse",
                                  "tool_name": "Bash", "cwd": cwd,
                                  "tool_input": {"command": command}}
    if tool_use_id is not None:
        payload["tool_use_id"] = tool_use_id
    return json.dumps(payload).encode()


def scan_throughput(config: str, count: int) -> dict[str, float | None]:
    """Milliseconds per command for `shellgate scan`, process start included."""
    files = sorted((ROOT / "tests" / "corpus").glob("*.jsonl"))
    corpus = [json.loads(line)["cmd"] for path in files
              for line in path.read_text().splitlines() if line.strip()]
    lines = [json.dumps({"cmd": corpus[i % len(corpus)]}) for i in range(count)]
    argv, data = [tool("shellgate"), "--config", config, "scan"], ("\n".join(lines) + "\n").encode()
    seconds = timed(argv, data)
    return {"commands": count, "ms_per_command": round(1000 * seconds / count, 3),
            "peak_rss_kib": peak_kib(argv, data)}


def scaling(work: Path, config: str, rounds: int) -> dict[str, object]:
    """Decision time by command length, nesting depth, and unrelated rule files."""
    def check(cfg: str, text: str) -> Scenario:
        return [tool("shellgate"), "--config", cfg, "check", "-c", text], b""

    sizes = {f"{n // 1024} KiB": "echo " + "a" * n for n in (1024, 16 * 1024, 256 * 1024,
                                                              1024 * 1024)}
    depths = {f"depth {d}": _nested(d) for d in (1, 16, 128)}
    many = work / "many"
    subprocess.run([tool("shellgate"), "--config", str(many), "check", "-c", "true"],
                   stdout=subprocess.DEVNULL)
    unrelated_rules(many / "patterns", 10 * 28)
    subprocess.run([tool("shellgate"), "--config", str(many), "check", "-c", "true"],
                   stdout=subprocess.DEVNULL)
    def scan_one(text: str) -> Scenario:
        line = (json.dumps({"cmd": text}) + "\n").encode()
        return [tool("shellgate"), "--config", config, "scan"], line

    # one command per process through `scan` (a single argv string is capped at 128 KiB)
    scenarios = {f"length {k}": scan_one(v) for k, v in sizes.items()}
    scenarios.update({f"nesting {k}": check(config, v) for k, v in depths.items()})
    # text built to make backtracking regexes quadratic: each must stay linear
    for name, make in HOSTILE.items():
        for size in (64, 256):
            scenarios[f"hostile {name} {size} KiB"] = scan_one(make(size * 1024))
    for kind, script in (("plain", "git status"), ("engine", 'git status | grep "$X"')):
        for label, cfg in (("x1", config), ("x11", str(many))):
            scenarios[f"rules {label}: shellgate-sh -c ({kind})"] = _bind(
                [tool("shellgate-sh"), "--config", cfg, "-c", script])
    measured = measure(scenarios, max(3, rounds // 3))
    out: dict[str, object] = {k: {"median_ms": round(v[0] * 1000, 1), "peak_rss_kib": v[1]}
                              for k, v in measured.items()}
    for name in HOSTILE:
        out[f"hostile {name} 256 / 64 KiB (linear: about 4 or less)"] = round(
            measured[f"hostile {name} 256 KiB"][0] / measured[f"hostile {name} 64 KiB"][0], 2)
    for kind in ("plain", "engine"):
        out[f"rules x11 / x1 ({kind})"] = round(
            measured[f"rules x11: shellgate-sh -c ({kind})"][0] /
            measured[f"rules x1: shellgate-sh -c ({kind})"][0], 3)
    return out


HOSTILE: dict[str, Callable[[int], str]] = {
    "unclosed brace": lambda n: "echo {" + "," * n,
    "printf zeros": lambda n: "printf %" + "0" * n,
    "ruby %x openers": lambda n: "ruby -e '" + "%x{" * (n // 3) + "'",
    "quotes and dollars": lambda n: "echo " + "\"$(" * (n // 3),
}
"""Commands of about n bytes aimed at quadratic scans."""


def _nested(depth: int) -> str:
    """``echo $(echo $(… git status))``: nesting that grows linearly with depth."""
    return "echo " + "$(echo " * depth + "git status" + ")" * depth


def report(results: dict[str, object]) -> None:
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for section, values in results.items():
        print(f"\n{section}:")
        if isinstance(values, dict):
            for key, value in values.items():
                print(f"  {key}: {value}")


if __name__ == "__main__":
    sys.exit(main())
