"""`make dev` survives a crashed worker: the web server keeps answering, the worker is started
again, and the task it held is handed out again and has its effect exactly once."""
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.cache import caches

from tests.support.concurrency import wait_until

ROOT = Path(__file__).resolve().parent.parent
QUEUE = f"dev-supervisor-{uuid.uuid4().hex[:8]}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append((int(stat.parent.name), cmdline))
    return found


def _worker_main(dev_pid: int) -> int | None:
    return next((pid for pid, cmdline in _children(dev_pid) if "celery" in cmdline and " worker" in cmdline),
                None)


def _database_url() -> str:
    database = settings.DATABASES["default"]
    return (f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}")


@pytest.fixture
def dev(committed):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL,
           "PORT": str(port), "CELERY_VISIBILITY_TIMEOUT": "5", "CELERY_UNACKED_RESTORE_INTERVAL": "1",
           "CELERY_IMPORTS": "tests.support.tasks",
           "CELERY_TASK_DEFAULT_QUEUE": QUEUE, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    process = subprocess.Popen([sys.executable, "deploy/local/dev.py"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"

    def serving() -> bool:
        try:
            return requests.get(url, headers={"Host": settings.BASE_HOST}, timeout=2,
                                allow_redirects=False).status_code in (200, 302)
        except requests.RequestException:
            return False

    try:
        assert wait_until(serving, timeout=120), "make dev did not start"
        assert wait_until(lambda: _worker_main(process.pid) is not None, timeout=60)
        yield process, serving
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_the_workers_main_process_killed_mid_task_is_restarted_and_the_task_done_once(dev):
    from tests.support.tasks import slow_once

    process, serving = dev
    shared, key = caches["shared"], uuid.uuid4().hex
    worker = _worker_main(process.pid)

    slow_once.apply_async(args=[key, 4], queue=QUEUE)
    assert wait_until(lambda: shared.get(f"starts:{key}") == 1, timeout=60)
    os.kill(worker, signal.SIGKILL)

    assert serving()  # the web server goes on
    assert wait_until(lambda: _worker_main(process.pid) not in (None, worker), timeout=60)
    assert wait_until(lambda: shared.get(f"done:{key}") == 1, timeout=90)
    assert serving()
    assert process.poll() is None
    assert shared.get(f"effects:{key}") == 1
    assert shared.get(f"starts:{key}") >= 2  # handed out again after the crash
