#!/usr/bin/env python3
"""Project-local PostgreSQL and Redis for Stammkunde: start them under .var/NAME, run a command with them, stop them.

Usage:
  python deploy/local/stack.py run NAME [--keep] -- CMD [ARGS...]
  python deploy/local/stack.py env NAME     # start (or reuse), print export lines, leave running
  python deploy/local/stack.py stop NAME    # stop whatever still runs under .var/NAME

A service is started only when its URL (DATABASE_URL, REDIS_URL) is not already set.
Services left running on purpose (`env`, `run --keep`) are reused by later runs; anything
else still running under .var/NAME is a leftover of a crash and gets restarted.
`run` exits with CMD's exit code (128+N if CMD died from signal N); 125 means the stack
itself could not be set up, 2 is a usage error.
Standard library only, so it works before the project's virtualenv exists. Linux only (/proc).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
DB_USER = "stammkunde"
DB_NAME = "stammkunde"
SYSTEM_USER = "stammkunde"  # created only when running as root and there is no `postgres` user
EXIT_STACK_FAILED = 125
FORWARDED_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
SI_KERNEL = 0x80  # si_code of signals raised by the kernel itself, e.g. Ctrl-C on the terminal
SUN_PATH_MAX = 107  # usable length of a Unix socket path on Linux


class StackError(Exception):
    """A failure explained to the user by its message alone."""


class Interrupted(BaseException):
    """SIGINT/SIGTERM/SIGHUP arrived while services were being started."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def say(message: str) -> None:
    # stderr only: `env` prints shell code on stdout.
    print(f"stack: {message}", file=sys.stderr, flush=True)


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def free_port() -> int:
    # The port is free now; a start that still loses the race is retried with a new one.
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2):
            return True
    except OSError:
        return False


def process_in(pid: int, directory: Path) -> bool:
    """True if pid is alive and its working directory is `directory`.

    postgres and redis-server chdir into their data directory, so this tells our own
    server apart from an unrelated process that got a stale pid file's number (pid files
    survive SIGKILL and reboots; pids get reused, in containers very soon).
    """
    try:
        return os.readlink(f"/proc/{pid}/cwd") == os.path.realpath(directory)
    except OSError:  # gone, or a zombie
        return False


def make_dir(path: Path, mode: int = 0o755) -> None:
    if not path.is_dir():
        path.mkdir(parents=True)
        path.chmod(mode)  # regardless of umask: the postgres user must be able to enter it


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def wait_gone(pid: int, directory: Path, timeout: float) -> bool:
    return wait_for(lambda: not process_in(pid, directory), timeout)


def hold_signals() -> None:
    """Block SIGINT/SIGTERM/SIGHUP: once we are stopping services, a second Ctrl-C must not cut that short."""
    signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED_SIGNALS)


