"""Layers: shipped packs, user files, project files — what tightens applies at once, what
weakens only while its exact content is accepted, and a project file never weakens."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shellgate.engine import evaluate
from shellgate.errors import RuleFileError
from shellgate.rules.index import layer_files, pattern_paths, shipped_patterns_dir
from shellgate.rules.policy import APPLIED, EDITED, NOT_ACCEPTED, PROJECT, Policy, build_policy

HOME = "/home/u"
TODAY = "2026-06-01"


@pytest.fixture(autouse=True)
def _own_protected_places(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Config.at`` registers protected places process-wide; keep this module's configs
    from changing what later tests decide."""
    from shellgate.protect import places

    monkeypatch.setattr(places, "_ROOTS", dict(places.roots()))
SHIPPED = [(p, "shipped") for p in pattern_paths(shipped_patterns_dir(), None)]

LOCAL = '''
[[override]]
rule = "git.force-push"
action = "deny"

[[override]]
rule = "fs.rm-recursive"
action = "off"

[[exception]]
rule = "git.reset-hard"
paths = ["~/scratch/**"]
why = "throwaway clones"

[packs]
off = ["vercel"]

[[rule]]
id = "local.make-deploy"
summary = "make deploy ships"
why = "CI deploys"
severity = "high"
tool = "make"
command = ["deploy"]
'''


def policy(tmp_path: Path, files: dict[str, str], accepted: dict[str, str] | None = None,
           project: str | None = None) -> Policy:
    layers = list(SHIPPED)
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text)
        layers.append((str(path), "user"))
    if project is not None:
        path = tmp_path / ".shellgate.toml"
        path.write_text(project)
        layers.append((str(path), "project"))
    return build_policy(layers, accepted or {}, HOME, TODAY)


def states(result: Policy) -> dict[tuple[str, str], str]:
    return {(c.kind, c.target): c.state for c in result.changes}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_unaccepted_file_tightens_at_once_and_sets_weakening_aside(tmp_path: Path) -> None:
    result = policy(tmp_path, {"local.toml": LOCAL})
    assert states(result) == {("override", "git.force-push"): APPLIED,
                              ("override", "fs.rm-recursive"): NOT_ACCEPTED,
                              ("exception", "git.reset-hard"): NOT_ACCEPTED,
                              ("pack-off", "vercel"): NOT_ACCEPTED}
    rules = result.rules
    assert evaluate("git push --force", rules).verdict == "deny"
    assert evaluate("rm -rf data", rules).verdict == "gate"
    assert evaluate("make deploy", rules).rule_ids == ["local.make-deploy"]
    assert evaluate("vercel remove app --yes", rules).verdict == "gate"
    assert rules.exceptions == ()
    assert result.files[0].acceptance == "not accepted"


def test_accepted_content_applies_every_change(tmp_path: Path) -> None:
    path = str(tmp_path / "local.toml")
    result = policy(tmp_path, {"local.toml": LOCAL}, {path: digest(LOCAL)})
    assert set(states(result).values()) == {APPLIED}
    rules = result.rules
    assert evaluate("rm -rf data", rules).verdict == "allow"
    assert not any(r.id.startswith("vercel.") for r in rules.rules)
    assert [e.rule for e in rules.exceptions] == ["git.reset-hard"]
    assert rules.exceptions[0].paths == ("/home/u/scratch/**",)
    assert "vercel.remove" in result.defined  # switched off, still explained


def test_an_edit_after_acceptance_sets_weakening_aside(tmp_path: Path) -> None:
    path = str(tmp_path / "local.toml")
    result = policy(tmp_path, {"local.toml": LOCAL + "\n# edited\n"}, {path: digest(LOCAL)})
    assert states(result)[("override", "fs.rm-recursive")] == EDITED
    assert evaluate("rm -rf data", result.rules).verdict == "gate"
    assert evaluate("git push --force", result.rules).verdict == "deny"


