#!/usr/bin/env sh
# Run the whole test suite: installs shellgate with its test tools into ./.venv first.
#   ./test.sh [pytest arguments…]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
"$here/install.sh" --test >/dev/null
cd "$here"
status=0
"$here/.venv/bin/python" -m pytest -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
