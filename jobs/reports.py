"""The report job: build a queued ReportVersion's document and write its files, all or nothing.

Every format is rendered to a hidden temporary file first; only when all are written are they renamed to their
final names (an atomic rename on the same file system) and recorded. Any error removes what was written, marks
the version failed with a Vietnamese reason, and leaves no half file behind. Progress goes to job.meta
("progress" 0–100, "stage") for the page's progress bar.
"""
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import select

from jobs import app_context
from models import Report, ReportVersion, db, utcnow
from tracker import clock
from tracker.reports.document import to_json
from tracker.reports.fonts import FontMissingError
from tracker.reports.generate import build_document, render, temp_write
from tracker.services import reports as service

log = logging.getLogger(__name__)
#: errors that are the settings' or the machine's, explained to the user; anything else is also re-raised for RQ
EXPLAINED_ERRORS = (service.ReportError, FontMissingError)
#: a version queued this long without a job id was never handed to Redis (its page committed, the enqueue failed)
ENQUEUE_GRACE = timedelta(minutes=2)
#: beyond its job's time limit, a version still running has no worker left to finish it
TIMEOUT_GRACE = timedelta(minutes=2)


def N_(message: str) -> str:
    """Marks a msgid for the catalog; the page translates it when it shows it."""
    return message


# Why a version was given up by the sweep: stored in Vietnamese (the source language), shown in the reader's.
LOST = N_("Việc tạo báo cáo đã mất khỏi hàng đợi (Redis khởi động lại hoặc mất dữ liệu). "
          "Hãy bấm «Tạo lại (phiên bản mới)».")
WORKER_DIED = N_("Tiến trình chạy nền dừng đột ngột khi đang tạo báo cáo. Hãy bấm «Tạo lại (phiên bản mới)».")
TIMED_OUT = N_("Việc tạo báo cáo chạy quá thời gian cho phép và đã bị dừng. Hãy bấm «Tạo lại (phiên bản mới)».")


def _progress(percent: int, stage: str) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update({"progress": percent, "stage": stage})
        try:
            job.save_meta()
        except (RedisError, OSError):  # Redis away: the bar stands still, the report goes on
            log.info("Không ghi được tiến độ báo cáo vào Redis")


def generate_report(version_id: int) -> str:
    """Generate the files of a queued version; returns its final state ("done" or "failed")."""
    with app_context():
        return _generate(version_id)


def _generate(version_id: int) -> str:
    version = db.session.get(ReportVersion, version_id)
    if version is None or version.state not in ("queued", "running"):
        return version.state if version else "missing"
    report = db.session.get(Report, version.report_id)
    version.state, version.started_at, version.error = "running", utcnow(), ""
    db.session.commit()
    _progress(5, "Đang tổng hợp số liệu")
    folder = service.storage_dir(current_app.config["REPORT_FOLDER"], report.id, version.number)
    temporary: list[Path] = []
    finished: list[Path] = []
    try:
        document = build_document(report.kind, version.settings, version.narrative, clock.today())
        rendered = []
        for index, fmt in enumerate(version.formats):
            _progress(20 + 70 * index // max(len(version.formats), 1), f"Đang tạo tệp {fmt.upper()}")
            data = render(document, fmt)
            temporary.append(temp_write(folder, data))
            rendered.append((fmt, temporary[-1], data))
        _progress(95, "Đang lưu tệp")
        for fmt, temp, data in rendered:
            target = folder / service.file_name(report, version, fmt)
            os.replace(temp, target)
            finished.append(target)
            service.record_file(version, fmt, target, data)
        version.content = to_json(document)
        version.state, version.finished_at = "done", utcnow()
        db.session.commit()
        _progress(100, "Hoàn thành")
        return "done"
    except Exception as error:
        db.session.rollback()
        for path in temporary + finished:
            path.unlink(missing_ok=True)
        message = str(error) if isinstance(error, EXPLAINED_ERRORS) else (
            f"Lỗi khi tạo báo cáo ({type(error).__name__}): {str(error)[:400]}")
        version = db.session.get(ReportVersion, version_id)
        version.state, version.error, version.finished_at, version.content = "failed", message, utcnow(), None
        db.session.commit()
        _progress(100, "Lỗi")
        if not isinstance(error, EXPLAINED_ERRORS):
            log.exception("Tạo báo cáo %s (phiên bản %s) thất bại", report.id, version.number)
            raise
        return "failed"


def reap_stalled(connection, now: datetime | None = None) -> int:
    """Mark failed, with the reason, every queued or running version whose job can no longer finish: gone from
    Redis, abandoned by a worker that died (RQ notices once its heartbeat lapses, 90 seconds), failed without
    recording it, or past its time limit. Commits; returns how many were given up. Run by the cron sweep."""
    now = now or utcnow()
    from tracker.jobs_queue import queue

    # abandoned jobs (their worker stopped beating) become "failed" now rather than at a worker's next maintenance
    StartedJobRegistry(queue=queue(connection)).cleanup(timestamp=now.timestamp())
    reaped = 0
    for version in db.session.scalars(select(ReportVersion).where(ReportVersion.state.in_(("queued", "running")))):
        reason = _stall_reason(version, connection, now)
        if reason is None:
            continue
        version.state, version.error, version.finished_at = "failed", reason, utcnow()
        log.warning("Báo cáo %s (phiên bản %s): %s", version.report_id, version.number, reason)
        reaped += 1
    db.session.commit()
    return reaped


def _stall_reason(version: ReportVersion, connection, now: datetime):
    if version.job_id is None:
        return LOST if now - version.requested_at > ENQUEUE_GRACE else None
    try:
        job = Job.fetch(version.job_id, connection=connection)
    except NoSuchJobError:
        return LOST
    status = job.get_status(refresh=False)
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED):
        failure = job.latest_result()
        text = (failure.exc_string or "") if failure is not None else ""
        return TIMED_OUT if "JobTimeoutException" in text else WORKER_DIED
    if status == JobStatus.STARTED and job.started_at is not None and job.timeout:
        if now > job.started_at + timedelta(seconds=job.timeout) + TIMEOUT_GRACE:
            return TIMED_OUT
    return None
