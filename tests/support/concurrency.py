"""Run a call in several threads released at once, each on its own database connection; wait for
something to become true without sleeping a fixed time."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def run_at_once(count: int, call) -> list:
    """Run `call(i)` in `count` threads released together; return results or raised errors."""
    start = threading.Barrier(count)

    def worker(index):
        try:
            start.wait(timeout=30)
            return call(index)
        except Exception as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def wait_until(condition, timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll `condition()` until it is true (True) or `timeout` seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True
