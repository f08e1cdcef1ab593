"""Tools without rules: the generic destructive-verb rule, by mechanism."""

from __future__ import annotations

import pytest

from shellgate.classify.generic import action_words, first_action, unruled_action
from shellgate.rules.ruleset import Match
from shellgate.values import lit
from tests.conftest import decide_text

_BLOCK = Match(verbs=("delete", "purge", "drop", "flush", "rm", "wipe*"),
               safe_verbs=("list", "get", "help", "create"), no_flags=("--dry-run", "--help"))


def _action(argv: str) -> str | None:
    words = argv.split()
    return unruled_action(words[0], [lit(w) for w in words[1:]], _BLOCK)


@pytest.mark.parametrize(("argv", "action"), [
    ("tool delete x", "delete"),
    ("tool group resource delete", "delete"),  # depth three
    ("tool --profile prod --region eu group drop", "drop"),  # option values do not count
    ("tool --force delete x", "delete"),  # … but are read: the option may take no value
    ("tool db:drop", "drop"),
    ("tool delete_queue orders", "delete"),
    ("tool vm.purge x", "purge"),  # dotted sub-command: the last part is the action
    ("tool --action=purge", "purge"),
    ("tool --delete --topic x", "delete"),
    ("tool -purge job", "purge"),  # go-style single-dash long option
    ("tool wipeout", "wipeout"),  # a verb ending in * matches longer words
    ("kafka-delete-records.sh --file x", "delete"),  # the tool's own name
    ("tool DELETE x", "delete"),
])
def test_destructive_actions(argv: str, action: str) -> None:
    assert _action(argv) == action


@pytest.mark.parametrize("argv", [
    "tool list --include-deleted",  # a reading verb first decides
    "tool get delete-protection",
    "tool help delete",
    "tool create --name delete-me",
    "tool delete x --dry-run",
    "tool delete --help",
    "tool --no-delete sync",  # negated options
    "tool --skip-purge",
    "tool run a b c delete",  # beyond the path depth
    "tool cat delete.sql",  # a file name, not a sub-command
    "tool show ./delete/x",
    "tool cache flush",  # regenerable object
    "tool --flush-cache",
    "tool -rf x",  # short flags name nothing
    "tool deleted",  # not the verb
])
def test_not_destructive(argv: str) -> None:
    assert _action(argv) is None


def test_words_after_options_do_not_use_up_the_path() -> None:
    words = ["-p", "a", "-e", "b", "-r", "c", "x", "y", "z", "w"]
    path, options = action_words("t", [lit(w) for w in words])
    assert path == ["a", "b", "c", "x", "y", "z"]
    assert options == []


def test_first_action_reports_reads() -> None:
    assert first_action(["list", "delete"], _BLOCK) == ("read", "list")
    assert first_action(["delete", "list"], _BLOCK) == ("verb", "delete")
    assert first_action(["status"], _BLOCK) is None


@pytest.mark.parametrize("cmd", [
    "restic forget --keep-last 1 --prune",
    "rabbitmqctl delete_queue orders",
    "sudo borg delete /srv/repo::x",
    "timeout 5 nats stream rm ORDERS -f",
    "bash -c 'velero backup delete nightly --confirm'",
])
def test_engine_gates_unknown_tools(cmd: str) -> None:
    decision = decide_text(cmd)
    assert decision.verdict == "gate"
    assert "generic.destructive-verb" in decision.rule_ids


@pytest.mark.parametrize("cmd", [
    "pip uninstall -y flask",  # package managers: reversible
    "sudo apt-get remove nginx",  # a tool with rules decides for itself
    "grep -r delete .",  # operands are text
    "npx jest delete",  # the runner's words are the inner command's
    "restic snapshots",
    "velero backup get",
])
def test_engine_passes_by_principle(cmd: str) -> None:
    assert decide_text(cmd).verdict == "allow", decide_text(cmd).rule_ids


def test_tools_with_rules_decide_for_themselves() -> None:
    # git has rules: a destructive-sounding word its rules do not match is git's call
    assert "generic.destructive-verb" not in decide_text("git remote remove upstream").rule_ids
