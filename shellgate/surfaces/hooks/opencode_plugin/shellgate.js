// shellgate hook for OpenCode (written by `shellgate install --agent opencode`;
// `shellgate uninstall --agent opencode` removes it). Before every bash tool call it asks
// shellgate's hook (`shellgate hook opencode`), which may wait for a security-key touch, and
// throws (blocking the call) unless the answer is an explicit allow. Any failure blocks.
import { spawn } from "node:child_process";

const ARGV = __SHELLGATE_ARGV__;
const TIMEOUT_MS = __TIMEOUT_MS__;

function ask(payload) {
  return new Promise((resolve) => {
    let out = "";
    let err = "";
    let done = false;
    const finish = (answer) => {
      if (!done) {
        done = true;
        resolve(answer);
      }
    };
    let child;
    try {
      child = spawn(ARGV[0], ARGV.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    } catch (e) {
      finish({ decision: "deny", reason: `shellgate could not start: ${e}` });
      return;
    }
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      finish({ decision: "deny", reason: "shellgate: no answer within the hook time" });
    }, TIMEOUT_MS);
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; });
    child.on("error", (e) => {
      clearTimeout(timer);
      finish({ decision: "deny", reason: `shellgate could not start: ${e}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      let answer = null;
      try {
        answer = JSON.parse(out);
      } catch (e) {
        answer = null;
      }
      if (code === 0 && answer && answer.decision === "allow") {
        finish(answer);
      } else {
        const reason = (answer && answer.reason) || err.trim() || `shellgate exited ${code}`;
        finish({ decision: "deny", reason });
      }
    });
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(payload));
  });
}

export const ShellgatePlugin = async ({ directory }) => ({
  "tool.execute.before": async (input, output) => {
    if (input.tool !== "bash") return;
    const answer = await ask({
      tool: input.tool,
      args: output.args,
      cwd: directory || null,
      sessionID: input.sessionID || "",
      callID: input.callID || "",
    });
    if (answer.decision !== "allow") throw new Error(answer.reason);
  },
});
