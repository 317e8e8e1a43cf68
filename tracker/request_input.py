"""What the app accepts from a request before any view sees it: ids, page numbers, and no NUL bytes.

Ids and page numbers end up in SQL, where PostgreSQL's integer is 32-bit and SQLite's 64-bit: a larger number
is a 500 from the driver, not "not found". NUL bytes are refused by PostgreSQL in any text. Both are decided
here once: the `int` URL converter is bounded for every route, query parameters go through `page_arg` and
`int_arg`, and a request hook refuses a NUL byte anywhere with a 400 naming the field.
"""
from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

#: the largest id any table can hold on every database we run on (PostgreSQL `integer`)
MAX_DB_INT = 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    """`<int:…>` that only matches ids a database row can have (1 … MAX_DB_INT); anything else is a 404."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002 - werkzeug's names
                 max: int | None = MAX_DB_INT, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min,
                         max=MAX_DB_INT if max is None or max > MAX_DB_INT else max, signed=signed)


def _whole_number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def page_arg(name: str = "page") -> int:
    """The page number in query parameter `name` (1 when absent); a 404 page when it is not a page number."""
    text = request.args.get(name, "")
    if not text.strip():
        return 1
    number = _whole_number(text)
    if number is None or not 1 <= number <= MAX_DB_INT:
        abort(404, description=_("Không có trang «%(page)s» (tham số «%(name)s»): số trang là số nguyên từ 1.",
                                 page=text[:30], name=name))
    return number


def int_arg(name: str) -> int | None:
    """A whole number chosen in query parameter `name` (an id, a year; None when absent or empty); a 404 page
    when it is not a number a database row can hold."""
    text = request.args.get(name, "")
    if not text.strip():
        return None
    number = _whole_number(text)
    if number is None or not 1 <= number <= MAX_DB_INT:
        abort(404, description=_("Không có mục «%(value)s» (tham số «%(name)s»).", value=text[:30], name=name))
    return number


def int_args(name: str) -> list[int]:
    """Every number chosen in a repeated query parameter (`?plan=1&plan=2`), each checked like `int_arg`."""
    ids = []
    for text in request.args.getlist(name):
        if not text.strip():
            continue
        number = _whole_number(text)
        if number is None or not 1 <= number <= MAX_DB_INT:
            abort(404, description=_("Không có mục «%(value)s» (tham số «%(name)s»).", value=text[:30], name=name))
        ids.append(number)
    return ids


def _field_with_nul() -> tuple[str, bool] | None:
    """(name, whether it is an upload's file name) of the first query parameter, form field, upload file name or
    path part holding a NUL byte."""
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if "\x00" in name or "\x00" in value:
                return name.replace("\x00", ""), False
    for name, upload in request.files.items(multi=True):
        if "\x00" in name or "\x00" in (upload.filename or ""):
            return name.replace("\x00", ""), True
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            return name, False
    return None


def refuse_nul_bytes():
    """Request hook: a 400 page naming the field when a NUL byte came in; nothing runs, nothing changes."""
    try:
        found = _field_with_nul()
    except RequestEntityTooLarge:  # the view (or the 413 page) says which limit; there is nothing to check
        return
    if found is None:
        return
    field, is_file = found
    if is_file:
        abort(400, description=_("Tên tệp tải lên ở ô «%(field)s» chứa ký tự NUL (mã 0), không hợp lệ; không có gì "
                                 "được lưu. Hãy đổi tên tệp rồi tải lên lại.", field=field))
    abort(400, description=_("Ô «%(field)s» chứa ký tự NUL (mã 0), không hợp lệ; không có gì được lưu. "
                             "Hãy nhập lại nội dung ô này.", field=field))


def init_app(app: Flask) -> None:
    """Bound every `<int:…>` of the app; must run before the blueprints add their routes."""
    app.url_map.converters["int"] = DatabaseIntConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_bytes)
