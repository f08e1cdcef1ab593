"""Command-line option reading for database clients (getopt, my_getopt, pflag, sqlite).

Helper of :mod:`shellgate.payloads.databases.clients`. A word shellgate could not resolve (None,
a ``$VAR``) is kept as None: as an option's value it means "computed at run time"; in
an option's place it is taken as a positional argument (documented residual risk: a
variable that expands to ``-c…`` is not seen as an option).
"""

from __future__ import annotations

from shellgate.values import field, mutable_record, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence


@record
class Spec:
    """How one client reads its options."""

    valued: frozenset[str]                       # options that take a value: "-c", "--command"
    aliases: dict[str, str] = field(default_factory=dict)  # "-c" → "--command"
    flags: frozenset[str] = frozenset()          # long options known to take no value
    optional: frozenset[str] = frozenset()       # value only when attached: -pSECRET, --pw=x
    bundling: bool = True                        # -At is -A -t
    long_prefix: bool = False                    # --comm is --command (getopt_long, my_getopt)
    single_dash_long: bool = False               # sqlite: -cmd, -init (and --cmd)
    stop_at_positional: bool = False             # redis-cli: options end at the command
    unknown_long_valued: bool = False            # clickhouse: any --setting takes a value
    mysql_names: bool = False                    # _ is -, --loose-/--skip-/--enable- prefixes


@mutable_record
class Parsed:
    """Options in order as ``(canonical name, value)`` and the positional words."""

    options: list[tuple[str, str | None]] = field(default_factory=list)
    positionals: list[str | None] = field(default_factory=list)

    def values(self, *names: str) -> list[str | None]:
        """Values of every occurrence of these options, in order."""
        return [v for n, v in self.options if n in names]

    def has(self, *names: str) -> bool:
        """Whether any of these options was given."""
        return any(n in names for n, _ in self.options)


def _canonical(spec: Spec, name: str) -> str:
    if spec.mysql_names and name.startswith("--"):
        name = "--" + name[2:].replace("_", "-")
        for prefix in ("loose-", "enable-", "maximum-"):
            if name.startswith("--" + prefix):
                name = "--" + name[2 + len(prefix):]
    name = spec.aliases.get(name, name)
    if spec.long_prefix and name.startswith("--") and name not in spec.valued | spec.flags:
        longs = sorted(n for n in spec.valued | spec.flags | set(spec.aliases.values())
                       if n.startswith(name))
        if len(longs) == 1:
            return longs[0]
        if longs and name in spec.optional:
            return name
    return name


def parse(argv: Sequence[str | None], spec: Spec, start: int = 1) -> Parsed:
    """Split ``argv[start:]`` into options and positionals as ``spec`` says."""
    out = Parsed()
    i = start
    while i < len(argv):
        word = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        has_next = i + 1 < len(argv)
        if word is None or word == "-" or not word.startswith("-"):
            if spec.stop_at_positional:
                out.positionals += list(argv[i:])
                return out
            out.positionals.append(word)
        elif word == "--":
            out.positionals += list(argv[i + 1:])
            return out
        elif word.startswith("--") or (spec.single_dash_long and len(word) > 2):
            i += _long(spec, word, nxt, has_next, out)
        else:
            i += _short(spec, word, nxt, has_next, out)
        i += 1
    return out


def _long(spec: Spec, word: str, nxt: str | None, has_next: bool, out: Parsed) -> int:
    name, eq, value = word.partition("=")
    if spec.single_dash_long and name.startswith("--"):
        name = name[1:]  # sqlite reads --cmd as -cmd
    name = _canonical(spec, name)
    if eq:
        out.options.append((name, value))
        return 0
    takes = name in spec.valued or (spec.unknown_long_valued and name not in spec.flags
                                    and name not in spec.optional)
    if takes and has_next:
        out.options.append((name, nxt))
        return 1
    out.options.append((name, None if takes else ""))
    return 0


def _short(spec: Spec, word: str, nxt: str | None, has_next: bool, out: Parsed) -> int:
    j = 1
    while j < len(word):
        opt = "-" + word[j]
        name = spec.aliases.get(opt, opt)
        rest = word[j + 1:]
        if opt in spec.valued:
            if rest:
                out.options.append((name, rest))
                return 0
            out.options.append((name, nxt if has_next else None))
            return 1 if has_next else 0
        if opt in spec.optional:
            out.options.append((name, rest or ""))
            return 0
        out.options.append((name, ""))
        if not spec.bundling:
            return 0
        j += 1
    return 0


def gnu(short_valued: str, long_valued: str, long_flags: str = "",
        aliases: str = "") -> Spec:
    """A getopt_long client: ``short_valued`` like "cdf", names space-separated,
    ``aliases`` as "c=command d=dbname"."""
    alias = {"-" + k: "--" + v for k, v in (a.split("=") for a in aliases.split())}
    valued = {"-" + c for c in short_valued} | {"--" + n for n in long_valued.split()}
    return Spec(frozenset(valued), alias, frozenset("--" + n for n in long_flags.split()),
                long_prefix=True)


# -- the clients -------------------------------------------------------------------

