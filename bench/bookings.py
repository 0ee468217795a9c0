"""POS bookings over HTTP on loopback: 16 terminals booking at once against gunicorn, reported as
bookings per second with p50/p99 latency, next to pgbench's TPC-B figure on the same PostgreSQL.

Run: `make bench-bookings` (or with DATABASE_URL / REDIS_URL set: `python bench/bookings.py`).
Options: --clients 16 --seconds 20 --workers 4"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from loyalty.actors import Actor  # noqa: E402
from loyalty.models import Card, Program  # noqa: E402
from loyalty.services.cards import cards_create_range  # noqa: E402
from loyalty.services.terminals import terminal_create  # noqa: E402
from tenants.models import Merchant  # noqa: E402
from tenants.services import merchant_provision  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(clients: int) -> tuple[Merchant, str, int, list[str]]:
    call_command("migrate_schemas", "--noinput", verbosity=0)
    subdomain = f"bench-{uuid.uuid4().hex[:8]}"
    merchant = merchant_provision(subdomain=subdomain, name="Benchmark", owner_email=f"o@{subdomain}.example")
    with schema_context(merchant.schema_name):
        program = Program.objects.create(kind="points", name="Punkte")
        cards = cards_create_range(first_serial=1, count=clients * 10, actor=Actor.system("bench"),
                                   status=Card.Status.ACTIVE)
        _, token = terminal_create(name="Bench", actor=Actor.system("bench"))
    return merchant, token, program.pk, [card.number for card in cards]


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "false",
           "DATABASE_CONN_MAX_AGE": "600", "DJANGO_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def terminal_loop(port, host, token, program, cards, deadline, latencies, failures):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": host, "Authorization": f"Terminal {token}", "Content-Type": "application/json"}
    index = 0
    while time.perf_counter() < deadline:
        body = json.dumps({"card": cards[index % len(cards)], "program": program,
                           "purchase_amount_cents": 1_000 + index})
        started = time.perf_counter()
        connection.request("POST", "/api/bookings/earn/", body,
                           {**headers, "Idempotency-Key": str(uuid.uuid4())})
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status == 201:
            latencies.append(elapsed)
        else:
            failures.append(response.status)
        index += 1
    connection.close()


def run_load(port, host, token, program, cards, clients, seconds) -> tuple[list[float], list[int], float]:
    latencies, failures = [], []
    # A short warm-up so that every gunicorn worker has its connection and imports ready.
    warm = time.perf_counter() + 2
    threads = [threading.Thread(target=terminal_loop, args=(port, host, token, program, cards[i::clients],
                                                            warm, [], [])) for i in range(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    threads = [threading.Thread(target=terminal_loop, args=(port, host, token, program, cards[i::clients],
                                                            deadline, latencies, failures))
               for i in range(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return latencies, failures, time.perf_counter() - started


def pgbench_tps(clients: int, seconds: int) -> str:
    pgbench = shutil.which("pgbench") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None)
    if not pgbench:
        return "pgbench not found"
    url = urlparse(os.environ["DATABASE_URL"])
    base = [str(pgbench), "-h", url.hostname, "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    psql = Path(pgbench).with_name("psql")
    subprocess.run([str(psql), *base[1:], "-d", url.path.lstrip("/"), "-qc",
                    "DROP DATABASE IF EXISTS bench_pgbench", "-c", "CREATE DATABASE bench_pgbench"],
                   check=True, capture_output=True)
    subprocess.run([*base, "-i", "-q", "-s", "10", "bench_pgbench"], check=True, capture_output=True)
    result = subprocess.run([*base, "-c", str(clients), "-j", "2", "-T", str(seconds), "bench_pgbench"],
                            check=True, capture_output=True, text=True)
    subprocess.run([str(psql), *base[1:], "-d", url.path.lstrip("/"), "-qc",
                    "DROP DATABASE bench_pgbench"], capture_output=True)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    return f"{float(match.group(1)):.0f} TPC-B transactions/s" if match else result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    merchant, token, program, cards = prepare(args.clients)
    port = free_port()
    server = start_server(port, args.workers)
    try:
        latencies, failures, elapsed = run_load(port, merchant.primary_host, token, program, cards,
                                                args.clients, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
        merchant.delete(force_drop=True)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    print(f"bookings: {len(latencies)} in {elapsed:.1f} s = {len(latencies) / elapsed:.0f}/s with "
          f"{args.clients} terminals, {args.workers} gunicorn workers; failures: {len(failures)}")
    print(f"latency:  p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"pgbench:  {pgbench_tps(args.clients, args.seconds)} (TPC-B, scale 10, {args.clients} clients, "
          f"same server)")
    print(f"database: {settings.DATABASES['default']['HOST']}:{settings.DATABASES['default']['PORT']}")


if __name__ == "__main__":
    main()
