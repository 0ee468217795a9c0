"""POS bookings over HTTP on loopback against gunicorn, driven by wrk (a load generator in C that
takes little of the server's CPU): bookings per second with p50/p99 latency for 16 and 64
terminals spread over many cards and for 16 terminals on one hot card, next to pgbench's TPC-B
figure on the same PostgreSQL in the same run.

Run: `make bench-bookings` (or with DATABASE_URL / REDIS_URL set: `python bench/bookings.py`).
Options: --seconds 15 --workers <cores> --worker-class sync --threads 1 --only 16 (see
deploy/gunicorn.conf.py for why sync workers, one per core)"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
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
from loyalty.models import Booking, Card, Program  # noqa: E402
from loyalty.services.cards import cards_create_range  # noqa: E402
from loyalty.services.terminals import terminal_create  # noqa: E402
from tenants.models import Merchant  # noqa: E402
from tenants.services import merchant_provision  # noqa: E402

CARDS = 1_000
# Each request: a card of the scenario's list, a purchase amount, and a fresh Idempotency-Key, as a
# till makes one per booking. wrk runs this in each of its threads.
WRK_SCRIPT = """
local cards = {%(cards)s}
local run = "%(run)s"
local counter = 0
local next_thread = 0

-- Runs in the main state once per thread: each thread gets a number of its own (a global there).
function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

function init(args)
  math.randomseed(thread_id * 7919 + os.time())
end

