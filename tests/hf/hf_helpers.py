"""Shared bits for the HF import tests: fixture lists, loaders, a fake Hub, CLI runner."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HF_FIXTURES = REPO_ROOT / "tests" / "fixtures" / "hf_configs"

# Fixtures Megatron cannot express (and the HF key each must name), and the non-causal one.
UNSUPPORTED = {
    "google/gemma-2b": "model_type",
    "microsoft/Phi-3-mini-128k-instruct": "rope_scaling",
}
NOT_CAUSAL = {"google-bert/bert-base-uncased"}


def all_repo_ids() -> list[str]:
    return sorted(p.name.replace("--", "/", 1) for p in HF_FIXTURES.iterdir() if (p / "config.json").is_file())


def supported_repo_ids() -> list[str]:
    return [r for r in all_repo_ids() if r not in UNSUPPORTED and r not in NOT_CAUSAL]


def mappable_repo_ids() -> list[str]:
    return [r for r in all_repo_ids() if r not in NOT_CAUSAL]


def load(repo_id: str) -> dict:
    return json.loads((HF_FIXTURES / repo_id.replace("/", "--", 1) / "config.json").read_text())


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`primus-tui ARGS` in a fresh interpreter, with the current environment (+ env)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PRIMUS_TUI_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "primus_tui", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or REPO_ROOT, timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    """Exit `code`, exactly one stderr line `primus-tui: error: ...` containing every needle, no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("primus-tui: error: "), lines[0]
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


class _HubHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with the status and X-Error-Code the Hub uses for a given repo."""

    routes: dict[str, tuple[int, str, str]] = {}
    seen_auth: list[str | None] = []

    def _answer(self) -> None:
        self.seen_auth.append(self.headers.get("Authorization"))
        for prefix, (status, code, message) in self.routes.items():
            if self.path.startswith(prefix):
                break
        else:
            status, code, message = 404, "RepoNotFound", "Repository not found"
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = _answer

    def log_message(self, *args) -> None:  # quiet
        pass


@contextmanager
def fake_hub(routes: dict[str, tuple[int, str, str]]):
    """A local HTTP 'Hub' (use as HF_ENDPOINT) answering `path prefix -> (status, X-Error-Code, message)`."""
    handler = type("Handler", (_HubHandler,), {"routes": routes, "seen_auth": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.seen_auth
    finally:
        server.shutdown()
        server.server_close()