def run_command(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a tool with captured output.

    Unlike subprocess.run, an interrupt ends the tool with SIGTERM rather than SIGKILL, so
    that runuser passes it on and e.g. initdb removes what it had written.
    """
    with subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    ) as process:
        try:
            stdout, stderr = process.communicate()
        except BaseException:
            hold_signals()
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
            raise
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def clean_env() -> dict[str, str]:
    # PGHOST, PGSSLMODE etc. from the caller must not redirect our own psql/createdb calls.
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


# --- packages -------------------------------------------------------------------------

_apt_updated = False


def apt_install(package: str) -> bool:
    """Install a Debian package if we are allowed to; False if we cannot try."""
    global _apt_updated
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or not apt:
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # apt's output goes to stderr so that `env` keeps stdout clean.
    if not _apt_updated:
        say("running apt-get update")
        if subprocess.run([apt, "update"], stdout=sys.stderr, env=env, check=False).returncode != 0:
            raise StackError("apt-get update failed")
        _apt_updated = True
    say(f"installing Debian package {package}")
    if subprocess.run([apt, "install", "-y", package], stdout=sys.stderr, env=env, check=False).returncode != 0:
        raise StackError(f"apt-get install {package} failed")
    return True


# --- running commands as the postgres user --------------------------------------------


class RunAs:
    """Runs PostgreSQL's tools as an unprivileged user when we are root (initdb and postgres refuse root)."""

    def __init__(self) -> None:
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self.user = self._system_user()

    @staticmethod
    def _system_user() -> pwd.struct_passwd:
        for name in ("postgres", SYSTEM_USER):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                pass
        say(f"creating system user {SYSTEM_USER} to run PostgreSQL")
        created = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=False,
        )
        if created.returncode != 0:
            raise StackError(f"useradd {SYSTEM_USER} failed; create a user to run PostgreSQL as")
        return pwd.getpwnam(SYSTEM_USER)

    def argv(self, cmd: list[str]) -> list[str]:
        if self.user is None:
            return cmd
        if shutil.which("runuser"):
            return ["runuser", "-u", self.user.pw_name, "--", *cmd]
        if shutil.which("setpriv"):
            return ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--init-groups", "--", *cmd]
        raise StackError("running as root needs runuser or setpriv (util-linux) to start PostgreSQL")

    def run(self, cmd: list[str]) -> subprocess.CompletedProcess[str]:
        # cwd=/ : the unprivileged user may not be allowed into the caller's working directory.
        return run_command(self.argv(cmd), cwd="/", env=clean_env())

    def give(self, path: Path, recursive: bool = False) -> None:
        """Hand a path we created to the server user."""
        if self.user is None:
            return
        uid, gid = self.user.pw_uid, self.user.pw_gid
        if recursive and path.stat().st_uid != uid:
            for root, dirs, files in os.walk(path):
                for entry in dirs + files:
                    os.lchown(os.path.join(root, entry), uid, gid)
        os.chown(path, uid, gid)

    def check_reachable(self, directory: Path) -> None:
        """Fail clearly if the server user cannot traverse down to `directory`."""
        if self.user is None or self.run(["test", "-x", str(directory)]).returncode == 0:
            return
        for candidate in [*reversed(directory.parents), directory]:
            if self.run(["test", "-x", str(candidate)]).returncode != 0:
                raise StackError(
                    f"user {self.user.pw_name} (who runs PostgreSQL, since initdb refuses root) cannot enter "
                    f"{candidate}; allow it (e.g. chmod o+x {candidate}) or move the checkout elsewhere"
                )


# --- layout ---------------------------------------------------------------------------