function request()
  counter = counter + 1
  -- Unique per run, thread and request: a till makes a fresh key for every booking.
  local key = string.format("%%s-%%d-%%d-%%d", run, thread_id, counter, math.random(0, 0x7fffffff))
  local card = cards[math.random(1, #cards)]
  local body = string.format(
    '{"card_number": "%%s", "program": %(program)d, "purchase_amount_cents": %%d}',
    card, 100 + counter %% 5000)
  return wrk.format("POST", "/api/bookings/earn/", {
    ["Host"] = "%(host)s",
    ["Authorization"] = "Terminal %(token)s",
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%f %%f %%f %%d %%d\\n",
    summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare() -> tuple[Merchant, str, int, list[str]]:
    call_command("migrate_schemas", "--noinput", verbosity=0)
    subdomain = f"bench-{uuid.uuid4().hex[:8]}"
    merchant = merchant_provision(subdomain=subdomain, name="Benchmark", owner_email=f"o@{subdomain}.example")
    with schema_context(merchant.schema_name):
        program = Program.objects.create(kind="points", name="Punkte")
        cards = cards_create_range(first_serial=1, count=CARDS, actor=Actor.system("bench"),
                                   status=Card.Status.ACTIVE)
        _, token = terminal_create(name="Bench", actor=Actor.system("bench"))
    return merchant, token, program.pk, [card.number for card in cards]


def start_server(port: int, workers: int, worker_class: str = "sync", threads: int = 1) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "false",
           "DATABASE_CONN_MAX_AGE": "600", "DJANGO_LOG_LEVEL": "WARNING"}
    # Production's configuration (deploy/gunicorn.conf.py), with the measured choices overridable.
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
               "config.wsgi:application", "--workers", str(workers), "--worker-class", worker_class,
               "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds_by_process() -> dict[str, float]:
    """CPU time used so far by the web server's processes and by PostgreSQL's, from /proc."""
    totals = {"gunicorn": 0.0, "postgres": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
        if b"gunicorn" in cmdline:
            totals["gunicorn"] += cpu
        elif text[text.index("(") + 1:text.rindex(")")] == "postgres":
            totals["postgres"] += cpu
    return totals


def wrk(port: int, script: Path, connections: int, seconds: int) -> dict:
    """One wrk run; its figures, the share of the machine's CPU that wrk itself used, and the
    server's CPU time (web server, PostgreSQL) in the run."""
    threads = min(2, connections)
    server_before = cpu_seconds_by_process()
    before = os.times()
    started = time.perf_counter()
    result = subprocess.run(
        ["wrk", "--threads", str(threads), "--connections", str(connections), "--duration", f"{seconds}s",
         "--timeout", "10s", "--script", str(script), f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = os.times()
    server_after = cpu_seconds_by_process()
    client_cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    match = re.search(r"^RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+)$", result.stdout, re.M)
    if not match:
        raise SystemExit(f"wrk gave no result:\n{result.stdout}\n{result.stderr}")
    requests, duration_us, p50, p99, worst, bad_status, socket_errors = match.groups()
    return {
        "requests": int(requests), "seconds": int(duration_us) / 1e6, "p50": float(p50),
        "p99": float(p99), "max": float(worst), "failures": int(bad_status) + int(socket_errors),
        "client_cpu_share": client_cpu / (wall * (os.cpu_count() or 1)),
        "server_cpu": {name: server_after[name] - server_before[name] for name in server_after},
    }


def scenario(port, merchant, token, program, cards, *, connections, seconds, label) -> dict:
    def script() -> Path:
        """The request script, with a run id of its own in every key."""
        path = Path(tempfile.mkstemp(suffix=".lua")[1])
        path.write_text(WRK_SCRIPT % {
            "cards": ", ".join(json.dumps(number) for number in cards), "program": program,
            "host": merchant.primary_host, "token": token, "run": uuid.uuid4().hex[:12],
        })
        return path

    warm_up, measured = script(), script()
    try:
        wrk(port, warm_up, connections, 2)  # every worker connected, code paths loaded
        with schema_context(merchant.schema_name):
            before = Booking.objects.count()
        figures = wrk(port, measured, connections, seconds)
        with schema_context(merchant.schema_name):
            figures["booked"] = Booking.objects.count() - before
    finally:
        warm_up.unlink()
        measured.unlink()
    figures["label"] = label
    # Bookings the ledger holds afterwards, not answers: a repeated key would be answered, not booked.
    figures["rate"] = figures["booked"] / figures["seconds"]
    return figures


def pgbench_tps(clients: int, seconds: int) -> float | None:
    pgbench = shutil.which("pgbench") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None)
    if not pgbench:
        return None
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
                    "DROP DATABASE bench_pgbench"], capture_output=True, check=False)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    return float(match.group(1)) if match else None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", choices=["16", "64", "hot"], action="append",
                        help="run only these scenarios (default: all three)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")

    merchant, token, program, cards = prepare()
    port = free_port()
    server = start_server(port, args.workers, args.worker_class, args.threads)
    scenarios = {
        "16": {"connections": 16, "cards": cards, "label": "16 terminals, 1,000 cards"},
        "64": {"connections": 64, "cards": cards, "label": "64 terminals, 1,000 cards"},
        "hot": {"connections": 16, "cards": cards[:1], "label": "16 terminals, one hot card"},
    }
    results = []
    try:
        for name in args.only or scenarios:
            spec = scenarios[name]
            results.append(scenario(port, merchant, token, program, spec["cards"],
                                    connections=spec["connections"], seconds=args.seconds,
                                    label=spec["label"]))
    finally:
        server.terminate()
        server.wait(timeout=30)
        merchant.delete(force_drop=True)
    tps = pgbench_tps(16, args.seconds)

    print(f"gunicorn: {args.workers} {args.worker_class} workers × {args.threads} threads on "
          f"{os.cpu_count()} cores; wrk {args.seconds} s per scenario")
    for figures in results:
        share = f", {figures['rate'] / tps:.0%} of pgbench" if tps else ""
        print(f"{figures['label']:<28} {figures['rate']:7.0f} bookings/s{share}; p50 "
              f"{figures['p50']:5.1f} ms, p99 {figures['p99']:5.1f} ms, max {figures['max']:6.1f} ms; "
              f"failures {figures['failures']}; wrk used {figures['client_cpu_share']:.0%} of the CPU")
        booked = max(1, figures["booked"])
        per_booking = {name: seconds * 1000 / booked for name, seconds in figures["server_cpu"].items()}
        print(f"{'':<28} CPU per booking: web server {per_booking['gunicorn']:.2f} ms, "
              f"PostgreSQL {per_booking['postgres']:.2f} ms; {figures['booked']} bookings for "
              f"{figures['requests']} requests")
    print(f"pgbench TPC-B (scale 10, 16 clients, same server): "
          f"{f'{tps:.0f} transactions/s' if tps else 'not available'}")
    print(f"database: {settings.DATABASES['default']['HOST']}:{settings.DATABASES['default']['PORT']}")


if __name__ == "__main__":
    main()
