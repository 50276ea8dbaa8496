"""Scale tests: several processes against one database (the `database_url` fixture).

Every subprocess is bounded in time and stopped in `finally`; traffic stays on loopback.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from sandboxes.x import SandboxStore, create_sandbox_app, set_rate_limits
from tests.social.helpers import BRAND_ID, BRAND_USERNAME


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[str, SandboxStore]]:
    """Serve the sandbox X API on 127.0.0.1 with rate limits off; yield (base URL, store).

    Its file lives in memory-backed /dev/shm where there is one: the sandbox commits (and
    fsyncs) twice per post, which would make it, not IdeaBoard, the bottleneck here.
    """
    shm = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private folder inside
    folder = Path(tempfile.mkdtemp(prefix="ib-sandbox-", dir=shm if shm.is_dir() else tmp_path))
    path = str(folder / "x_sandbox.sqlite")
    app = create_sandbox_app(path, brand_user_id=BRAND_ID, brand_username=BRAND_USERNAME)
    store = SandboxStore(path)
    set_rate_limits(store, unlimited=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False  # so server_close() waits for handler threads to finish
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="x-sandbox", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", store
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
