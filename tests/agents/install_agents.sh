#!/usr/bin/env bash
# Install the agent CLIs the end-to-end tests drive (tests/agents/), pinned, from the npm
# registry, into one prefix (default: build/agents). Called by .ci/run; safe to re-run
# (a prefix that already holds the pinned versions is left alone).
#
# Exit 0 when every agent installed; exit 3 with "registry unreachable" when npm cannot
# reach the registry (the tests then skip with that message); any other failure is 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix="${SHELLGATE_AGENTS_PREFIX:-$PWD/build/agents}"
# The versions tested; README's agent table lists the same ones.
pins=(
  "@anthropic-ai/claude-code@2.1.197"
  "@openai/codex@0.171.0"
  "@google/gemini-cli@0.61.0"
  "@github/copilot@1.0.102"
  "opencode-ai@1.18.33"
)
stamp="$prefix/.pins"
want="$(printf '%s\n' "${pins[@]}")"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "agents: pinned CLIs already in $prefix"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "agents: npm not found; install Node.js (>= 20) to run tests/agents" >&2
  exit 1
fi
if ! timeout 60 npm view "@openai/codex@0.171.0" version >/dev/null 2>&1; then
  echo "agents: registry unreachable (npm view failed); tests/agents will skip" >&2
  mkdir -p "$prefix" && echo "registry unreachable" > "$prefix/.unreachable"
  exit 3
fi
mkdir -p "$prefix"
rm -f "$prefix/.unreachable"
# --ignore-scripts is not used: codex and claude-code pick their platform binary in
# optionalDependencies, which npm resolves without scripts; opencode needs its postinstall.
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
npm install --no-save --prefix "$prefix" --loglevel=error "${pins[@]}"
# OpenCode installs its plugin SDK into its config dir when a plugin is there (~25 s of npm
# per run); the tests copy this prepared one instead.
mkdir -p "$prefix/opencode-config"
echo '{"dependencies": {"@opencode-ai/plugin": "1.18.33"}}' > "$prefix/opencode-config/package.json"
(cd "$prefix/opencode-config" && npm install --loglevel=error)
printf '%s\n' "${pins[@]}" > "$stamp"
echo "agents: installed into $prefix:"
printf '  %s\n' "${pins[@]}"
