"""Run a call in several threads released at once, each on its own database connection."""
import threading
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
