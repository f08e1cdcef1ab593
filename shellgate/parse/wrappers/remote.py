"""Wrappers that hand a command to another place or another shell: ssh, containers,
pods, terminal multiplexers, ``watch``, ``parallel``, ``su -c``, ``nix-shell --run``
(``script -c`` and other launchers: ``launchers.py``)."""

from __future__ import annotations

from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers.options import WrapSpec, after_options, spec
from shellgate.parse.wrappers.unwrap import Inner, register
from shellgate.values import Command, Word

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

_SSH = spec("-p -i -l -o -F -J -L -R -D -b -c -E -e -I -m -O -Q -S -W -w -B", skip=0)
_DOCKER_GLOBAL = spec("-H --host -c --context --config -l --log-level --tlscacert --tlscert "
                      "--tlskey")
_DOCKER_EXEC = spec("-e --env --env-file -u --user -w --workdir --detach-keys", skip=1)
_DOCKER_RUN = spec("-v --volume -e --env --env-file -p --publish --name --network --net -w "
                   "--workdir -u --user --entrypoint --mount -l --label --platform --hostname "
                   "-h --add-host --cap-add --cap-drop --cpus -m --memory --restart --gpus "
                   "--device --dns --ulimit --tmpfs --volumes-from --pull --label-file --ipc "
                   "--pid --security-opt --shm-size --stop-signal --log-driver --log-opt "
                   "--runtime --userns --uts --cidfile --expose --link --health-cmd", skip=1)
_COMPOSE_GLOBAL = spec("-f --file -p --project-name --profile --env-file --project-directory "
                       "--ansi --parallel --progress")
_COMPOSE_EXEC = spec("-e --env -u --user -w --workdir --index", skip=1)
_COMPOSE_RUN = spec("-e --env -u --user -w --workdir --name --entrypoint -p --publish -v "
                    "--volume -l --label --pull --cap-add --cap-drop", skip=1)
_KUBE_GLOBAL = spec("-n --namespace --context --kubeconfig --cluster --user -s --server "
                    "--token --as --as-group --request-timeout")
_WATCH = spec("-n --interval -d --differences -q --equexit -c --color -s")


def _words_script(words: Sequence[Word]) -> str:
    return " ".join(w.show() if w.value is None else w.value for w in words)


