"""Platform and cloud CLIs that run a command somewhere else: ``railway ssh … -- CMD``,
``railway connect`` (a database shell fed from stdin), ``heroku run CMD``, ``fly ssh console
-C CMD``, ``gcloud compute ssh VM --command CMD``, ``aws ssm send-command`` shell-script
parameters, ``aws ecs execute-command --command``, ``az vm run-command invoke --scripts``,
``az container exec --exec-command``, ``doctl compute ssh --ssh-command``, ``vagrant ssh -c``,
``multipass``/``lxc``/``incus exec … -- CMD``. What runs there is read like a local command:
a ``DROP`` or ``rm -rf`` does the same harm on a production host.
"""

from __future__ import annotations

from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers.options import after_options, spec
from shellgate.parse.wrappers.unwrap import Inner, register
from shellgate.values import Command, Word, lit

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence


def _flag_value(args: Sequence[Word], flags: tuple[str, ...]) -> Word | str | None:
    """The value of the first of ``flags`` (``-C CMD``, ``--command=CMD``); "" if absent."""
    for i, word in enumerate(args):
        value = word.value
        if value == "--":
            break
        if value in flags:
            return args[i + 1] if i + 1 < len(args) else ""
        for flag in flags:
            if flag.startswith("--") and value is not None and value.startswith(flag + "="):
                return Word(value.split("=", 1)[1], value.split("=", 1)[1])
    return ""


def _script_of(label: str, word: Word | str | None, ctx: ParseContext,
               via: tuple[str, ...]) -> list[Inner]:
    if word == "" or word is None or isinstance(word, str):
        return []
    if word.value is None:
        return [Inner(label, argv=(word,))]
    return [Inner(label, script=word.value)]


def _after_dashdash(args: Sequence[Word]) -> tuple[Word, ...]:
    values = [w.value for w in args]
    return tuple(args[values.index("--") + 1:]) if "--" in values else ()


def _words_script(label: str, words: Sequence[Word]) -> list[Inner]:
    if not words:
        return []
    if any(w.value is None for w in words):
        return [Inner(label, argv=tuple(words))]
    return [Inner(label, script=" ".join(w.value or "" for w in words))]


_RAILWAY = spec("-p --project -s --service -e --environment -d --deployment-instance")


def _railway(name: str, args: Sequence[Word], command: Command,
             ctx: ParseContext) -> list[Inner]:
    sub = args[0].value if args else None
    rest = args[1:]
    if sub in ("ssh", "shell"):
        index = after_options(rest, _RAILWAY)
        inner = tuple(rest[index:]) if index is not None else ()
        if inner and inner[0].value == "--":
            inner = inner[1:]
        return _words_script(f"railway {sub}", inner) if sub == "ssh" else []
    if sub == "connect":  # a database shell on the service: what stdin feeds it runs there
        return [Inner("railway connect", argv=(lit("psql"),), stdin=command.stdin)]
    return []


_HEROKU = spec("-a --app -r --remote -s --size -e --env --type")


def _heroku(name: str, args: Sequence[Word], command: Command,
            ctx: ParseContext) -> list[Inner]:
    if not args or args[0].value not in ("run", "run:detached", "run:inside", "ps:exec"):
        return []
    rest = args[1:]
    if args[0].value == "run:inside" and rest:
        rest = rest[1:]  # the dyno name
    index = after_options(rest, _HEROKU)
    inner = tuple(rest[index:]) if index is not None else ()
    if inner and inner[0].value == "--":
        inner = inner[1:]
    return _words_script(f"heroku {args[0].value}", inner)


