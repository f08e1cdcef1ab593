#!/usr/bin/env sh
# Install shellgate into its own virtual environment and show it catching a destructive
# command. Needs only python3 (>= 3.10) with the venv module; nothing installed by hand.
#   ./install.sh            install into ./.venv (or $SHELLGATE_VENV) and run the demo
#   ./install.sh --test     also install the test tools (pytest, hypothesis, bashlex, ruff, mypy)
#   ./install.sh --shims [OPTIONS]   then `shellgate install [OPTIONS]`: write the shims and put
#                           them first on PATH in your shell startup files (--dry-run to preview)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
venv=${SHELLGATE_VENV:-"$here/.venv"}
extras=""
shims=""
case "${1:-}" in
    --test) extras="[test]" ;;
    --shims) shims=1; shift ;;
esac

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "install.sh: shellgate needs Python 3.10 or newer as '$python'" >&2
    exit 1
fi
if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' 2>/dev/null; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        ver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        apt-get update -qq && { apt-get install -y -qq "python$ver-venv" || apt-get install -y -qq python3-venv; }
    else
        echo "install.sh: the Python venv module is missing; install python3-venv" >&2
        exit 1
    fi
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$here$extras"
# Console scripts run isolated (-I): an agent's PYTHONPATH or PYTHONHOME must never
# replace the shellgate that is deciding about it.
for script in shellgate shellgate-sh; do
    sed -i '1s|^#!\(.*/python[0-9.]*\)$|#!\1 -I|' "$venv/bin/$script"
done

echo "shellgate installed in $venv"
echo
echo "Demo: the command that deleted a production database in April 2026:"
demo='curl -X POST https://backboard.railway.app/graphql/v2 -H "Authorization: Bearer $TOKEN" -d '"'"'{"query":"mutation { volumeDelete(volumeId: \"vol_123\") }"}'"'"
echo "  \$ shellgate check -c '$demo'"
"$venv/bin/shellgate" check -c "$demo" | sed 's/^/  /'
echo
echo "  \$ shellgate check -c 'bash -c \"git push --force origin main\"'"
"$venv/bin/shellgate" check -c 'bash -c "git push --force origin main"' | sed 's/^/  /'

if [ -n "$shims" ]; then
    echo
    "$venv/bin/shellgate" install "$@"
fi
