#!/usr/bin/env sh
# Install shellgate into its own virtual environment and show it catching a destructive
# command. Needs only python3 (>= 3.10) with the venv module; nothing installed by hand.
#   ./install.sh            install into ./.venv (or $SHELLGATE_VENV) and run the demo
#   ./install.sh --test     also install the test tools (pytest, hypothesis, bashlex, ruff, mypy)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
venv=${SHELLGATE_VENV:-"$here/.venv"}
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

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

echo "shellgate installed in $venv"
echo
echo "Demo: the command that deleted a production database in April 2026:"
demo='curl -X POST https://backboard.railway.app/graphql/v2 -H "Authorization: Bearer $TOKEN" -d '"'"'{"query":"mutation { volumeDelete(volumeId: \"vol_123\") }"}'"'"
echo "  \$ shellgate check -c '$demo'"
"$venv/bin/shellgate" check -c "$demo" | sed 's/^/  /'
echo
echo "  \$ shellgate check -c 'bash -c \"git push --force origin main\"'"
"$venv/bin/shellgate" check -c 'bash -c "git push --force origin main"' | sed 's/^/  /'
