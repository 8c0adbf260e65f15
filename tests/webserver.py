"""The real server and Chromium for the browser tests (test_web.py, test_web_page.py)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CLAUSECHECK_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def require_browser():
    """Playwright's sync API, or a module-level skip when it or Debian's Chromium is missing."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python package) is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package `chromium`; set CLAUSECHECK_CHROMIUM)",
                    allow_module_level=True)
    return sync_api


def serve(tmp_path_factory):
    """Starts `clausecheck serve` on a free port with its own database; yields the base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSECHECK_") and k != "DATABASE_URL"}
    env.update(CLAUSECHECK_WORKERS="1", PYTHONPATH=str(ROOT))
    db = tmp_path_factory.mktemp("web") / "cc.sqlite3"
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--db", str(db)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 40
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("server did not start")
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(20)


def launch(sync_api):
    """Debian's Chromium through Playwright (never a downloaded browser); skips if it cannot start."""
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as exc:  # a Chromium that cannot start here is an environment problem
            pytest.skip(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield b
        b.close()
