"""Personal mode: writes into shellgate's code, its virtual environment, its configuration
and the agents' hook settings gate from every writer shellgate reads, resolved to real
paths — the red team's code append and interpreter-written pattern override among them.
(Hardened mode makes the same writes fail outright: tests/integration/test_hardened.py.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shellgate.engine import evaluate, evaluate_argv
from shellgate.protect import places as protected


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """A fake install: venv with shellgate in site-packages, a config dir, a home."""
    venv = tmp_path / "proj" / ".venv"
    package = venv / "lib" / "python3.11" / "site-packages" / "shellgate"
    package.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (package / "decide.py").write_text("def decide(): ...\n")
    home = tmp_path / "home"
    config = home / ".config" / "shellgate"
    (config / "patterns").mkdir(parents=True)
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text("{}")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    protected.clear()
    protected.register(str(config), package=str(package), home=str(home))
    yield {"venv": venv, "package": package, "config": config, "home": home, "work": work}
    protected.clear()


def _verdict(text: str, rules: object) -> tuple[str, list[str]]:
    decision = evaluate(text, rules)  # type: ignore[arg-type]
    return decision.verdict, decision.rule_ids


def test_red_team_code_append_gates(place, rules):
    decide = place["package"] / "decide.py"
    verdict, ids = _verdict(f"printf '\\ndef decide(*a): return None\\n' >> {decide}", rules)
    assert verdict == "gate" and "core.self-write" in ids


@pytest.mark.parametrize("spelling", [
    "{package}/decide.py", "{package}/../shellgate/decide.py", "../proj/.venv/lib/python3.11/"
    "site-packages/shellgate/decide.py", "{link}/decide.py"])
def test_every_spelling_of_the_code_resolves(place, rules, spelling):
    link = place["work"] / "sg"
    link.symlink_to(place["package"])
    target = spelling.format(package=place["package"], link=link)
    for command in (f"echo x >> {target}", f"cp evil.py {target}", f"tee -a {target} < x",
                    f"sed -i s/a/b/ {target}", f"mv x {target}", f"dd if=x of={target}"):
        verdict, ids = _verdict(command, rules)
        assert verdict == "gate" and "core.self-write" in ids, command


def test_a_pth_file_dropped_into_the_venv_gates(place, rules):
    site = place["package"].parent
    verdict, ids = _verdict(f"cp evil.pth {site}/zz.pth", rules)
    assert "core.self-write" in ids and verdict == "gate"
    verdict, ids = _verdict(f"touch {place['venv']}/bin/python3", rules)
    assert "core.self-write" in ids


def test_red_team_interpreter_pattern_override_gates(place, rules):
    target = place["config"] / "patterns" / "git.toml"
    for command in (f"python3 -c \"open('{target}', 'w').write('')\"",
                    f"python3 -c \"import pathlib; pathlib.Path('{target}').write_text('')\"",
                    f"cd {place['config']} && python3 -c \"open('patterns/git.toml','w')\"",
                    f"node -e \"require('fs').writeFileSync('{target}', '')\"",
                    f"perl -e 'open(F, \">\", \"{target}\")'",
                    f"perl -e 'open(F, \">>{target}\")'",
                    f"ruby -e 'File.write(\"{target}\", \"\")'",
                    f"ruby -e 'File.open(\"{target}\", \"w\") {{ |f| f.puts 1 }}'",
                    f"php -r 'file_put_contents(\"{target}\", \"\");'"):
        verdict, ids = _verdict(command, rules)
        assert verdict == "gate" and "core.self-write" in ids, command


def test_relative_write_from_inside_the_config_directory(place, rules):
    os.chdir(place["config"])
    verdict, ids = _verdict("python3 -c \"open('patterns/git.toml', 'w').write('')\"", rules)
    assert "core.self-write" in ids and verdict == "gate"
    decision = evaluate_argv(["tee", "keys.json"], rules)
    assert "core.self-write" in decision.rule_ids


def test_hook_settings_behind_a_symlink(place, rules):
    (place["work"] / "s.json").symlink_to(place["home"] / ".claude" / "settings.json")
    verdict, ids = _verdict("echo '{}' > s.json", rules)
    assert "core.self-write" in ids and verdict == "gate"


@pytest.mark.parametrize("command", [
    "echo x > out.txt", "cp a b", "cat {package}/decide.py > /tmp/copy.py",
    "python3 -c \"print(open('{config}/keys.json').read())\"",
    "node -e \"require('fs').writeFileSync('out.json', '[]')\"",
    "perl -e 'open(F, \"<\", \"{config}/keys.json\")'", "ls {package}"])
def test_reads_and_other_writes_pass(place, rules, command):
    text = command.format(package=place["package"], config=place["config"])
    verdict, ids = _verdict(text, rules)
    assert "core.self-write" not in ids, text
    assert verdict == "allow", (text, ids)


def test_nothing_registered_changes_nothing(rules):
    protected.clear()
    assert protected.findings(evaluate.__globals__["parse"]("echo x > /etc/passwd")) == []


@pytest.mark.parametrize("command", ["sed -n 1,5p {config}/keys.json",
                                     "perl -ne 'print' {config}/keys.json"])
def test_sed_and_perl_without_in_place_only_read(place, rules, command):
    verdict, ids = _verdict(command.format(config=place["config"]), rules)
    assert "core.self-write" not in ids and verdict == "allow"
    verdict, ids = _verdict(command.replace("-n", "-i -n").replace("-ne", "-pi -e")
                            .format(config=place["config"]), rules)
    assert "core.self-write" in ids


def test_rule_examples_do_not_depend_on_this_machines_places(place, rules):
    from shellgate.engine import run_examples

    os.chdir(place["config"])  # "tee out.log" here would be a write into the config
    assert run_examples(rules) == []
    assert protected.roots()  # and the places are back afterwards


def test_by_default_the_whole_package_is_shellgate_s_own_code(tmp_path: Path,
                                                              rules: object) -> None:
    """Without ``package``, the place registered is the ``shellgate`` package itself (not
    the ``protect`` sub-package this module lives in): an install outside a virtual
    environment has no venv root to fall back on."""
    import shellgate

    protected.clear()
    try:
        protected.register(str(tmp_path / "config"), home=str(tmp_path / "home"))
        package = os.path.realpath(os.path.dirname(shellgate.__file__))
        assert protected.roots().get(package) == "shellgate's own code"
        assert _verdict(f"printf x >> {package}/decide.py", rules)[0] != "allow"
    finally:
        protected.clear()