class Layout:
    """Where a NAME keeps its state: everything under .var/NAME."""

    def __init__(self, name: str):
        self.name = name
        self.root = REPO / ".var" / name
        self.disposable = name == "test"  # test data may be lost on a crash; trade durability for speed
        self.pg_data = self.root / "pg"
        self.pg_init = self.root / "pg.init"  # initdb target, renamed to pg only once complete
        self.run_dir = self.root / "run"
        self.pg_log = self.root / "pg.log"
        self.pg_kept = self.root / "pg.kept"
        self.redis_dir = self.root / "redis"
        self.redis_pid = self.root / "redis.pid"
        self.redis_port = self.root / "redis.port"
        self.redis_log = self.root / "redis.log"
        self.redis_kept = self.root / "redis.kept"
        self.lock_file = self.root / "stack.lock"

    def create(self) -> None:
        make_dir(REPO / ".var")
        make_dir(self.root)

    def lock(self) -> int:
        """Keep other stack.py processes off this NAME while we work on it.

        flock is released by the kernel when we die, even by SIGKILL.
        """
        self.create()
        if not os.access(self.root, os.W_OK):
            raise StackError(f"{rel(self.root)} belongs to another user (made as root?); use that user or remove it")
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            raise StackError(
                f"another stack.py (pid {holder}) is using {rel(self.root)}; wait for it or use another NAME"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return fd


# --- PostgreSQL -----------------------------------------------------------------------


def find_pg_bindir() -> Path | None:
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", path.parent.name)) or (0,)

    # pg_config may come from libpq-dev of another version without a server, hence the fallback.
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


class Postgres:
    label = "PostgreSQL"

    def __init__(self, layout: Layout):
        self.layout = layout
        self._bindir: Path | None = None
        self._runas: RunAs | None = None

    @property
    def runas(self) -> RunAs:
        if self._runas is None:
            self._runas = RunAs()
        return self._runas

    def bindir(self, install: bool = True) -> Path | None:
        if self._bindir is None:
            self._bindir = find_pg_bindir()
            if self._bindir is None and install and apt_install("postgresql"):
                # Debian's post-install may start a system cluster on 5432; we neither use nor touch it.
                self._bindir = find_pg_bindir()
            if self._bindir is None and install:
                raise StackError(
                    "PostgreSQL server binaries (initdb, pg_ctl) not found; install the server package, "
                    "e.g. `apt-get install postgresql` on Debian/Ubuntu (as root, stack.py does that itself)"
                )
        return self._bindir

    def tool(self, name: str) -> str:
        path = self.bindir() / name
        return str(path) if path.is_file() else (shutil.which(name) or name)

    def major(self) -> str:
        out = subprocess.run([self.tool("pg_ctl"), "--version"], capture_output=True, text=True,
                             check=False).stdout
        match = re.search(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?", out)
        if not match:
            raise StackError(f"cannot tell the PostgreSQL version from {out!r}")
        first, second = match.groups()
        return first if int(first) >= 10 or second is None else f"{first}.{second}"

    def url(self, port: int) -> str:
        return f"postgres://{DB_USER}@{HOST}:{port}/{DB_NAME}"

    # state of a server that may still run from an earlier invocation

    def live(self) -> tuple[int, int] | None:
        """(pid, port) of a postmaster running on our data directory, if any."""
        try:
            lines = (self.layout.pg_data / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        return (pid, port) if process_in(pid, self.layout.pg_data) else None

    def clear_stale_files(self) -> None:
        # Only called when no server runs: these would otherwise confuse the next start.
        (self.layout.pg_data / "postmaster.pid").unlink(missing_ok=True)
        for leftover in self.layout.run_dir.glob(".s.PGSQL.*"):
            leftover.unlink(missing_ok=True)

    def stop(self) -> bool:
        """Stop a running server; False if none was running."""
        live = self.live()
        if live is None:
            self.clear_stale_files()
            return False
        pid, _ = live
        if self.bindir(install=False):
            for mode in ("fast", "immediate"):
                result = self.runas.run([self.tool("pg_ctl"), "-D", str(self.layout.pg_data), "-m", mode, "-w", "stop"])
                if result.returncode == 0 or not process_in(pid, self.layout.pg_data):
                    break
        else:  # binaries gone since it was started: do what pg_ctl does
            os.kill(pid, signal.SIGINT)
        if not wait_gone(pid, self.layout.pg_data, 30):
            raise StackError(f"PostgreSQL (pid {pid}) did not stop; see {rel(self.layout.pg_log)}")
        self.clear_stale_files()
        return True

    # starting

    def ensure(self, reuse_any: bool) -> tuple[str, bool]:
        """Return (DATABASE_URL, started_now).

        A running server is reused if it was deliberately left running (env, --keep) or
        `reuse_any` is set; any other running server is a leftover of a crash and is restarted.
        """
        layout = self.layout
        if os.geteuid() != 0 and layout.pg_data.exists() and layout.pg_data.stat().st_uid != os.geteuid():
            raise StackError(f"{rel(layout.pg_data)} belongs to another user (made as root?); use that user or remove it")
        live = self.live()
        if live and (reuse_any or layout.pg_kept.exists()) and port_open(live[1]):
            say(f"reusing PostgreSQL on {HOST}:{live[1]} (data in {rel(layout.pg_data)})")
            return self.url(live[1]), False
        if live:
            say(f"stopping a PostgreSQL left running in {rel(layout.pg_data)} by an earlier run")
        self.stop()
        layout.pg_kept.unlink(missing_ok=True)

        major = self.major()
        try:
            self.prepare_dirs()
            self.init_cluster(major)
            port = self.start()
            self.create_database(port)
        except StackError:
            raise  # start() has already cleaned up
        except BaseException:
            hold_signals()
            # pg_ctl may have been interrupted while the server it launched is still coming
            # up; give it a moment to write postmaster.pid so that stop() can find it.
            wait_for(lambda: self.live() is not None, 5)
            self.stop()
            raise
        say(f"PostgreSQL {major} on {HOST}:{port} (data in {rel(layout.pg_data)})")
        return self.url(port), True

    def prepare_dirs(self) -> None:
        layout = self.layout
        layout.create()
        socket_path_length = len(str(layout.run_dir)) + len("/.s.PGSQL.65535")
        if socket_path_length > SUN_PATH_MAX:
            raise StackError(
                f"socket path under {layout.run_dir} would be {socket_path_length} characters, "
                f"over the limit of {SUN_PATH_MAX}; move the checkout to a shorter path"
            )
        self.runas.check_reachable(layout.root)
        make_dir(layout.run_dir)
        self.runas.give(layout.run_dir)
        layout.pg_log.touch()
        self.runas.give(layout.pg_log)  # the server, not us, appends to it
        if layout.pg_data.is_dir():
            self.runas.give(layout.pg_data, recursive=True)

    def init_cluster(self, major: str) -> None:
        layout = self.layout
        version_file = layout.pg_data / "PG_VERSION"
        if version_file.exists():
            existing = version_file.read_text().strip()
            if existing == major:
                return
            aside = layout.root / f"pg.{existing}.{time.strftime('%Y%m%d-%H%M%S')}"
            say(f"{rel(layout.pg_data)} was made by PostgreSQL {existing}, not {major}: moving it to {rel(aside)}")
            layout.pg_data.rename(aside)
        elif layout.pg_data.is_dir() and not any(layout.pg_data.iterdir()):
            layout.pg_data.rmdir()
        elif layout.pg_data.exists():
            raise StackError(f"{rel(layout.pg_data)} exists but is no PostgreSQL cluster (no PG_VERSION); remove it")

        # initdb into a scratch directory and rename at the end, so that an interrupted initdb
        # never leaves a half-made cluster where the next run would try to start it.
        shutil.rmtree(layout.pg_init, ignore_errors=True)
        say(f"creating a PostgreSQL {major} cluster in {rel(layout.pg_data)}")
        for locale in ("C.UTF-8", "C"):  # C.UTF-8 is missing on some older systems
            make_dir(layout.pg_init, 0o700)
            self.runas.give(layout.pg_init)
            result = self.runas.run([
                self.tool("initdb"), "-D", str(layout.pg_init), "-U", DB_USER,
                "--auth=trust", "-E", "UTF8", f"--locale={locale}",
            ])
            if result.returncode == 0:
                layout.pg_init.rename(layout.pg_data)
                return
            shutil.rmtree(layout.pg_init, ignore_errors=True)
        raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def server_options(self, port: int) -> str:
        options = [
            f"-p {port}",
            f"-k {shlex.quote(str(self.layout.run_dir))}",  # pg_ctl passes this through a shell
            f"-c listen_addresses={HOST}",
            "-c max_connections=200",
            "-c shared_buffers=128MB",
        ]
        if self.layout.disposable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return " ".join(options)

    def start(self) -> int:
        layout = self.layout
        for attempt in range(3):
            port = free_port()
            log_size = layout.pg_log.stat().st_size
            result = self.runas.run([
                self.tool("pg_ctl"), "-D", str(layout.pg_data), "-l", str(layout.pg_log),
                "-w", "-t", "60", "-o", self.server_options(port), "start",
            ])
            if result.returncode == 0:
                return port
            with layout.pg_log.open(errors="replace") as log:
                log.seek(log_size)
                new_log = log.read()
            self.stop()  # pg_ctl may give up waiting while the server still comes up
            if "could not bind" not in new_log or attempt == 2:
                raise StackError(
                    f"PostgreSQL did not start:\n{result.stdout}{result.stderr}"
                    f"last lines of {rel(layout.pg_log)}:\n{tail(layout.pg_log)}"
                )
            say(f"port {port} was taken meanwhile; trying another")
        raise AssertionError("unreachable")

    def create_database(self, port: int) -> None:
        connection = ["-h", HOST, "-p", str(port), "-U", DB_USER]
        query = f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'"
        found = run_command([self.tool("psql"), "-X", *connection, "-d", "postgres", "-tAc", query], env=clean_env())
        if found.returncode != 0:
            raise StackError(f"cannot query PostgreSQL on port {port}:\n{found.stderr}")
        if found.stdout.strip() == "1":
            return
        created = run_command([self.tool("createdb"), *connection, DB_NAME], env=clean_env())
        if created.returncode != 0:
            raise StackError(f"createdb {DB_NAME} failed:\n{created.stderr}")


# --- Redis ----------------------------------------------------------------------------


def redis_command(port: int, command: bytes, timeout: float = 2) -> bytes:
    """Send one inline command and return the first reply line (b'' if the server hung up)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(command + b"\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = sock.recv(256)
            if not chunk:
                break
            reply += chunk
        return reply.strip()


class Redis:
    label = "Redis"

    def __init__(self, layout: Layout):
        self.layout = layout

    def binary(self, install: bool = True) -> str:
        for candidate in (shutil.which("redis-server"), "/usr/bin/redis-server"):
            if candidate and os.access(candidate, os.X_OK):
                return candidate
        # Debian's package also starts a system Redis on 6379; we neither use nor touch it.
        if install and apt_install("redis-server"):
            return self.binary(install=False)
        raise StackError(
            "redis-server not found; install it, e.g. `apt-get install redis-server` "
            "on Debian/Ubuntu (as root, stack.py does that itself)"
        )

    def url(self, port: int) -> str:
        return f"redis://{HOST}:{port}/0"

    def live(self) -> tuple[int, int] | None:
        """(pid, port) of a redis-server running on our data directory, if any."""
        try:
            pid = int(self.layout.redis_pid.read_text().split()[0])
            port = int(self.layout.redis_port.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return (pid, port) if process_in(pid, self.layout.redis_dir) else None

    def answers(self, port: int) -> bool:
        try:
            return redis_command(port, b"PING") == b"+PONG"
        except OSError:
            return False

    def stop(self) -> bool:
        """Stop a running server; False if none was running."""
        layout = self.layout
        live = self.live()
        if live:
            pid, port = live
            # SHUTDOWN (not a signal) so that dev data is saved first; test data is not worth it.
            with contextlib.suppress(OSError):
                redis_command(port, b"SHUTDOWN NOSAVE" if layout.disposable else b"SHUTDOWN", timeout=30)
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None and process_in(pid, layout.redis_dir):
                    say(f"Redis (pid {pid}) still running; sending {sig.name}")
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, sig)
                if wait_gone(pid, layout.redis_dir, 20):
                    break
        layout.redis_pid.unlink(missing_ok=True)
        layout.redis_port.unlink(missing_ok=True)
        return live is not None

    def ensure(self, reuse_any: bool) -> tuple[str, bool]:
        """Return (REDIS_URL, started_now); reuse rules as for Postgres.ensure."""
        layout = self.layout
        live = self.live()
        if live and (reuse_any or layout.redis_kept.exists()) and self.answers(live[1]):
            say(f"reusing Redis on {HOST}:{live[1]} (data in {rel(layout.redis_dir)})")
            return self.url(live[1]), False
        if live:
            say(f"stopping a Redis left running in {rel(layout.redis_dir)} by an earlier run")
        self.stop()
        layout.redis_kept.unlink(missing_ok=True)

        binary = self.binary()
        layout.create()
        make_dir(layout.redis_dir)
        for attempt in range(3):
            port = free_port()
            log_size = layout.redis_log.stat().st_size if layout.redis_log.exists() else 0
            args = [
                binary, "--port", str(port), "--bind", HOST, "--dir", str(layout.redis_dir),
                "--daemonize", "yes", "--pidfile", str(layout.redis_pid), "--logfile", str(layout.redis_log),
            ]
            if layout.disposable:
                args += ["--save", "", "--appendonly", "no"]
            else:
                args += ["--appendonly", "yes"]  # and the default save points
            layout.redis_port.write_text(f"{port}\n")
            try:
                result = run_command(args, cwd="/")
                ready = result.returncode == 0 and self.wait_ready(port, log_size)
            except BaseException:
                hold_signals()
                # The daemon writes its pid file only once it listens; wait for that to stop it.
                wait_for(lambda: self.live() is not None, 3)
                self.stop()
                raise
            if ready:
                version = re.search(r"v=(\S+)", subprocess.run([binary, "--version"], capture_output=True, text=True,
                                                                    check=False).stdout)
                say(f"Redis {version.group(1) if version else ''} on {HOST}:{port} (data in {rel(layout.redis_dir)})")
                return self.url(port), True
            self.stop()
            if "Address already in use" not in self.log_since(log_size) or attempt == 2:
                raise StackError(
                    f"Redis did not start:\n{result.stdout}{result.stderr}"
                    f"last lines of {rel(layout.redis_log)}:\n{tail(layout.redis_log)}"
                )
            say(f"port {port} was taken meanwhile; trying another")
        raise AssertionError("unreachable")

    def log_since(self, offset: int) -> str:
        try:
            with self.layout.redis_log.open(errors="replace") as log:
                log.seek(offset)
                return log.read()
        except OSError:
            return ""

    def wait_ready(self, port: int, log_offset: int, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers(port):
                return True
            # --daemonize returns at once; a daemon that failed to bind dies before writing
            # its pid file, so its log is the only sign not to wait any longer.
            if "aborting" in self.log_since(log_offset):
                return False
            time.sleep(0.1)
        return False


# --- commands -------------------------------------------------------------------------


def services(layout: Layout) -> list[tuple[str, Postgres | Redis, Path]]:
    """The services whose URL is not given by the environment, with their 'kept' marker."""
    wanted = []
    for variable, service, kept in (
        ("DATABASE_URL", Postgres(layout), layout.pg_kept),
        ("REDIS_URL", Redis(layout), layout.redis_kept),
    ):
        if os.environ.get(variable):
            say(f"{variable} is set; using it instead of starting {service.label}")
        else:
            wanted.append((variable, service, kept))
    return wanted


def raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def interrupt_on_signals() -> None:
    """Turn SIGINT/SIGTERM/SIGHUP into Interrupted, so a half-done start is cleaned up."""
    for sig in FORWARDED_SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:  # e.g. SIGINT in a background job, or nohup
            signal.signal(sig, raise_interrupted)


def run_child(cmd: list[str], env: dict[str, str]) -> int:
    """Run CMD in the foreground, forwarding signals we receive; return a shell-style exit code."""
    # Blocked signals wait for sigtimedwait below instead of interrupting us, so nothing can
    # skip the cleanup that follows. The child gets the normal, unblocked mask back.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED_SIGNALS | {signal.SIGCHLD})
    try:
        child = subprocess.Popen(cmd, env=env, preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, previous))
    except FileNotFoundError:
        say(f"command not found: {cmd[0]}")
        return 127
    except PermissionError:
        say(f"cannot execute: {cmd[0]}")
        return 126
    try:
        while child.poll() is None:
            info = signal.sigtimedwait(FORWARDED_SIGNALS | {signal.SIGCHLD}, 1.0)
            if info is None or info.si_signo == signal.SIGCHLD:
                continue
            # Ctrl-C on the terminal already reached the child (same process group); sending
            # it again would interrupt the child's own clean-up.
            if info.si_code != SI_KERNEL:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(info.si_signo)
    finally:
        # Keep SIGINT/SIGTERM/SIGHUP blocked through the shutdown of the services.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    code = child.returncode
    return code if code >= 0 else 128 - code


def stop_all(to_stop: list[Postgres | Redis]) -> list[str]:
    """Stop each service, going on past failures; return the labels of those that were running."""
    stopped = []
    for service in to_stop:
        try:
            if service.stop():
                stopped.append(service.label)
        except (StackError, OSError) as error:
            say(f"could not stop {service.label}: {error}")
    return stopped


def stop_started(started: list[tuple[str, Postgres | Redis, Path]]) -> None:
    stopped = stop_all([service for _, service, _ in reversed(started)])
    if stopped:
        say("stopped " + " and ".join(reversed(stopped)))


def cmd_run(name: str, keep: bool, cmd: list[str]) -> int:
    layout = Layout(name)
    _lock = layout.lock()  # held until we exit
    env = dict(os.environ)
    started: list[tuple[str, Postgres | Redis, Path]] = []
    child_ran = False
    interrupt_on_signals()
    try:
        for variable, service, kept in services(layout):
            url, started_now = service.ensure(reuse_any=False)
            if started_now:
                started.append((variable, service, kept))
            env[variable] = url
        child_ran = True
        return run_child(cmd, env)
    except Interrupted as interrupt:
        say("interrupted while starting")
        return 128 + interrupt.signum
    finally:
        hold_signals()
        if keep and child_ran:
            for _, _, kept in started:
                kept.touch()
            if started:
                say(f"left running (--keep); stop with: python {rel(Path(__file__).resolve())} stop {name}")
        else:
            stop_started(started)


def cmd_env(name: str) -> int:
    layout = Layout(name)
    _lock = layout.lock()
    started: list[tuple[str, Postgres | Redis, Path]] = []
    exports = []
    interrupt_on_signals()
    try:
        for variable, service, kept in services(layout):
            url, started_now = service.ensure(reuse_any=True)
            if started_now:
                started.append((variable, service, kept))
            exports.append((variable, url, kept))
    except BaseException:
        hold_signals()
        stop_started(started)
        raise
    for variable, url, kept in exports:
        kept.touch()  # a later `run NAME` reuses these instead of treating them as crash leftovers
        print(f"export {variable}={shlex.quote(url)}")
    say(f"left running; stop with: python {rel(Path(__file__).resolve())} stop {name}")
    return 0


def cmd_stop(name: str) -> int:
    layout = Layout(name)
    if not layout.root.is_dir():
        say(f"nothing under {rel(layout.root)}")
        return 0
    _lock = layout.lock()
    stopped = stop_all([Postgres(layout), Redis(layout)])
    layout.pg_kept.unlink(missing_ok=True)
    layout.redis_kept.unlink(missing_ok=True)
    say(f"stopped {' and '.join(stopped)}" if stopped else f"nothing running under {rel(layout.root)}")
    return 0


USAGE = """usage:
  stack.py run NAME [--keep] -- CMD [ARGS...]
  stack.py env NAME
  stack.py stop NAME
NAME is lowercase letters (dev, test); state lives in .var/NAME/."""


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("run", "env", "stop") or not re.fullmatch(r"[a-z]+", argv[1]):
        print(USAGE, file=sys.stderr)
        return 2
    action, name, rest = argv[0], argv[1], argv[2:]
    try:
        if action == "run":
            keep = False
            while rest and rest[0] == "--keep":
                keep = True
                rest = rest[1:]
            if len(rest) < 2 or rest[0] != "--":
                print(USAGE, file=sys.stderr)
                return 2
            return cmd_run(name, keep, rest[1:])
        if rest:
            print(USAGE, file=sys.stderr)
            return 2
        return cmd_env(name) if action == "env" else cmd_stop(name)
    except StackError as error:
        say(f"error: {error}")
        return EXIT_STACK_FAILED
    except Interrupted as interrupt:
        say("interrupted")
        return 128 + interrupt.signum


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