def _ssh(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    index = after_options(args, _SSH)
    if index is None or index + 1 >= len(args):
        return []
    rest = args[index + 1:]
    if rest and rest[0].value == "--":
        rest = rest[1:]
    if not rest:
        return []
    if any(w.dynamic for w in rest):
        return [Inner(f"ssh {args[index].show()}", argv=(next(w for w in rest if w.dynamic),))]
    return [Inner(f"ssh {args[index].show()}", script=_words_script(rest))]


def _after_global(args: Sequence[Word], glob: WrapSpec) -> Sequence[Word]:
    index = after_options(args, glob)
    return args[index:] if index is not None else ()


def _container(name: str, args: Sequence[Word], command: Command,
               ctx: ParseContext) -> list[Inner]:
    rest = _after_global(args, _DOCKER_GLOBAL)
    if not rest:
        return []
    sub = rest[0].value
    if sub == "container" and len(rest) > 1:
        rest = rest[1:]
        sub = rest[0].value
    if sub in ("exec", "run", "create"):
        index = after_options(rest[1:], _DOCKER_EXEC if sub == "exec" else _DOCKER_RUN)
        if index is not None and index + 1 < len(rest):
            return [Inner(f"{name} {sub}", argv=tuple(rest[1 + index:]))]
        return []
    if sub == "compose":
        return _compose(f"{name} compose", rest[1:])
    return []


def _compose(label: str, args: Sequence[Word]) -> list[Inner]:
    rest = _after_global(args, _COMPOSE_GLOBAL)
    if not rest or rest[0].value not in ("exec", "run"):
        return []
    index = after_options(rest[1:], _COMPOSE_EXEC if rest[0].value == "exec" else _COMPOSE_RUN)
    if index is not None and index + 1 < len(rest):
        return [Inner(f"{label} {rest[0].value}", argv=tuple(rest[1 + index:]))]
    return []


def _docker_compose(name: str, args: Sequence[Word], command: Command,
                    ctx: ParseContext) -> list[Inner]:
    return _compose(name, args)


def _kubectl(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    rest = _after_global(args, _KUBE_GLOBAL)
    if not rest or rest[0].value not in ("exec", "debug", "run", "attach"):
        return []
    values = [w.value for w in rest]
    if "--" in values:
        inner = tuple(rest[values.index("--") + 1:])
        return [Inner(f"{name} {rest[0].value}", argv=inner)] if inner else []
    return []


def _watch(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    exec_mode = any(w.value in ("-x", "--exec") for w in args)
    index = after_options(args, _WATCH)
    if index is None:
        return []
    inner = tuple(args[index:])
    if exec_mode:
        return [Inner("watch -x", argv=inner)]
    return [Inner("watch", script=_words_script(inner))]


def _parallel(name: str, args: Sequence[Word], command: Command,
              ctx: ParseContext) -> list[Inner]:
    values = [w.value for w in args]
    cut = next((i for i, v in enumerate(values) if v in (":::", "::::", ":::+")), len(args))
    index = after_options(args[:cut], spec("-j --jobs -S --sshlogin -a --arg-file --delay "
                                           "--timeout -N -n --max-args -I --results --joblog"))
    template = list(args[index:cut]) if index is not None else []
    inputs = [w for w in args[cut + 1:] if w.value not in (":::", "::::", ":::+")]
    if not template:
        return []
    found: list[Inner] = []
    for item in inputs[:16] or [Word(None, "<parallel input>")]:
        text = _words_script(template)
        value = item.value if item.value is not None else "$_parallel_input"
        script = text.replace("{}", value) if "{}" in text else f"{text} {value}"
        found.append(Inner("parallel", script=script))
    return found


def _flag_script(flags: tuple[str, ...], label: str):  # type: ignore[no-untyped-def]
    def handler(name: str, args: Sequence[Word], command: Command,
                ctx: ParseContext) -> list[Inner]:
        for i, word in enumerate(args):
            value = word.value or ""
            if value == "--":  # the options end; what follows is the command's own argv
                break
            if value in flags and i + 1 < len(args):
                target = args[i + 1]
                if target.value is None:
                    return [Inner(label, argv=(target,))]
                return [Inner(label, script=target.value)]
            for flag in flags:
                if flag.startswith("--") and value.startswith(flag + "="):
                    return [Inner(label, script=value.split("=", 1)[1])]
        return []
    return handler


_FLOCK = spec("-w --wait --timeout -E --conflict-exit-code")


def _flock(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """``flock [options] FILE -c SCRIPT`` or ``flock [options] FILE PROGRAM ARGS…``; the
    ``-c`` counts only right after the lock file (``ionice -c 3`` is not a script)."""
    index = after_options(args, _FLOCK)
    if index is None or index + 1 >= len(args):
        return []
    rest = tuple(args[index + 1:])
    if rest[0].value in ("-c", "--command"):
        if len(rest) < 2:
            return []
        if rest[1].value is None:
            return [Inner("flock -c", argv=(rest[1],))]
        return [Inner("flock -c", script=rest[1].value)]
    return [Inner("flock", argv=rest)]


def _shellgate(name: str, args: Sequence[Word], command: Command,
               ctx: ParseContext) -> list[Inner]:
    """``shellgate [--config DIR] run [--timeout N] [--] ARGV…`` runs ARGV (behind its own
    gate, which an agent could point at a config of its own); ``shellgate-sh [--config
    DIR] [--shims-dir DIR] -c SCRIPT`` runs SCRIPT in bash."""
    rest = list(args)
    while rest and (rest[0].value or "").split("=")[0] in ("--config", "--shims-dir"):
        rest = rest[1:] if "=" in (rest[0].value or "") else rest[2:]
    if name == "shellgate-sh":
        from shellgate.parse.wrappers.unwrap import _shell

        return _shell(name, rest, command, ctx)
    if not rest or rest[0].value != "run":
        return []
    index = after_options(rest[1:], spec("--timeout"))
    inner = tuple(rest[1 + index:]) if index is not None else ()
    return [Inner("shellgate run", argv=inner)] if inner else []


def _nix(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    values = [w.value for w in args]
    for flag in ("-c", "--command"):
        if flag in values and args and args[0].value in ("develop", "shell"):
            inner = tuple(args[values.index(flag) + 1:])
            return [Inner(f"nix {args[0].value}", argv=inner)] if inner else []
    return []


def _tmux(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    if not args or args[0].value not in ("new-session", "new", "new-window", "neww",
                                         "split-window", "splitw", "send-keys", "send",
                                         "respawn-pane", "run-shell", "run"):
        return []
    takes = spec("-t -s -n -c -e -F -x -y -l -w -N -T -f")
    rest = args[1:]
    index = after_options(rest, takes)
    if index is None:
        return []
    keys = [w for w in rest[index:] if w.value not in ("Enter", "C-m", "KPEnter")]
    return [Inner(f"tmux {args[0].value}", script=_words_script(keys))] if keys else []


def _screen(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """``screen [-dmS NAME] CMD…``: options bundle (``-dmS x``: S takes the next word)."""
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None or not value.startswith("-") or value == "-":
            break
        last = value[-1] if len(value) == 2 or not value.startswith("--") else ""
        i += 2 if (value[1:] and last in "ScehpstTX" and value[1:].rstrip(last).isalpha()) \
            or value in ("-S", "-c", "-e", "-h", "-p", "-s", "-t", "-T", "-X") else 1
    return [Inner("screen", argv=tuple(args[i:]))] if i < len(args) else []


def _ansible(name: str, args: Sequence[Word], command: Command,
             ctx: ParseContext) -> list[Inner]:
    """``ansible HOSTS -m shell|command|raw -a ARGS`` runs ARGS as a command on each host."""
    values = [w.value for w in args]
    module = "command"
    for flag in ("-m", "--module-name"):
        if flag in values and values.index(flag) + 1 < len(values):
            module = values[values.index(flag) + 1] or "?"
    if module.rsplit(".", 1)[-1] not in ("shell", "command", "raw", "script", "?"):
        return []
    for flag in ("-a", "--args"):
        if flag in values and values.index(flag) + 1 < len(args):
            target = args[values.index(flag) + 1]
            if target.value is None:
                return [Inner(f"ansible -m {module}", argv=(target,))]
            return [Inner(f"ansible -m {module}", script=target.value)]
    return []


for _name in ("docker", "podman", "nerdctl"):
    register(_name, _container)
for _name in ("kubectl", "oc"):
    register(_name, _kubectl)
register("docker-compose", _docker_compose)
register("podman-compose", _docker_compose)
register("ssh", _ssh)
register("watch", _watch)
register("parallel", _parallel)
register("su", _flag_script(("-c", "--command", "--session-command"), "su -c"))
register("runuser", _flag_script(("-c", "--command"), "runuser -c"))
register("flock", _flock)
register("nix-shell", _flag_script(("--run", "--command"), "nix-shell --run"))
register("nix", _nix)
register("tmux", _tmux)
register("screen", _screen)
register("ansible", _ansible)
register("shellgate", _shellgate)
register("shellgate-sh", _shellgate)
