"""A fake model server on 127.0.0.1 for driving real agent CLIs in tests.

It speaks the dialects the agents use — Anthropic messages, OpenAI responses, OpenAI
chat completions, Gemini generateContent (each streamed as SSE when asked) — and plays one
scripted turn: when a request offers the agent's shell tool and carries no tool result
yet, it answers with one call of that tool running :attr:`FakeModel.command`; when the
request carries a tool result (what the agent saw after running, or being refused), it
records the request and answers with plain text, which ends the agent's turn. Every other
request (titles, token counts, routing) gets a short text or JSON answer.

The arguments of the tool call are built from the tool's own JSON schema, so the same
server drives ``Bash`` (Claude Code), ``exec_command``/``shell`` (Codex),
``run_shell_command`` (Gemini), ``bash`` (Copilot, OpenCode).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SHELL_TOOLS = ("Bash", "exec_command", "shell_command", "shell", "run_shell_command", "bash")
"""Shell tool names, most specific first."""
CALL_ID = "call_sgtest_1"


@dataclass
class Exchange:
    """One request the server answered."""

    path: str
    dialect: str
    answer: str  # "tool_call", "final" (after a tool result) or "text"
    body: dict[str, Any]
    tool: str = ""


@dataclass
class FakeModel:
    """The server's script and what it saw."""

    command: str = "true"
    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def followups(self) -> list[Exchange]:
        """Requests that carried a tool result back to the model."""
        with self.lock:
            return [e for e in self.exchanges if e.answer == "final"]

    def tool_calls(self) -> list[Exchange]:
        """Requests answered with the shell tool call."""
        with self.lock:
            return [e for e in self.exchanges if e.answer == "tool_call"]

    def tool_results(self) -> str:
        """The tool results the agent sent back (each follow-up's results, as JSON text)."""
        return "\n".join(json.dumps(list(_results(e.dialect, e.body)), ensure_ascii=False)
                         for e in self.followups())


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _results(dialect: str, body: dict[str, Any]) -> Iterator[Any]:
    """The tool-result parts of a request in ``dialect``."""
    for obj in _walk(body):
        if (dialect == "anthropic" and obj.get("type") == "tool_result") or \
                (dialect == "responses" and str(obj.get("type", "")).endswith(
                    "call_output")) or \
                (dialect == "gemini" and "functionResponse" in obj):
            yield obj
    if dialect == "chat":
        for message in body.get("messages", []):
            if isinstance(message, dict) and message.get("role") == "tool":
                yield message


