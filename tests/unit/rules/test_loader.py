"""The strict loader: every broken file is refused with file:line, rule and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from shellgate.errors import RuleFileError
from shellgate.rules.loader import load_rules, pattern_files, shipped_dir

GOOD = '''
[[rule]]
id = "demo.x"
summary = "s"
why = "w"
severity = "high"
tool = "demo"
[rule.examples]
gate = ["demo"]
pass = ["demo --help"]
'''


def write(tmp_path: Path, text: str, name: str = "demo.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_file_loads(tmp_path: Path) -> None:
    rules = load_rules([write(tmp_path, GOOD)])
    assert [r.id for r in rules.rules] == ["demo.x"]
    assert rules.for_tool("demo")[0].source == "demo.toml:3"


@pytest.mark.parametrize(("change", "message"), [
    (('severity = "high"', 'severity = "huge"'), "demo.toml:3 rule 'demo.x' key 'severity'"),
    (('tool = "demo"', 'tool = "demo"\nflavour = 1'), "key 'flavour': unknown key"),
    (('id = "demo.x"', 'id = "other.x"'), "key 'rule[0].id': expected a string 'demo.<name>'"),
    (('tool = "demo"', 'tool = "demo"\naction = "allow"'), "key 'action': expected gate|deny"),
    (('[rule.examples]', '[[rule.match]]\nflags = "-f"\n[rule.examples]'),
     "key 'match.flags': expected a list of strings"),
    (('[rule.examples]', '[[rule.match]]\nmin_args = -1\n[rule.examples]'),
     "key 'match.min_args': expected a whole number"),
    (('summary = "s"', 'summary = ""'), "key 'summary': expected a non-empty string"),
    (('[[rule]]', '[meta]\nx=1\n[[rule]]'), "key 'meta'"),
    (('[[rule]]', '[[rule]'), "invalid TOML"),
])
def test_broken_file_is_refused(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RuleFileError) as caught:
        load_rules([path])
    assert message in caught.value.message


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    first = write(tmp_path, GOOD)
    other = tmp_path / "sub"
    other.mkdir()
    second = write(other, GOOD)
    with pytest.raises(RuleFileError, match="duplicate id"):
        load_rules([first, second])


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="cannot read"):
        load_rules([tmp_path / "missing.toml"])


def test_user_file_of_a_shipped_name_is_layered_not_a_replacement(tmp_path: Path) -> None:
    shipped = {p.name for p in shipped_dir().glob("*.toml")}
    assert "git.toml" in shipped
    (tmp_path / "git.toml").write_text(GOOD.replace("demo", "git"))
    (tmp_path / ".hidden.toml").write_text(GOOD)
    files = pattern_files(tmp_path)
    assert tmp_path / "git.toml" in files and shipped_dir() / "git.toml" in files
    assert len(files) == len(shipped) + 1


def test_shipped_rules_load_and_ids_are_unique() -> None:
    rules = load_rules(pattern_files(None))
    ids = [r.id for r in rules.rules]
    assert len(ids) == len(set(ids)) and len(ids) > 50
