"""Command languages and project files that start programs: awk, sed, make, npm/yarn/pnpm
scripts, crontab and at, git hooks written in the line, programs copied under a new name."""

from __future__ import annotations

import pytest

from shellgate.engine import evaluate
from shellgate.parse.context import mapping_reader
from shellgate.parse.wrappers.projects import cron_commands
from shellgate.values import Decision
from tests.conftest import shipped_rules

MAKEFILE = """\
DATA = /srv/data
.PHONY: build clean nuke
build:
\tcc -o app main.c
clean:
\t@rm -rf build
nuke: clean
\t-rm -rf $(DATA)
deploy: build ; git push --force origin main
"""
PACKAGE = ('{"scripts": {"build": "tsc -p .", "clean": "rm -rf ~/projects", '
           '"prebuild": "echo pre", "test": "jest", "postinstall": "git push --force"}}')
FILES = {"Makefile": MAKEFILE, "package.json": PACKAGE,
         "prog.awk": 'BEGIN { system("rm -rf /srv") }',
         "edit.sed": "1e rm -rf /srv\n", "jobs.cron": "# nightly\n0 3 * * * rm -rf /srv/backups\n"}


def decide(cmd: str, files: dict[str, str] | None = None) -> Decision:
    return evaluate(cmd, shipped_rules(), mapping_reader(FILES if files is None else files))


@pytest.mark.parametrize("cmd", [
    "awk 'BEGIN { system(\"rm -rf /srv\") }'",
    "gawk '{ system(\"rm -rf /srv\") }' f",
    "awk '{ system(\"rm \" $1) }' list",  # built from the input: unseen code
    "awk 'BEGIN { print \"rm -rf /srv\" | \"sh\" }'",
    "awk 'BEGIN { print | cmd }'",
    "awk 'BEGIN { \"rm -rf /srv\" | getline x }'",
    "awk 'BEGIN { c = \"rm -rf /srv\"; c | getline }'",
    "awk -f prog.awk",
    "awk -F: -v x=1 'BEGIN { system(\"git push --force\") }'",
    "sed -n '1e rm -rf /srv' f",
    "sed '1!G;h;$!d; e rm -rf /srv' f",
    "sed 's/.*/rm -rf &/e' list",
    "sed -e 's/a/b/' -e '3e git push --force' f",
    "sed -ne '2e rm -rf /srv' f",
    "sed -f edit.sed f",
    "sed 'w /etc/passwd' f",
    "sed 's/x/y/w /etc/passwd' f",
    "make nuke",
    "make deploy",
    "make -C . nuke",
    "printf 'all:\\n\\trm -rf /srv\\n' | make -f -",
    "npm run clean",
    "npm run-script clean",
    "yarn clean",
    "pnpm clean",
    "pnpm run clean",
    "npm install",
    "npm ci",
    "npm pkg set scripts.zap='rm -rf /srv' && npm run zap",
    "echo '* * * * * rm -rf /srv' | crontab -",
    "crontab jobs.cron",
    "echo 'rm -rf /srv' | at now + 1 minute",
    "echo 'rm -rf /srv' > job && at -f job now",
    "echo 'rm -rf ~/data' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit && "
    "git commit -m x",
    "printf 'git push --force' > .git/hooks/pre-push; git push origin main",
    "cp /usr/bin/git ./g && ./g push --force",
    "ln -s /usr/bin/rm ~/bin/del && del -rf /srv",
    "install -m 755 /bin/rm /tmp/r && /tmp/r -rf /srv",
    'cp "$(command -v git)" ./g && ./g status',  # the program is only known at run time
])
def test_hidden_commands_gate(cmd: str) -> None:
    decision = decide(cmd)
    assert decision.verdict == "gate", (cmd, decision.rule_ids)


@pytest.mark.parametrize("cmd", [
    "awk '{ print $1 }' f",
    "awk -F, '/a|b/ { n++ } END { print n }' f",
    "awk 'BEGIN { while ((\"date\" | getline d) > 0) print d }'",
    "awk '$1 == \"x\" || $2 > 3' f",
    "sed 's/a/b/g' f",
    "sed -i.bak -e 's/x/y/' f",
    "sed -ie 's/x/y/' f",  # -i with the suffix e, not an e command
    "sed -n '/start/,/end/p' f",
    "sed '1i header' f",
    "sed -E 's/(a|b)+/c/' f",
    "make",
    "make build",
    "make clean",  # build output is regenerable
    "make -n nuke",  # a dry run
    "npm run build",
    "npm test",
    "npm install lodash",
    "yarn add lodash",
    "pnpm install react",
    "crontab -l",
    "git commit -m wip",
    "cp a.txt b.txt",
    "cp src/app.py build/app.py",
    "install -m 755 build/app /usr/local/bin/app",
])
def test_ordinary_uses_pass(cmd: str) -> None:
    decision = decide(cmd)
    assert decision.verdict == "allow", (cmd, decision.rule_ids)


def test_make_reads_the_makefile_and_binds_it() -> None:
    decision = decide("make nuke")
    assert "fs.rm-recursive" in decision.rule_ids
    assert dict(decision.files).get("Makefile")


def test_package_scripts_read_from_package_json_are_bound() -> None:
    decision = decide("npm run clean")
    assert dict(decision.files).get("package.json")


def test_cron_entries() -> None:
    text = "SHELL=/bin/bash\n# c\n*/5 * * * * /usr/bin/backup --all\n@reboot rm -rf /tmp/x\n"
    assert cron_commands(text) == ["/usr/bin/backup --all", "rm -rf /tmp/x"]