def test_lowering_severity_or_deny_to_gate_is_a_weakening(tmp_path: Path) -> None:
    text = ('[[override]]\nrule = "fs.rm-recursive"\nseverity = "low"\n'
            '[[override]]\nrule = "fs.rm-recursive"\nseverity = "critical"\n')
    result = policy(tmp_path, {"a.toml": text})
    assert [c.state for c in result.changes] == [NOT_ACCEPTED, APPLIED]
    assert next(r for r in result.rules.rules if r.id == "fs.rm-recursive").severity == \
        "critical"


def test_legacy_copy_redefining_a_shipped_rule_keeps_both_until_accepted(tmp_path: Path,
                                                                         ) -> None:
    copy = ('[[rule]]\nid = "git.force-push"\nsummary = "s"\nwhy = "w"\nseverity = "low"\n'
            'tool = "git"\ncommand = ["push"]\n[[rule.match]]\nflags = ["--mirror"]\n')
    result = policy(tmp_path, {"git.toml": copy})
    assert states(result) == {("redefinition", "git.force-push"): NOT_ACCEPTED}
    assert evaluate("git push --force", result.rules).verdict == "gate"  # shipped still holds
    assert evaluate("git push --mirror", result.rules).verdict == "gate"
    path = str(tmp_path / "git.toml")
    accepted = policy(tmp_path, {"git.toml": copy}, {path: digest(copy)})
    assert evaluate("git push --force", accepted.rules).verdict == "allow"
    assert evaluate("git push --mirror", accepted.rules).verdict == "gate"
    assert evaluate("git reset --hard", accepted.rules).verdict == "gate"  # not dropped


def test_project_file_may_only_add_and_tighten(tmp_path: Path) -> None:
    project = LOCAL.replace("local.make-deploy", "project.make-deploy")
    result = policy(tmp_path, {}, project=project)
    assert states(result) == {("override", "git.force-push"): APPLIED,
                              ("override", "fs.rm-recursive"): PROJECT,
                              ("exception", "git.reset-hard"): PROJECT,
                              ("pack-off", "vercel"): PROJECT}
    assert evaluate("rm -rf data", result.rules).verdict == "gate"
    assert evaluate("git push --force", result.rules).verdict == "deny"
    assert evaluate("make deploy", result.rules).verdict == "gate"
    assert result.rules.exceptions == ()
    assert any("project file may only" in w for w in result.warnings())


def test_project_file_cannot_be_accepted_into_weakening(tmp_path: Path) -> None:
    project = LOCAL.replace("local.make-deploy", "project.make-deploy")
    path = str(tmp_path / ".shellgate.toml")
    result = policy(tmp_path, {}, {path: digest(project)}, project=project)
    assert states(result)[("exception", "git.reset-hard")] == PROJECT


def test_project_tool_description_of_a_known_tool_is_ignored(tmp_path: Path) -> None:
    result = policy(tmp_path, {}, project='[tools.git]\noptions_with_value = ["--force"]\n')
    assert states(result) == {("tool", "git"): PROJECT}
    assert evaluate("git push --force origin main", result.rules).verdict == "gate"


def test_expired_exception_is_ignored_loudly(tmp_path: Path) -> None:
    text = ('[[exception]]\nrule = "fs.rm-recursive"\npaths = ["~/scratch/**"]\n'
            'why = "w"\nexpires = 2026-05-31\n')
    path = str(tmp_path / "a.toml")
    result = policy(tmp_path, {"a.toml": text}, {path: digest(text)})
    assert states(result) == {("exception", "fs.rm-recursive"): "ignored: expired on 2026-05-31"}
    assert result.rules.exceptions == ()
    assert result.warnings()


