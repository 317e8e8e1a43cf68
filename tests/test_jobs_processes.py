"""The processes as deployed, against a Redis server of the test's own that it stops and starts again:
the worker rides out an outage, `make run`'s supervisor keeps the others running when one dies, and a report
whose worker died ends failed with its reason (the sweep's reaper) and can be made again."""
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import requests
from rq import Queue
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from jobs import reminders as reminder_jobs
from jobs import reports as report_jobs
from models import Notification, Report, ReportVersion, utcnow
from tests.factories import login, make_plan
from tests.live_support import free_port
from tests.test_reminders_mail import Mailbox, _world, smtp_server  # noqa: F401  (fixture)
from tracker import launch, redis_conn
from tracker.jobs_queue import QUEUE_NAME
from tracker.services import reports as report_service

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server")


class RedisServer:
    """A redis-server on a free loopback port that a test can stop and start again (nothing saved)."""

    def __init__(self, port: int):
        self.port, self.process = port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture()
def redis_server():
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


def _spawn(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _output(process: subprocess.Popen) -> str:
    os.killpg(process.pid, signal.SIGKILL)
    return process.communicate(timeout=20)[0].decode(errors="replace")[-3000:]


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants: RQ's work horse runs in a process group of its own."""
    def descendants(parent: int) -> list[int]:
        try:
            children = [int(c) for c in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
        except OSError:
            return []
        return children + [d for child in children for d in descendants(child)]

    for target in [pid, *descendants(pid)]:
        try:
            os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def test_worker_rides_out_a_redis_outage_in_the_middle_of_a_job(redis_server):
    """RQ's own worker quits ("found an unhandled exception, quitting") when Redis goes away during a job."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    worker = _spawn([sys.executable, "-m", "jobs.keepalive", "worker", "--url", redis_server.url], env)
    try:
        queue = Queue(QUEUE_NAME, connection=redis.Redis.from_url(redis_server.url))
        job = queue.enqueue("time.sleep", 3)
        assert _wait(lambda: job.get_status() == JobStatus.STARTED, 30), _output(worker)
        redis_server.stop()  # mid-job
        time.sleep(6)  # the job ends with Redis away; plain RQ has exited by now
        assert worker.poll() is None, _output(worker)
        redis_server.start()
        queue = Queue(QUEUE_NAME, connection=redis.Redis.from_url(redis_server.url))
        after = queue.enqueue("os.getpid")
        assert _wait(lambda: after.get_status() == JobStatus.FINISHED, 60, 0.2), _output(worker)
        assert worker.poll() is None
    finally:
        output = _output(worker) if worker.poll() is None else ""
    assert "mất kết nối Redis" in output


@pytest.mark.parametrize("process", ["worker", "cron"])
def test_a_stop_signal_stops_worker_and_cron_even_while_redis_is_away(redis_server, process):
    """`make run` stopping everything at once: Redis may go first; the others must still stop, not wait for it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = _spawn([sys.executable, "-m", "jobs.keepalive", process, "--url", redis_server.url], env)
    connection = redis.Redis.from_url(redis_server.url)
    registered = "rq:workers" if process == "worker" else "rq:cron_schedulers"
    assert _wait(lambda: connection.exists(registered), 30, 0.1), _output(child)
    redis_server.stop()
    time.sleep(0.5)
    os.killpg(child.pid, signal.SIGTERM)
    try:
        code = child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(_output(child))
    assert code == 0, child.stdout.read().decode(errors="replace")[-3000:]


def test_keepalive_starts_the_cron_again_after_each_redis_failure_with_a_growing_pause(redis_server):
    """`rq cron` exits on the first Redis error; keep_running waits (1, 2 … seconds) and starts it again."""
    from jobs import keepalive

    runs, pauses = [], []

    def cron_losing_redis_twice(connection) -> bool:
        runs.append(connection.ping())
        if len(runs) < 3:
            raise redis.ConnectionError("Connection closed by server.")
        return True  # the third one is stopped on request

    assert keepalive.keep_running("cron", redis_server.url, cron_losing_redis_twice, sleep=pauses.append) == 0
    assert runs == [True, True, True] and pauses == [1.0, 2.0]


def test_supervisor_restarts_a_process_that_dies_and_leaves_the_others_running(tmp_path):
    out = tmp_path / "out.txt"
    with out.open("w") as stream:
        supervisor = launch.Supervisor(dict(os.environ), cwd=tmp_path, out=stream)
        crashing = supervisor.add("crash", [sys.executable, "-c", "import sys, time; time.sleep(0.2); sys.exit(3)"])
        steady = supervisor.add("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
        steady_pid = steady.popen.pid
        try:
            deadline = time.monotonic() + 4.5  # exits after 0.2 s, then pauses of 1 and 2 seconds
            while time.monotonic() < deadline:
                supervisor.check()
                time.sleep(0.05)
            assert crashing.starts == 3
            assert steady.popen.poll() is None and steady.popen.pid == steady_pid and steady.starts == 1
        finally:
            supervisor.stop()
    assert steady.popen.poll() is not None
    text = out.read_text()
    assert "crash  | đã dừng (mã 3)" in text and "chạy lại sau 2 giây" in text


def test_make_run_keeps_the_web_up_when_the_worker_or_redis_dies(tmp_path):
    """`python -m tracker.launch` as `make run` starts it: kill the worker, then the embedded Redis."""
    port = free_port()
    env = dict(os.environ, INSTANCE_PATH=str(tmp_path / "instance"), PORT=str(port), TZ="UTC",
               DATABASE_URL=f"sqlite:///{tmp_path / 'instance' / 'dondoc.sqlite3'}", WEB_CONCURRENCY="1",
               MAIL_SERVER="127.0.0.1", MAIL_PORT="1")
    for name in ("REDIS_URL", "BASE_URL", "SECRET_KEY"):
        env.pop(name, None)
    log = tmp_path / "launch.log"
    with log.open("wb") as stream:
        process = subprocess.Popen([sys.executable, "-m", "tracker.launch"], cwd=ROOT, env=env, stdout=stream,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def health():
        try:
            return requests.get(f"{base}/healthz", timeout=5).json()
        except (requests.RequestException, ValueError):
            return None

    def started(name: str) -> list[int]:
        return [int(line.rsplit("pid ", 1)[1].rstrip(")")) for line in log.read_text().splitlines()
                if f" {name} " in line and "| đã chạy (pid" in line]

    try:
        assert _wait(lambda: (health() or {}).get("redis") == "ok", 120, 0.5), log.read_text()[-3000:]
        assert _wait(lambda: "Listening on" in log.read_text(), 30, 0.2), log.read_text()[-3000:]
        # a `flask …` command run beside it uses its Redis, not a second server on the same file
        url = (tmp_path / "instance" / "redis.url").read_text()
        assert url.startswith("unix://") and redis_conn.embedded_url(str(tmp_path / "instance")) == url
        [worker_pid] = started("worker")
        os.killpg(worker_pid, signal.SIGKILL)
        assert _wait(lambda: len(started("worker")) == 2, 20, 0.2), log.read_text()[-3000:]
        assert health()["status"] == "ok"
        [redis_pid] = started("redis")
        os.kill(redis_pid, signal.SIGKILL)
        down = health()
        assert down is not None and down["status"] == "ok"  # the pages do not need Redis
        assert _wait(lambda: (health() or {}).get("redis") == "ok", 20, 0.2), log.read_text()[-3000:]
        assert len(started("redis")) == 2 and len(started("web")) == 1 and len(started("cron")) == 1
        assert requests.get(f"{base}/login", timeout=5).status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, log.read_text()[-3000:]
    assert not (tmp_path / "instance" / "redis.url").exists()


# --- reports whose job can no longer finish -------------------------------------------------------------------

@pytest.fixture()
def report_redis(app, redis_server, monkeypatch):
    """The app's queue on the test's own Redis server."""
    monkeypatch.setitem(app.config, "REDIS_URL", redis_server.url)
    app.extensions.pop("dondoc_redis", None)
    yield redis.Redis.from_url(redis_server.url)
    app.extensions.pop("dondoc_redis", None)


def _queued_version(db, make_user, job_id=None):
    office = make_user("office")
    report = report_service.create_report(office, "year", "Báo cáo tổng kết năm 2023", {"year": 2023}, {}, ["pdf"],
                                          None)
    version = report_service.new_version(office, report)
    version.job_id = job_id
    db.session.commit()
    return office, report, version


def test_a_report_whose_job_redis_lost_ends_failed_with_the_reason_and_can_be_made_again(app, db, make_user,
                                                                                          report_redis, client):
    office, report, version = _queued_version(db, make_user, job_id="job-that-redis-forgot")
    version.state = "running"
    db.session.commit()
    assert report_jobs.reap_stalled(report_redis) == 1
    db.session.expire_all()
    version = db.session.get(ReportVersion, version.id)
    assert version.state == "failed" and "mất khỏi hàng đợi" in version.error
    login(client, office)
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "mất khỏi hàng đợi" in page and "Tạo lại (phiên bản mới)" in page
    client.post("/lang/en")
    english = client.get(f"/reports/{report.id}/v1/status").get_json()
    assert english["state"] == "failed" and "lost from the queue" in english["error"]
    response = client.post(f"/reports/{report.id}/regenerate")
    assert response.status_code == 302
    versions = db.session.scalars(select(ReportVersion).where(ReportVersion.report_id == report.id)
                                  .order_by(ReportVersion.number)).all()
    assert [(v.number, v.state) for v in versions] == [(1, "failed"), (2, "queued")] and versions[1].job_id


def test_the_reaper_leaves_waiting_and_running_jobs_alone(app, db, make_user, report_redis):
    _office, _report, version = _queued_version(db, make_user)
    job = Queue(QUEUE_NAME, connection=report_redis).enqueue("jobs.reports.generate_report", version.id)
    version.job_id = job.id
    db.session.commit()
    assert report_jobs.reap_stalled(report_redis) == 0
    _other_office, _other, fresh = _queued_version(db, make_user)  # its page has not recorded the job id yet
    assert report_jobs.reap_stalled(report_redis) == 0
    assert report_jobs.reap_stalled(report_redis, now=utcnow() + timedelta(minutes=5)) == 1
    db.session.expire_all()
    assert db.session.get(ReportVersion, version.id).state == "queued"
    assert db.session.get(ReportVersion, fresh.id).state == "failed"


def test_a_report_whose_worker_was_killed_ends_failed_within_minutes(app, db, make_user, report_redis, tmp_path):
    _office, report, version = _queued_version(db, make_user)
    job = Queue(QUEUE_NAME, connection=report_redis).enqueue("jobs.reports.generate_report", version.id,
                                                             job_timeout=600)
    version.job_id = job.id
    db.session.commit()
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="test-secret",
               REPORT_FOLDER=str(tmp_path / "reports"), PYTHONPATH=str(ROOT))
    worker = _spawn([sys.executable, "-m", "jobs.keepalive", "worker", "--url", app.config["REDIS_URL"]], env)
    assert _wait(lambda: job.get_status() == JobStatus.STARTED, 60), _output(worker)
    _kill_tree(worker.pid)  # the worker, its work horse and its scheduler, mid-job
    worker.wait(timeout=10)
    assert report_jobs.reap_stalled(report_redis) == 0  # its heartbeat has not lapsed yet: it may still finish
    db.session.expire_all()
    assert db.session.get(ReportVersion, version.id).state in ("queued", "running")
    # the sweep five minutes later: RQ counts the job abandoned once its 90-second heartbeat lapsed
    assert report_jobs.reap_stalled(report_redis, now=utcnow() + timedelta(minutes=5)) == 1
    db.session.expire_all()
    failed = db.session.get(ReportVersion, version.id)
    assert failed.state == "failed" and "dừng đột ngột" in failed.error and failed.finished_at is not None
    assert db.session.get(Report, report.id).latest.number == 1


class _JobLosingRedis:
    """The current RQ job while Redis is away: its progress cannot be saved."""

    meta: dict = {}

    def save_meta(self):
        raise redis.ConnectionError("Error 111 connecting to redis.sock. Connection refused.")


def test_a_report_job_goes_on_when_redis_is_away_for_its_progress_bar(app, db, make_user, monkeypatch, tmp_path):
    """It failed with "Lỗi khi tạo báo cáo (ConnectionError)" when Redis was restarted during the job."""
    monkeypatch.setitem(app.config, "REPORT_FOLDER", str(tmp_path / "reports"))
    monkeypatch.setattr(report_jobs, "get_current_job", _JobLosingRedis)
    _office, _report, version = _queued_version(db, make_user)
    make_plan(code="KH-2023", year=2023, unit_ids=[version.requested_by.unit_id])
    version.formats = ["xlsx"]
    db.session.commit()
    assert report_jobs.generate_report(version.id) == "done", db.session.get(ReportVersion, version.id).error
    db.session.expire_all()
    assert db.session.get(ReportVersion, version.id).file("xlsx") is not None


@pytest.mark.smtp
def test_one_delayed_delivery_wakes_up_for_each_waiting_retry(app, db, make_user, report_redis, request):
    """The live run: the round that sent the first retried email scheduled nothing, so the next one waited for the
    cron sweep; and every failing round had scheduled a job of its own."""
    import time_machine

    start_smtp = request.getfixturevalue("smtp_server")
    _world(db, make_user)  # three digests waiting; nothing listens on the mail port yet
    for _ in range(3):
        reminder_jobs.deliver()  # each round spends one try and stops
    registry = ScheduledJobRegistry(queue=Queue(QUEUE_NAME, connection=report_redis))
    assert len(registry) == 1
    for job_id in registry.get_job_ids():  # what the scheduler does when their time comes
        registry.remove(job_id, delete_job=True)
    first, second, _third = sorted(db.session.scalars(select(Notification.next_attempt_at)))
    start_smtp(Mailbox())
    with time_machine.travel(first + timedelta(microseconds=1), tick=False):
        assert reminder_jobs.deliver() == "Đã gửi 1 thư, 0 thư sẽ gửi lại, 0 thư lỗi"
    [job_id] = registry.get_job_ids()
    assert abs(registry.get_scheduled_time(job_id) - second) < timedelta(seconds=1)
