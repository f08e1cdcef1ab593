"""Option tables for wrapper commands: which options take a value, where the inner
command starts. Facts from each tool's manual page."""

from __future__ import annotations

from shellgate.values import Word, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME = _NAME_START | frozenset("0123456789")


def is_assignment(value: str) -> bool:
    """``NAME=value`` as accepted before a command by ``env`` and ``sudo``: what
    ``[A-Za-z_][A-Za-z0-9_]*\\+?=`` matches at the start, read without ``re`` (every
    word of every engine call comes here)."""
    name, equals, _ = value.partition("=")
    if not equals:
        return False
    if name.endswith("+"):
        name = name[:-1]
    return bool(name) and name[0] in _NAME_START and all(c in _NAME for c in name)


@record
class WrapSpec:
    """How to find the inner command in a wrapper's arguments."""

    with_value: frozenset[str] = frozenset()
    skip_positionals: int = 0
    assignments: bool = False
    shell_flags: frozenset[str] = frozenset()
    no_command_flags: frozenset[str] = frozenset()
    script_flags: tuple[str, ...] = ()


def spec(
    with_value: str = "",
    skip: int = 0,
    assignments: bool = False,
    shell_flags: str = "",
    no_command: str = "",
    script_flags: tuple[str, ...] = (),
) -> WrapSpec:
    return WrapSpec(frozenset(with_value.split()), skip, assignments,
                    frozenset(shell_flags.split()), frozenset(no_command.split()), script_flags)


def after_options(args: Sequence[Word], wrap: WrapSpec) -> int | None:
    """Index of the inner command's name in ``args``, or None when there is none.

    A word shellgate cannot resolve where an option could be is taken as the start of
    the inner command, so that it is reported as an unknowable command (fail closed).
    """
    skip = wrap.skip_positionals
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            return i
        if value in wrap.no_command_flags:
            return None
        if value == "--":
            i += 1
            while skip and i < len(args):
                skip -= 1
                i += 1
            return i if i < len(args) else None
        if wrap.assignments and is_assignment(value):
            i += 1
            continue
        if value.startswith("-") and len(value) > 1:
            i += 2 if value in wrap.with_value else 1
            continue
        if skip:
            skip -= 1
            i += 1
            continue
        return i
    return None


PREFIX: dict[str, WrapSpec] = {
    "sudo": spec("-u -g -h -p -C -r -t -U -D -R -T --user --group --host --prompt "
                 "--close-from --role --type --other-user --chdir --chroot --command-timeout",
                 assignments=True, shell_flags="-s -i --shell --login",
                 no_command="-l -v -k -K -e -V --list --validate --edit --version"),
    "doas": spec("-u -C", no_command="-L"),
    "run0": spec("-u -g -D --user --group --chdir --description --property --slice --unit",
                 assignments=True),
    "pkexec": spec("--user"),
    "nice": spec("-n --adjustment"),
    "nohup": spec(),
    "time": spec("-f --format -o --output"),
    "command": spec(no_command="-v -V"),
    "builtin": spec(),
    "exec": spec("-a"),
    "stdbuf": spec("-i -o -e --input --output --error"),
    "timeout": spec("-s --signal -k --kill-after", skip=1),
    "ionice": spec("-c -n -p -P -u --class --classdata --pid --pgid --uid"),
    "chrt": spec(skip=1),
    "taskset": spec(skip=1),
    "setsid": spec(),
    "unbuffer": spec(),
    "caffeinate": spec("-t -w"),
    "fakeroot": spec("-l -s -i --lib --faked"),
    "catchsegv": spec(),
    "strace": spec("-o -e -p -s -u -E -a -b -I -O -P -S -X"),
    "ltrace": spec("-o -e -p -s -u -E -a -n -A -D -F -l -L -S -x"),
    "valgrind": spec(),
    "chroot": spec("--userspec --groups", skip=1),
    "runuser": spec("-u -g -G --user --group --supp-group", no_command="-c -l"),
    "flock": spec("-w --timeout -E --conflict-exit-code", skip=1, no_command="-c --command"),
    "systemd-run": spec("-u -p -E -M -H --unit --property --description --slice --uid --gid "
                        "--setenv --working-directory --machine --host", assignments=False),
    "busybox": spec(),
    "toybox": spec(),
    "envchain": spec(skip=1),
    "proxychains": spec("-f"),
    "proxychains4": spec("-f"),
    "torsocks": spec(),
    "firejail": spec(),
    "xvfb-run": spec("-n -s -f -e -p --server-num --server-args --auth-file --error-file"),
    "sem": spec("-j --jobs --id"),
}