@pytest.mark.parametrize(("text", "message"), [
    ('[[exception]]\nrule = "fs.nope"\npaths = ["~/x/**"]\nwhy = "w"\n',
     "a.toml:1 exception key 'rule': no rule has the id 'fs.nope'"),
    ('[[override]]\nrule = "core.parse-error"\naction = "off"\n',
     "core findings cannot be changed"),
    ('[[exception]]\nrule = "core.dynamic-command"\npaths = ["~/x/**"]\nwhy = "w"\n',
     "core findings cannot be changed"),
    ('[[exception]]\nrule = "fs.rm-recursive"\npaths = ["/**"]\nwhy = "w"\n',
     "'/**' covers the home directory"),
    ('[[exception]]\nrule = "fs.rm-recursive"\npaths = ["~/**"]\nwhy = "w"\n',
     "'~/**' covers the home directory"),
    ('[[exception]]\nrule = "fs.rm-recursive"\npaths = ["/tmp/**"]\nwhy = "w"\n',
     "covers a whole top-level directory"),
    ('[[exception]]\nrule = "fs.rm-recursive"\npaths = ["scratch/**"]\nwhy = "w"\n',
     "expected an absolute path"),
    ('[[exception]]\nrule = "fs.rm-recursive"\npaths = ["~/a/../../**"]\nwhy = "w"\n',
     "'..' are not allowed"),
    ('[[exception]]\nrule = "fs.rm-recursive"\npaths = ["~/x/**"]\n',
     "key 'why': expected a non-empty string"),
    ('[[exception]]\nrule = "fs.rm-recursive"\npaths = ["~/x/**"]\nwhy = "w"\n'
     'expires = "soon"\n', "key 'expires': expected a date"),
    ('\n\n[[override]]\nrule = "fs.rm-recursive"\naction = "allow"\n',
     "a.toml:3 override key 'action': expected off|gate|deny"),
    ('[[override]]\nrule = "fs.rm-recursive"\n', "needs an action, a severity, or both"),
    ('[[override]]\nrule = "fs.rm-recursive"\naction = "off"\ncolour = 1\n',
     "key 'colour': unknown key"),
    ('[packs]\noff = ["nopack"]\n', "no shipped pack is named 'nopack'"),
    ('[[rule]]\nid = "other.x"\n', "expected a string 'a.<name>'"),
    ('[[override]\n', "invalid TOML"),
])
def test_malformed_user_file_stops_with_file_and_line(tmp_path: Path, text: str,
                                                      message: str) -> None:
    with pytest.raises(RuleFileError, match=None) as raised:
        policy(tmp_path, {"a.toml": text})
    assert message in raised.value.message
    assert str(tmp_path / "a.toml") in raised.value.message


def test_duplicate_new_ids_across_user_files_are_refused(tmp_path: Path) -> None:
    rule = ('[[rule]]\nid = "{}.x"\nsummary = "s"\nwhy = "w"\nseverity = "low"\n'
            'tool = "t"\n')
    layers = list(SHIPPED)
    for name in ("p1", "p2"):
        sub = tmp_path / name
        sub.mkdir()
        (sub / "same.toml").write_text(rule.format("same"))
        layers.append((str(sub / "same.toml"), "user"))
    with pytest.raises(RuleFileError, match="duplicate id"):
        build_policy(layers, {}, HOME, TODAY)


def test_layer_files_find_every_project_file_above_cwd(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "patterns").mkdir(parents=True)
    (config / "patterns" / "mine.toml").write_text("")
    (tmp_path / ".shellgate.toml").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "a" / ".shellgate.toml").write_text("")
    layers = layer_files(str(config), str(deep))
    assert [layer for _, layer in layers].count("shipped") == len(SHIPPED)
    assert layers[len(SHIPPED):] == [
        (str(config / "patterns" / "mine.toml"), "user"),
        (str(tmp_path / ".shellgate.toml"), "project"),
        (str(tmp_path / "a" / ".shellgate.toml"), "project")]


