"""The set-up behind `make dev` and `make test`: a project-local PostgreSQL and Redis that start
from nothing, run a command, stop again, and do it all a second time."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STACK = ROOT / "deploy" / "local" / "stack.py"
NAME = "stackcheck"


def _stack(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, str(STACK), *args], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=300, check=False,
    )


def _running_servers() -> str:
    """Live postgres and redis processes whose command line names this stack's folder."""
    ps = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True,
                        check=False).stdout
    return "\n".join(
        line for line in ps.splitlines()
        if f".var/{NAME}" in line and not line.lstrip().startswith("Z")
    )


@pytest.fixture
def stack_folder():
    yield ROOT / ".var" / NAME
    _stack("stop", NAME)
    subprocess.run(["rm", "-rf", str(ROOT / ".var" / NAME)], check=False)


PROBE = (
    "import os, socket, sys\n"
    "import psycopg\n"
    "with psycopg.connect(os.environ['DATABASE_URL']) as conn:\n"
    "    conn.execute('CREATE TABLE IF NOT EXISTS probe (n int)')\n"
    "    conn.execute('INSERT INTO probe VALUES (1)')\n"
    "    print('rows', conn.execute('SELECT count(*) FROM probe').fetchone()[0])\n"
    "import redis\n"
    "print('redis', redis.Redis.from_url(os.environ['REDIS_URL']).ping())\n"
)


def test_stack_starts_from_nothing_twice_and_stops_what_it_started(stack_folder):
    first = _stack("run", NAME, "--", sys.executable, "-c", PROBE)
    second = _stack("run", NAME, "--", sys.executable, "-c", PROBE)

    assert first.returncode == 0, first.stderr
    assert "rows 1" in first.stdout and "redis True" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "rows 2" in second.stdout  # the data folder is kept between runs
    assert _running_servers() == ""


def test_a_failing_command_fails_the_run_and_still_stops_the_servers(stack_folder):
    result = _stack("run", NAME, "--", sys.executable, "-c", "raise SystemExit(3)")

    assert result.returncode == 3
    assert _running_servers() == ""


def test_given_urls_are_used_and_nothing_is_started(stack_folder):
    urls = {"DATABASE_URL": "postgres://elsewhere/db", "REDIS_URL": "redis://elsewhere:6379/0"}

    result = _stack("run", NAME, "--", sys.executable, "-c",
                    "import os; print(os.environ['DATABASE_URL'], os.environ['REDIS_URL'])", env=urls)

    assert result.returncode == 0
    assert result.stdout.split() == [urls["DATABASE_URL"], urls["REDIS_URL"]]
    assert not (stack_folder / "pg").exists()
