"""Start the app under gunicorn on a free loopback port, and stop it again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like app process: only what we set, no test leftovers."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IDEABOARD_", "FLASK_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret-key",  # noqa: S106 - a throw-away key for local runs
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int,
    log: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> Iterator[str]:
    """Run `gunicorn -w workers app:app` on a free port; yield its base URL; stop it after."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "-w", str(workers),
        "-b", f"127.0.0.1:{port}",
        "--backlog", "2048",
        "--timeout", "60",
        "app:app",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**app_env(database_url), **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log}")
            try:  # workers still booting on a busy machine may accept and answer late
                if requests.get(f"{base}/login", timeout=15).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {log}")
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
