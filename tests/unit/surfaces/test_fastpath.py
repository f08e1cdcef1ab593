"""The shim's fast path may only ever skip work the engine would allow anyway."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from shellgate.config import Config
from shellgate.engine import evaluate_argv
from shellgate.parse import parse
from shellgate.surfaces.fastpath import quick_allow
from tests.conftest import corpus_and_examples


def _argvs() -> list[list[str]]:
    """Every corpus line and rule example that bash would run as one plain argv."""
    found: list[list[str]] = []
    for text in corpus_and_examples():
        script = parse(text)
        if len(script.commands) == 1 and not script.problems:
            command = script.commands[0]
            words = [w.value for w in command.argv]
            if words and None not in words and not command.redirects:
                found.append([w for w in words if w is not None])
    return found


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = Config.at(tmp_path_factory.mktemp("cfg"))
    config.rules()  # compiles the cache and the quick index
    return config


def test_fast_path_never_allows_what_the_engine_gates(config: Config) -> None:
    rules = config.rules()
    argvs = _argvs()
    assert len(argvs) > 1000
    fast = [a for a in argvs if quick_allow(a, str(config.directory))]
    assert len(fast) > 100  # it does take the fast path for ordinary commands
    wrong = [a for a in fast if evaluate_argv(a, rules).verdict != "allow"]
    assert wrong == []


def test_stale_index_sends_everything_to_the_engine(config: Config, tmp_path: Path) -> None:
    fresh = Config.at(tmp_path)
    fresh.rules()
    assert quick_allow(["git", "status"], str(tmp_path))
    user = tmp_path / "patterns"
    user.mkdir()
    (user / "mine.toml").write_text("")
    assert not quick_allow(["git", "status"], str(tmp_path))
    fresh.rules()
    assert quick_allow(["git", "status"], str(tmp_path))


def test_damaged_or_missing_index_is_never_an_allow(tmp_path: Path) -> None:
    assert not quick_allow(["git", "status"], str(tmp_path))
    Config.at(tmp_path).rules()
    index = tmp_path / "cache" / "quick.index"
    index.write_text(index.read_text()[:50])
    assert not quick_allow(["git", "status"], str(tmp_path))


def test_edited_pattern_file_invalidates_the_compiled_rules(tmp_path: Path) -> None:
    config = Config.at(tmp_path)
    assert config.rules().get("mine.block-ls") is None
    user = tmp_path / "patterns"
    user.mkdir()
    rule = ('[[rule]]\nid = "mine.block-ls"\nsummary = "s"\nwhy = "w"\nseverity = "low"\n'
            'tool = "ls"\n')
    (user / "mine.toml").write_text(rule)
    stamp = time.time() + 5
    os.utime(user / "mine.toml", (stamp, stamp))
    assert config.rules().get("mine.block-ls") is not None
    assert evaluate_argv(["ls"], config.rules()).verdict == "gate"
    assert not quick_allow(["ls"], str(tmp_path))


def test_names_and_words_with_spaces_cannot_confuse_the_index(tmp_path: Path) -> None:
    user = tmp_path / "patterns"
    user.mkdir()
    rules = "".join(
        f'[[rule]]\nid = "mine.r{n}"\nsummary = "s"\nwhy = "w"\nseverity = "low"\n'
        f'tool = "{tool}"\ncommand = [["{word}"]]\n'
        for n, (tool, word) in enumerate([("a b", "0"), ("a", "destroy"),
                                          ("aa", "x\\ntool x 0 0"), ("x", "p q")]))
    (user / "mine.toml").write_text(rules)
    Config.at(tmp_path).rules()
    assert quick_allow(["a", "list"], str(tmp_path))
    assert not quick_allow(["a", "destroy"], str(tmp_path))
    assert not quick_allow(["a", "0", "destroy"], str(tmp_path))
    assert not quick_allow(["x", "p"], str(tmp_path))  # "p q" cannot be written, nor a line
    assert not quick_allow(["aa", "y"], str(tmp_path))  # smuggled into "aa"s: engine
    assert not quick_allow(["a b", "0"], str(tmp_path))


def test_changed_shellgate_code_recompiles_the_index(tmp_path: Path) -> None:
    """An index built by other code (an upgrade that kept the version number) could miss a
    tool that became special since: it must not be trusted."""
    import shellgate.parse.wrappers.launchers as launchers

    Config.at(tmp_path).rules()
    assert quick_allow(["git", "status"], str(tmp_path))
    source = Path(launchers.__file__)
    before = source.stat()
    try:
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        assert not quick_allow(["git", "status"], str(tmp_path))
        Config.at(tmp_path).rules()
        assert quick_allow(["git", "status"], str(tmp_path))
    finally:
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.mark.parametrize("argv", [
    ["restic", "forget", "--prune"],
    ["acme-cli", "--action=delete"],
    ["kafka-delete-records.sh", "--file", "x"],
    ["acme", "DB:Drop"],
    ["acme", "list", "--purge"],  # the engine allows it (a read first), but only it may say so
])
def test_tools_without_rules_naming_a_verb_go_to_the_engine(config: Config,
                                                            argv: list[str]) -> None:
    assert not quick_allow(argv, str(config.directory))


def test_tools_without_rules_or_verbs_stay_fast(config: Config) -> None:
    assert quick_allow(["restic", "snapshots"], str(config.directory))
    assert quick_allow(["pip", "uninstall", "-y", "flask"], str(config.directory))  # excepted
    rules = config.rules()
    assert evaluate_argv(["restic", "forget", "--prune"], rules).verdict == "gate"