PSQL = gnu(
    "cdfhLopPRTUvF", "command dbname file host log-file output port pset record-separator "
    "table-attr username set variable field-separator",
    "echo-all no-align echo-errors echo-queries echo-hidden html list quiet single-step "
    "single-line tuples-only version no-password password expanded no-psqlrc "
    "field-separator-zero record-separator-zero single-transaction help csv",
    "c=command d=dbname f=file h=host L=log-file o=output p=port P=pset R=record-separator "
    "T=table-attr U=username v=set F=field-separator l=list V=version ?=help")
"""psql (getopt_long; usql reads the same options)."""


MYSQL = Spec(
    valued=frozenset({"-e", "-D", "-h", "-u", "-P", "-S", "-O", "--execute", "--database",
                      "--host", "--user", "--port", "--socket", "--init-command",
                      "--init-command-add", "--defaults-file", "--defaults-extra-file",
                      "--defaults-group-suffix", "--login-path", "--character-sets-dir",
                      "--default-character-set", "--delimiter", "--tee", "--prompt",
                      "--protocol", "--plugin-dir", "--default-auth", "--connect-timeout",
                      "--max-allowed-packet", "--net-buffer-length", "--select-limit",
                      "--max-join-size", "--bind-address", "--ssl-ca", "--ssl-cert",
                      "--ssl-key", "--ssl-cipher", "--ssl-crl", "--ssl-crlpath", "--ssl-mode",
                      "--tls-version", "--histignore", "--load-data-local-dir",
                      "--compression-algorithms", "--server-public-key-path", "--set-variable"}),
    aliases={"-e": "--execute", "-D": "--database", "-h": "--host", "-u": "--user",
             "-P": "--port", "-S": "--socket", "-p": "--password", "-?": "--help",
             "-V": "--version"},
    flags=frozenset({"--batch", "--silent", "--skip-column-names", "--force", "--verbose",
                     "--version", "--help", "--raw", "--table", "--vertical", "--xml",
                     "--html", "--unbuffered", "--no-beep", "--quick", "--compress",
                     "--no-defaults", "--print-defaults", "--safe-updates", "--i-am-a-dummy",
                     "--binary-mode", "--comments", "--skip-comments", "--auto-rehash"}),
    optional=frozenset({"-p", "--password", "--pager", "-#", "--debug"}),
    long_prefix=True, mysql_names=True)
"""mysql and mariadb (my_getopt: -pSECRET only attached, --loose-/_ spellings)."""


SQLITE = Spec(
    valued=frozenset({"-init", "-cmd", "-separator", "-newline", "-nullvalue", "-vfs",
                      "-maxsize", "-mmap", "-heap", "-threadsafe", "-escape", "-nonce",
                      "-sorterref", "-c", "-s", "-f", "-storage-version"}),
    aliases={"-version": "--version", "-help": "--help"},
    bundling=False, single_dash_long=True)
"""sqlite3 and duckdb (one-dash long options anywhere on the line)."""


CLICKHOUSE = Spec(
    valued=frozenset({"-q", "-h", "-u", "-d", "-f", "-C", "--query", "--queries-file",
                      "--host", "--port", "--user", "--database", "--format", "--config-file",
                      "--connection"}),
    aliases={"-q": "--query", "-h": "--host", "-u": "--user", "-d": "--database",
             "-f": "--format", "-C": "--config-file", "-n": "--multiquery",
             "-m": "--multiline", "-V": "--version"},
    flags=frozenset({"--multiquery", "--multiline", "--time", "--stacktrace", "--progress",
                     "--echo", "--vertical", "--secure", "--version", "--help", "--verbose",
                     "--ignore-error", "--no-warnings", "--disable_suggestion",
                     "--interactive", "--ask-password", "--testmode", "--highlight"}),
    optional=frozenset({"--password"}),
    unknown_long_valued=True)
"""clickhouse-client (any --setting takes a value)."""


COCKROACH = Spec(
    valued=frozenset({"-e", "-f", "-u", "-d", "-p", "--execute", "--file", "--url", "--host",
                      "--port", "--user", "--database", "--certs-dir", "--format", "--set",
                      "--cluster-name", "--watch", "--log", "--log-dir", "--vmodule",
                      "--log-config-file"}),
    aliases={"-e": "--execute", "-f": "--file", "-u": "--user", "-d": "--database",
             "-p": "--port"})
"""cockroach sql (pflag)."""


MONGO = Spec(
    valued=frozenset({"--host", "--port", "--username", "-u", "--password", "-p",
                      "--authenticationDatabase", "--authenticationMechanism", "--eval",
                      "--file", "-f", "--apiVersion", "--tlsCAFile", "--tlsCertificateKeyFile",
                      "--tlsCertificateKeyFilePassword", "--tlsCRLFile", "--sslCAFile",
                      "--sslPEMKeyFile", "--sslPEMKeyPassword", "--gssapiServiceName",
                      "--awsAccessKeyId", "--awsSecretAccessKey", "--awsSessionToken",
                      "--keyVaultNamespace", "--kmsURL", "--tlsCertificateSelector",
                      "--tlsDisabledProtocols", "--cryptSharedLibPath", "--oidcFlows",
                      "--oidcRedirectUri", "--browser", "--db", "--sspiHostnameCanonicalization"}),
    aliases={"-u": "--username", "-p": "--password", "-f": "--file", "-h": "--help"},
    bundling=False)
"""mongosh and mongo."""