def _tools(dialect: str, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tool name -> JSON schema of its parameters."""
    found: dict[str, dict[str, Any]] = {}
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        if dialect == "gemini":
            for decl in tool.get("functionDeclarations") or []:
                schema = decl.get("parametersJsonSchema") or decl.get("parameters") or {}
                found[decl.get("name", "")] = schema
        elif dialect == "anthropic":
            found[tool.get("name", "")] = tool.get("input_schema") or {}
        elif isinstance(tool.get("function"), dict):
            fn = tool["function"]
            found[fn.get("name", "")] = fn.get("parameters") or {}
        else:
            found[tool.get("name", "")] = tool.get("parameters") or {}
    return found


def _arguments(schema: dict[str, Any], command: str) -> dict[str, Any]:
    """Arguments for a shell tool whose parameters are ``schema``."""
    props = schema.get("properties") or {}
    required = schema.get("required") or []
    args: dict[str, Any] = {}
    for name in props:
        spec = props[name] if isinstance(props[name], dict) else {}
        kind = spec.get("type")
        if name in ("command", "cmd"):
            args[name] = ["bash", "-lc", command] if kind == "array" else command
        elif name == "description":
            args[name] = "Run the requested command"
        elif name in required:
            if kind == "boolean":
                args[name] = False
            elif kind in ("integer", "number"):
                args[name] = 30000
            elif kind == "array":
                args[name] = []
            elif kind == "object":
                args[name] = {}
            else:
                enum = spec.get("enum")
                args[name] = enum[0] if enum else "run"
    return args


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.endswith("/models"):
            data = [{"id": m, "object": "model", "name": m, "created": 0, "owned_by": "test"}
                    for m in ("fake-model", "gpt-4o", "claude-sonnet-4-5")]
            self._json({"object": "list", "data": data, "models": data})
        else:
            self._json({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        path = self.path.split("?")[0]
        if path.endswith("count_tokens") or path.endswith(":countTokens"):
            self._json({"input_tokens": 10, "totalTokens": 10})
            return
        if path.endswith("/messages"):
            dialect = "anthropic"
        elif path.endswith("/responses"):
            dialect = "responses"
        elif path.endswith("/chat/completions"):
            dialect = "chat"
        elif ":generateContent" in path or ":streamGenerateContent" in path:
            dialect = "gemini"
        else:
            self._json({})
            return
        model = self.server.model
        tools = _tools(dialect, body)
        shell = next((name for name in SHELL_TOOLS if name in tools), "")
        if any(True for _ in _results(dialect, body)):
            answer, text = "final", "The command has finished; the task is done."
        elif shell:
            answer, text = "tool_call", ""
        else:
            answer, text = "text", "ok"
        with model.lock:
            model.exchanges.append(Exchange(path, dialect, answer, body, shell))
        wants_json = "json" in str((body.get("generationConfig") or {})
                                   .get("responseMimeType", ""))
        if answer == "text" and wants_json:
            text = json.dumps({"reasoning": "test", "next_speaker": "user",
                               "model_choice": "flash", "complexity_reasoning": "test",
                               "complexity_score": 1})
        call = (shell, _arguments(tools[shell], model.command)) if answer == "tool_call" \
            else None
        stream = bool(body.get("stream")) or ":streamGenerateContent" in path
        getattr(self, f"_{dialect}")(text, call, stream)

    # --- writers -----------------------------------------------------------------------

    def _json(self, value: Any, status: int = 200) -> None:
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[tuple[str | None, Any]], done: bool = False) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for name, value in events:
            chunk = (f"event: {name}\n" if name else "") + f"data: {json.dumps(value)}\n\n"
            self.wfile.write(chunk.encode())
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def _anthropic(self, text: str, call: tuple[str, dict[str, Any]] | None,
                   stream: bool) -> None:
        usage = {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0,
                 "cache_read_input_tokens": 0}
        block: dict[str, Any] = ({"type": "tool_use", "id": "toolu_sgtest_1", "name": call[0],
                                  "input": call[1]} if call else {"type": "text", "text": text})
        stop = "tool_use" if call else "end_turn"
        message = {"id": "msg_sgtest", "type": "message", "role": "assistant",
                   "model": "claude-sonnet-4-5", "content": [block], "stop_reason": stop,
                   "stop_sequence": None, "usage": usage}
        if not stream:
            self._json(message)
            return
        start = dict(message, content=[], stop_reason=None)
        empty = dict(block, input={}) if call else dict(block, text="")
        delta = ({"type": "input_json_delta", "partial_json": json.dumps(call[1])} if call
                 else {"type": "text_delta", "text": text})
        self._sse([("message_start", {"type": "message_start", "message": start}),
                   ("content_block_start", {"type": "content_block_start", "index": 0,
                                            "content_block": empty}),
                   ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": delta}),
                   ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                   ("message_delta", {"type": "message_delta",
                                      "delta": {"stop_reason": stop, "stop_sequence": None},
                                      "usage": {"output_tokens": 5}}),
                   ("message_stop", {"type": "message_stop"})])

    def _responses(self, text: str, call: tuple[str, dict[str, Any]] | None,
                   stream: bool) -> None:
        if call:
            item: dict[str, Any] = {"type": "function_call", "id": "fc_sgtest_1",
                                    "call_id": CALL_ID, "name": call[0],
                                    "arguments": json.dumps(call[1]), "status": "completed"}
        else:
            item = {"type": "message", "id": "msg_sgtest_1", "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": []}]}
        usage = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
                 "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": 15}
        response = {"id": "resp_sgtest", "object": "response", "created_at": 0,
                    "status": "completed", "model": "fake-model", "output": [item],
                    "usage": usage}
        if not stream:
            self._json(response)
            return
        self._sse([(None, {"type": "response.created",
                           "response": dict(response, status="in_progress", output=[])}),
                   (None, {"type": "response.output_item.added", "output_index": 0,
                           "item": item}),
                   (None, {"type": "response.output_item.done", "output_index": 0,
                           "item": item}),
                   (None, {"type": "response.completed", "response": response})])

    def _chat(self, text: str, call: tuple[str, dict[str, Any]] | None, stream: bool) -> None:
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        tool_calls = [{"index": 0, "id": CALL_ID, "type": "function",
                       "function": {"name": call[0], "arguments": json.dumps(call[1])}}] \
            if call else None
        finish = "tool_calls" if call else "stop"
        if not stream:
            message: dict[str, Any] = {"role": "assistant", "content": None if call else text}
            if tool_calls:
                message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"}
                                         for c in tool_calls]
            self._json({"id": "chat_sgtest", "object": "chat.completion", "created": 0,
                        "model": "fake-model", "usage": usage,
                        "choices": [{"index": 0, "message": message,
                                     "finish_reason": finish}]})
            return
        base = {"id": "chat_sgtest", "object": "chat.completion.chunk", "created": 0,
                "model": "fake-model"}
        delta: dict[str, Any] = {"role": "assistant"}
        if tool_calls:
            delta["content"] = None
            delta["tool_calls"] = tool_calls
        else:
            delta["content"] = text
        self._sse([(None, dict(base, choices=[{"index": 0, "delta": delta,
                                               "finish_reason": None}])),
                   (None, dict(base, choices=[{"index": 0, "delta": {},
                                               "finish_reason": finish}])),
                   (None, dict(base, choices=[], usage=usage))], done=True)

    def _gemini(self, text: str, call: tuple[str, dict[str, Any]] | None,
                stream: bool) -> None:
        part: dict[str, Any] = ({"functionCall": {"name": call[0], "args": call[1]}} if call
                                else {"text": text})
        response = {"candidates": [{"content": {"role": "model", "parts": [part]},
                                    "finishReason": "STOP", "index": 0}],
                    "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5,
                                      "totalTokenCount": 15},
                    "modelVersion": "gemini-2.5-flash"}
        if stream:
            self._sse([(None, response)])
        else:
            self._json(response)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    model: FakeModel


class Running:
    """A fake model server running in a thread (a context manager)."""

    def __init__(self, model: FakeModel) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.model = model
        self.model = model
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
