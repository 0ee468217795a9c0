"""`make dev`: migrate, load the demo data, then run the web server, a Celery worker and beat
until Ctrl-C. Expects DATABASE_URL and REDIS_URL (deploy/local/stack.py sets them)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def banner(port: str, base_host: str) -> str:
    return f"""
  Stammkunde is running.

  Operator console   http://{base_host}:{port}/
                     operator@stammkunde.localhost / stammkunde
  Demo merchant      http://demo.{base_host}:{port}/          (cardholder portal)
                     http://demo.{base_host}:{port}/manage/   owner@demo.localhost / demo
  Demo till          http://demo.{base_host}:{port}/pos/      pair it with a code from
                     /manage/terminals/, then kasse@demo.localhost / demo

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
    manage("seed_demo")

    celery = [PYTHON, "-m", "celery", "-A", "config"]
    commands = {
        "web": [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"],
        "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", str(var / "celerybeat-schedule")],
    }
    processes = {name: subprocess.Popen(command, cwd=ROOT) for name, command in commands.items()}
    print(banner(port, base_host), flush=True)

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    # Run until asked to stop, or until one process dies (then take the others down with it).
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"dev: {name} exited with {process.returncode}; stopping.", file=sys.stderr)
                exit_code = process.returncode or 1
                stopping = True
                break
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
