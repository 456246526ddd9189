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

from tests.fixture_data import HF_FIXTURES, REPO_ROOT, fixture_repo_ids

# Fixtures Megatron cannot express (and the HF key each must name), and the non-causal ones.
UNSUPPORTED = {
    "google/gemma-2b": "model_type",
    "google/gemma-2-9b": "model_type",
    "microsoft/Phi-3-mini-128k-instruct": "rope_scaling",
    "deepseek-ai/DeepSeek-V2": "topk_method",  # group_limited_greedy ranks groups by their best expert
}
# Causal LMs of families with no mapping at all: only model_type is examined, nothing is counted.
UNSUPPORTED_FAMILY = {
    "CohereForAI/c4ai-command-r-v01", "EleutherAI/pythia-160m", "allenai/OLMo-2-1124-7B", "bigcode/starcoder2-3b",
    "google/gemma-3-1b-pt", "ibm-granite/granite-3.0-2b-base", "microsoft/Phi-3-small-8k-instruct", "microsoft/phi-2",
    "openai-community/gpt2", "tiiuae/falcon-7b",
}
UNSUPPORTED.update({repo: "model_type" for repo in UNSUPPORTED_FAMILY})
# Supported fixtures with an HF feature Megatron builds differently, imported with these accepted
# (`--accept-divergence`): Llama-3.2's llama3 rope factor 32 (gpt_builder passes no factor: 8),
# Vicuna-16k's linear factor 4 (gpt_builder passes no seq_len_interpolation_factor).
ACCEPT = {"meta-llama/Llama-3.2-1B": ("rope_scaling_factor",), "meta-llama/Llama-3.2-3B": ("rope_scaling_factor",),
          "lmsys/vicuna-7b-v1.5-16k": ("rotary_seq_len_interpolation_factor",)}
NOT_CAUSAL = {"google-bert/bert-base-uncased", "Qwen/Qwen2-VL-7B-Instruct", "google/gemma-3-4b-it",
              "meta-llama/Llama-4-Scout-17B-16E"}


def all_repo_ids() -> list[str]:
    return fixture_repo_ids()


def supported_repo_ids() -> list[str]:
    return [r for r in all_repo_ids() if r not in UNSUPPORTED and r not in NOT_CAUSAL]


def mappable_repo_ids() -> list[str]:
    return [r for r in all_repo_ids() if r not in NOT_CAUSAL]


def countable_repo_ids() -> list[str]:
    """Mapped fixtures whose parameters both analytic counts can reproduce (supported or best effort)."""
    return [r for r in mappable_repo_ids() if r not in UNSUPPORTED_FAMILY]


def load(repo_id: str) -> dict:
    return json.loads((HF_FIXTURES / repo_id.replace("/", "--", 1) / "config.json").read_text())


def mapped(repo_id: str, data: dict | None = None):
    """map_config of a fixture (or `data` spelled like it) with its known divergences accepted."""
    from primus_tui.hf import map_config

    return map_config(load(repo_id) if data is None else data, accept=ACCEPT.get(repo_id, ()))


def accept_args(repo_id: str) -> list[str]:
    return [arg for key in ACCEPT.get(repo_id, ()) for arg in ("--accept-divergence", key)]


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
