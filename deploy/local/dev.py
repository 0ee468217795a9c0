"""`make dev`: migrate, load the demo data, then run the web server, a Celery worker and beat
until Ctrl-C, starting again whichever of them dies. Expects DATABASE_URL and REDIS_URL
(deploy/local/stack.py sets them); PORT for the web server (8000)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from loyalty.cardnumbers import card_number_from_serial  # noqa: E402  (pure functions and constants)
from tenants.demo import (  # noqa: E402
    DEMO_ACTIVATION_CODE,
    DEMO_BLANK_CARD_SERIAL,
    DEMO_CARDHOLDER_EMAIL,
    DEMO_CARDHOLDER_PASSWORD,
)

PYTHON = sys.executable
# Waits before starting a process that died again; one that ran this long starts from the first.
RESTART_DELAYS = [1, 2, 5, 10, 30]
STABLE_SECONDS = 60


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def banner(port: str, base_host: str) -> str:
    return f"""
  Stammkunde is running.

  Operator console   http://{base_host}:{port}/
                     operator@stammkunde.localhost / stammkunde
  Demo merchant      http://demo.{base_host}:{port}/          (cardholder portal)
                     http://demo.{base_host}:{port}/manage/   owner@demo.localhost / demo
                                                              (or leitung@demo.localhost / demo)
  Demo till          http://demo.{base_host}:{port}/pos/      pair it with a code from
                     /manage/terminals/, then kasse@demo.localhost / demo
  Demo cardholder    http://demo.{base_host}:{port}/sign-in/  {DEMO_CARDHOLDER_EMAIL} / {DEMO_CARDHOLDER_PASSWORD}
  Card to register   http://demo.{base_host}:{port}/register/ card {card_number_from_serial(DEMO_BLANK_CARD_SERIAL)}, code {DEMO_ACTIVATION_CODE}
                     (the e-mails the portal sends are printed here)

  Stop with Ctrl-C. Your data stays in .var/dev for the next `make dev`.
"""


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    port = os.environ.get("PORT", "8000")
    os.environ.setdefault("STAMMKUNDE_PUBLIC_PORT", port)  # for links in e-mails
    base_host = os.environ.get("STAMMKUNDE_BASE_HOST", "stammkunde.localhost")
    var = ROOT / ".var" / "dev"
    var.mkdir(parents=True, exist_ok=True)

    manage("migrate_schemas", "--noinput", "-v", "0")
    manage("seed_demo_operator")
    manage("seed_demo")

    celery = [PYTHON, "-m", "celery", "-A", "config"]
    commands = {
        "web": [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"],
        "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", str(var / "celerybeat-schedule")],
    }
    processes = {name: subprocess.Popen(command, cwd=ROOT) for name, command in commands.items()}
    started_at = dict.fromkeys(processes, time.monotonic())
    restarts = dict.fromkeys(processes, 0)
    due: dict[str, float] = {}  # name → when a process that died is started again
    print(banner(port, base_host), flush=True)

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # Run until asked to stop. A process that dies is started again (a crashed worker must not
    # take the web server and the databases down with it), a little later each time it keeps dying.
    while not stopping:
        now = time.monotonic()
        for name, process in processes.items():
            if name in due or process.poll() is None:
                continue
            if now - started_at[name] > STABLE_SECONDS:
                restarts[name] = 0
            delay = RESTART_DELAYS[min(restarts[name], len(RESTART_DELAYS) - 1)]
            restarts[name] += 1
            due[name] = now + delay
            print(f"dev: {name} exited with {process.returncode}; starting it again in {delay} s.",
                  file=sys.stderr, flush=True)
        for name, when in list(due.items()):
            if when <= now:
                processes[name] = subprocess.Popen(commands[name], cwd=ROOT)
                started_at[name] = now
                del due[name]
                print(f"dev: {name} started again (pid {processes[name].pid}).", file=sys.stderr, flush=True)
        time.sleep(0.25)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
