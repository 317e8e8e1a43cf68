"""One entry point for the job, the CLI and the benchmark: settings → Document → file bytes, and atomic writes."""
from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from tracker.reports.build import build_notice_document, build_year_document
from tracker.reports.document import Document

FORMATS = ("pdf", "docx", "xlsx")


def build_document(kind: str, settings: dict, narrative: dict, today: date, provider=None) -> Document:
    """Assemble the figures of a stored report's settings and lay them out (ReportError on bad settings)."""
    from tracker.services import reports as service  # needs the app's models; imported when used

    if kind == "year":
        data = service.assemble_year(service.YearSettings.from_dict(settings), today, provider)
        return build_year_document(data, narrative)
    if kind == "notice":
        notice = service.assemble_notice(service.NoticeSettings.from_dict(settings), provider)
        return build_notice_document(notice, narrative)
    raise service.ReportError(f"Loại báo cáo «{kind}» không hợp lệ")


def render(document: Document, fmt: str) -> bytes:
    """The document as the bytes of one file format."""
    if fmt == "pdf":
        from tracker.reports.pdf import render_pdf

        return render_pdf(document)
    if fmt == "docx":
        from tracker.reports.docx import render_docx

        return render_docx(document)
    if fmt == "xlsx":
        from tracker.reports.xlsx import render_xlsx

        return render_xlsx(document)
    raise ValueError(f"Định dạng «{fmt}» không hợp lệ (chỉ có: {', '.join(FORMATS)})")


def temp_write(directory: Path, data: bytes) -> Path:
    """Write bytes to a hidden temporary file in `directory` (same file system, so a rename is atomic)."""
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def write_atomically(target: Path, data: bytes) -> None:
    """Replace `target` with `data` in one step: readers see the old file or the whole new one, never half."""
    temp = temp_write(target.parent, data)
    try:
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