def _fly(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    values = [w.value for w in args]
    if values[:2] == ["ssh", "console"] or values[:1] == ["console"]:
        return _script_of(f"{name} ssh console", _flag_value(args, ("-C", "--command")), ctx,
                          command.via)
    if values[:2] in (["machine", "exec"], ["m", "exec"], ["machines", "exec"]):
        index = after_options(args[2:], spec("-a --app -c --config --timeout", skip=1))
        inner = tuple(args[2 + index:]) if index is not None else ()
        return _words_script(f"{name} machine exec", inner)
    return []


def _gcloud(name: str, args: Sequence[Word], command: Command,
            ctx: ParseContext) -> list[Inner]:
    values = [w.value for w in args]
    if "ssh" not in values:
        return []
    found = _script_of("gcloud ssh --command", _flag_value(args, ("--command",)), ctx,
                       command.via)
    tail = [w for w in _after_dashdash(args) if not (w.value or "x").startswith("-")]
    return found + _words_script("gcloud ssh --", tail[-1:] if tail else [])


def _aws(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    values = [w.value for w in args]
    if "execute-command" in values:
        return _script_of("aws ecs execute-command", _flag_value(args, ("--command",)), ctx,
                          command.via)
    if "send-command" not in values and "start-session" not in values:
        return []
    params = _flag_value(args, ("--parameters",))
    if params == "" or params is None or isinstance(params, str):
        return []
    if params.value is None:
        ctx.problem("dynamic-code", "aws ssm runs commands only known at run time", command.via)
        return []
    text = params.value
    if text.startswith("file://"):
        text = ctx.read(text[7:]) or ""
        if not text:
            ctx.problem("unread-script", f"aws ssm reads its commands from {params.value}",
                        command.via)
            return []
    return [Inner("aws ssm", script=c) for c in ssm_commands(text)]


def ssm_commands(text: str) -> list[str]:
    """The commands of an SSM ``--parameters`` value: JSON (``{"commands": [...]}``) or the
    shorthand ``commands=["a","b"]`` / ``commands=a,b`` / ``command=…``."""
    import json  # only when SSM parameters are read

    text = text.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        found: list[str] = []
        for key in ("commands", "command", "Commands"):
            value = data.get(key)
            if isinstance(value, list):
                found.extend(str(v) for v in value)
            elif isinstance(value, str):
                found.append(value)
        return found
    for key in ("commands=", "command="):
        if key in text:
            body = text.split(key, 1)[1].strip()
            try:
                items = json.loads(body)
            except ValueError:
                items = None
            if isinstance(items, list):
                return [str(v) for v in items]
            return [p.strip().strip("\"'[]") for p in body.strip("[]").split(",")]
    return [text]


def _az(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    values = [w.value for w in args]
    if "exec" in values:
        return _script_of("az container exec", _flag_value(args, ("--exec-command",)), ctx,
                          command.via)
    if "run-command" not in values:
        return []
    found: list[Inner] = []
    for i, value in enumerate(values):
        if value in ("--scripts", "--script"):
            j = i + 1
            while j < len(args) and not (values[j] or "x").startswith("--"):
                word = args[j]
                if word.value is not None and word.value.startswith("@"):
                    text = ctx.read(word.value[1:])
                    if text is None:
                        ctx.problem("unread-script", f"az runs {word.value}", command.via)
                    else:
                        found.append(Inner("az run-command", script=text))
                else:
                    found.extend(_script_of("az run-command", word, ctx, command.via))
                j += 1
    return found


def _doctl(name: str, args: Sequence[Word], command: Command,
           ctx: ParseContext) -> list[Inner]:
    return _script_of("doctl ssh", _flag_value(args, ("--ssh-command",)), ctx, command.via)


def _vagrant(name: str, args: Sequence[Word], command: Command,
             ctx: ParseContext) -> list[Inner]:
    if not args or args[0].value != "ssh":
        return []
    found = _script_of("vagrant ssh -c", _flag_value(args, ("-c", "--command")), ctx,
                       command.via)
    return found


def _vm_exec(name: str, args: Sequence[Word], command: Command,
             ctx: ParseContext) -> list[Inner]:
    """``multipass exec VM -- CMD``, ``lxc exec C -- CMD``, ``limactl shell VM CMD``."""
    if not args or args[0].value not in ("exec", "shell"):
        return []
    inner = _after_dashdash(args)
    if not inner and name == "limactl":
        index = after_options(args[1:], spec("--workdir --shell", skip=1))
        inner = tuple(args[1 + index:]) if index is not None else ()
    return [Inner(f"{name} {args[0].value}", argv=inner)] if inner else []


def _eb(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    if not args or args[0].value != "ssh":
        return []
    return _script_of("eb ssh --command", _flag_value(args, ("--command", "-c")), ctx,
                      command.via)


register("railway", _railway, partial=True)
register("heroku", _heroku, partial=True)
register("fly", _fly, partial=True)
register("flyctl", _fly, partial=True)
register("gcloud", _gcloud, partial=True)
register("aws", _aws, partial=True)
register("az", _az, partial=True)
register("doctl", _doctl, partial=True)
register("vagrant", _vagrant, partial=True)
for _name in ("multipass", "lxc", "incus", "limactl"):
    register(_name, _vm_exec, partial=True)
register("eb", _eb, partial=True)