def test_a_file_that_adds_rules_for_a_tool_keeps_the_generic_verbs_on_it(tmp_path: Path,
                                                                         ) -> None:
    base = build_policy(SHIPPED, {}, HOME, TODAY)
    assert evaluate("frobctl delete everything", base.rules).verdict == "gate"
    project = ('[[rule]]\nid = "project.frob-noop"\nsummary = "s"\nwhy = "w"\n'
               'severity = "low"\ntool = "frobctl"\ncommand = ["noop"]\n')
    result = policy(tmp_path, {}, project=project)
    assert "frobctl" in result.rules.layered_tools
    assert evaluate("frobctl delete everything", result.rules).verdict == "gate"
    assert evaluate("frobctl noop", result.rules).rule_ids == ["project.frob-noop"]
    assert "git" not in result.rules.layered_tools


def test_quick_index_keeps_generic_verbs_on_tools_ruled_only_by_user_files(tmp_path: Path,
                                                                          ) -> None:
    from shellgate.config import Config
    from shellgate.surfaces.fastpath import quick_allow

    (tmp_path / "patterns").mkdir()
    (tmp_path / "patterns" / "mine.toml").write_text(
        '[[rule]]\nid = "mine.noop"\nsummary = "s"\nwhy = "w"\nseverity = "low"\n'
        'tool = "frobctl"\ncommand = ["noop"]\n')
    Config.at(tmp_path).rules()
    assert quick_allow(["frobctl", "list"], str(tmp_path))
    assert not quick_allow(["frobctl", "noop"], str(tmp_path))
    assert not quick_allow(["frobctl", "delete", "x"], str(tmp_path))


def test_acceptance_state_and_project_files_key_the_quick_index(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                ) -> None:
    """A quick index compiled under one acceptance state, or without a project file, is
    not trusted under another."""
    from shellgate.config import Config
    from shellgate.surfaces.fastpath import quick_allow

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    Config.at(tmp_path / "config").rules()
    config = str(tmp_path / "config")
    assert quick_allow(["frobctl", "list"], config)
    (tmp_path / "config" / "accepted.jsonl").write_text("")
    assert not quick_allow(["frobctl", "list"], config)  # stale: the engine decides
    Config.at(tmp_path / "config").rules()
    assert quick_allow(["frobctl", "list"], config)
    (work / ".shellgate.toml").write_text(
        '[[rule]]\nid = "project.frob"\nsummary = "s"\nwhy = "w"\nseverity = "low"\n'
        'tool = "frobctl"\ncommand = ["list"]\n')
    assert not quick_allow(["frobctl", "list"], config)
    rules = Config.at(tmp_path / "config").rules()
    assert not quick_allow(["frobctl", "list"], config)  # now a rule: never fast-pathed
    assert evaluate("frobctl list", rules).rule_ids == ["project.frob"]


def test_surfaces_that_do_not_run_here_get_no_or_fewer_facts(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             ) -> None:
    """The interactive shell, database sessions and the broker decide for a process whose
    directory shellgate does not follow: no exception applies there; a hook never trusts
    ``~`` (the agent's shell session keeps its own HOME)."""
    from shellgate.config import Config
    from shellgate.rules.where import real_home

    text = ('[[exception]]\nrule = "fs.rm-recursive"\npaths = ["' + str(tmp_path) +
            '/work/**"]\nwhy = "w"\n')
    patterns = tmp_path / "config" / "patterns"
    patterns.mkdir(parents=True)
    (patterns / "a.toml").write_text(text)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("HOME", real_home() or "/")
    accepted = {str(patterns / "a.toml"): digest(text)}
    monkeypatch.setattr(Config, "accepted", lambda self: accepted)
    config = Config.at(tmp_path / "config")
    here = config.rules()
    assert here.where is not None and here.where.home is not None
    assert evaluate("rm -rf data", here).verdict == "allow"
    hook = config.rules(exceptions="no-tilde")
    assert hook.where is not None and hook.where.home is None
    assert evaluate("rm -rf data", hook).verdict == "allow"
    off = config.rules(exceptions="off")
    assert off.where is None and off.exceptions
    assert evaluate("rm -rf data", off).verdict == "gate"