XARGS = spec("-I -n -L -l -P -s -d -E -e -a --arg-file --delimiter --max-args --max-lines "
             "--max-procs --max-chars --eof --process-slot-var")

_RUN_OPTS = ("--with -w --python -p --project --directory --package --env-file --group "
             "--extra --index --index-url --extra-index-url --from -C --cwd --filter -F "
             "--env -e --name -n --prefix --config -c --profile --environment --service "
             "--project-dir --workspace")

RUNNERS: dict[str, list[tuple[tuple[str, ...], WrapSpec]]] = {
    "npx": [((), spec("-p --package --cache --userconfig", script_flags=("-c", "--call")))],
    "bunx": [((), spec("-p --package"))],
    "pnpx": [((), spec())],
    "pnpm": [(("exec",), spec(_RUN_OPTS)), (("dlx",), spec(_RUN_OPTS)),
             (("x",), spec(_RUN_OPTS))],
    "yarn": [(("dlx",), spec("-p --package")), (("exec",), spec())],
    "npm": [(("exec",), spec("-p --package -w --workspace", script_flags=("-c", "--call"))),
            (("x",), spec("-p --package", script_flags=("-c", "--call")))],
    "bun": [(("x",), spec()), (("exec",), spec())],
    "uv": [(("run",), spec(_RUN_OPTS)), (("tool", "run"), spec(_RUN_OPTS))],
    "uvx": [((), spec(_RUN_OPTS))],
    "poetry": [(("run",), spec("-C --directory -P --project"))],
    "pipenv": [(("run",), spec())],
    "pdm": [(("run",), spec("-p --project"))],
    "hatch": [(("run",), spec("-e --env")), (("env", "run"), spec("-e --env"))],
    "rye": [(("run",), spec())],
    "pixi": [(("run",), spec("-e --environment --manifest-path"))],
    "conda": [(("run",), spec("-n --name -p --prefix --cwd"))],
    "mamba": [(("run",), spec("-n --name -p --prefix --cwd"))],
    "micromamba": [(("run",), spec("-n --name -p --prefix --cwd"))],
    "bundle": [(("exec",), spec())],
    "mise": [(("exec",), spec("-C --cd")), (("x",), spec("-C --cd"))],
    "asdf": [(("exec",), spec())],
    "dotenv": [(("run",), spec("-f --file -o")), ((), spec("-f -e -v -c -p"))],
    "op": [(("run",), spec("--env-file --environment"))],
    "infisical": [(("run",), spec("--env --path --projectId --token --domain",
                                  script_flags=("--command",)))],
    "aws-vault": [(("exec",), spec("-d --duration -r --region --mfa-token -t", skip=1))],
    "railway": [(("run",), spec("-s --service -e --environment"))],
    "direnv": [(("exec",), spec(skip=1))],
    "doppler": [(("run",), spec("-p --project -c --config --token", script_flags=("--command",)))],
    "devbox": [(("run",), spec("-c --config -e --env"))],
    "heroku": [(("local:run",), spec("-e --env -p --port"))],
}


def unescape_backslashes(text: str) -> str:
    """A string of another language (Lisp, awk) with ``\\n``, ``\\t`` and ``\\X`` read."""
    import re  # only such strings get here

    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)),
                  text)
