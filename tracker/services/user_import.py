"""Users imported from a table (.csv or .xlsx): check every row first, then write all of them or none.

Columns, in any order, named in English or Vietnamese: username / tên đăng nhập, full_name / họ và tên,
email / thư điện tử, role / vai trò (a role code or its name), unit / mã đơn vị (a unit code).

A username that already exists is updated (full name, email, role, unit), as an administrator re-importing a
corrected sheet expects; its password is left alone. A new user gets a random initial password, shown once
to whoever imports, and must choose their own at first login.
"""
import io
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from models import ROLES, Unit, User, db
from tracker.domain.score_tables import TableReadError, read_table
from tracker.domain.textnorm import clean, fold
from tracker.services import accounts

#: a bigger file is refused before it is read
MAX_BYTES = 2 * 1024 * 1024
#: data rows (below the header) one file may hold
MAX_ROWS = 2000
ACCEPTED_EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx")

#: folded header text → field
HEADERS = {
    "username": "username", "user name": "username", "ten dang nhap": "username",
    "full_name": "full_name", "full name": "full_name", "ho va ten": "full_name", "ho ten": "full_name",
    "email": "email", "e-mail": "email", "thu dien tu": "email",
    "role": "role", "vai tro": "role",
    "unit": "unit", "unit code": "unit", "unit_code": "unit", "ma don vi": "unit", "don vi": "unit",
}
REQUIRED = ("username", "role", "unit")
#: each field's column name in messages (the file's own header is used when there is one)
FIELD_LABELS = {"username": _l("Tên đăng nhập"), "full_name": _l("Họ và tên"), "email": _l("Thư điện tử"),
                "role": _l("Vai trò"), "unit": _l("Mã đơn vị")}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[\w.@-]{1,80}$", re.ASCII)


class UserImportError(ValueError):
    """The file as a whole cannot be imported; `problems` lists every reason (row and column named)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ImportRow:
    line: int  #: the row's number in the spreadsheet (the header is a row too)
    username: str
    full_name: str
    email: str
    role: str
    unit_code: str
    existing: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass
class ImportCheck:
    rows: list[ImportRow]
    problems: list[str]  #: problems of the file itself (columns, size)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(row.problems for row in self.rows)

    @property
    def all_problems(self) -> list[str]:
        return [*self.problems, *(problem for row in self.rows for problem in row.problems)]


def _require_admin(actor) -> None:
    accounts._require_user_manager(actor)


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The file's cells as text; UserImportError when it is not a table this import reads."""
    extension = Path(filename or "").suffix.lower()
    if extension not in ACCEPTED_EXTENSIONS:
        raise UserImportError([str(_l("Tệp «%(name)s»: chỉ nhận bảng .csv hoặc .xlsx", name=filename))])
    if not data:
        raise UserImportError([str(_l("Tệp «%(name)s» rỗng", name=filename))])
    if len(data) > MAX_BYTES:
        raise UserImportError([str(_l("Tệp «%(name)s» lớn quá %(limit)s MB",
                                      name=filename, limit=MAX_BYTES // (1024 * 1024)))])
    if extension == ".xlsx":
        return _read_xlsx(data, filename)
    try:
        return read_table(data, filename)
    except TableReadError as error:
        raise UserImportError([str(_l("Không đọc được tệp: %(reason)s", reason=str(error)))]) from error


def _read_xlsx(data: bytes, filename: str) -> list[list[str]]:
    from openpyxl import load_workbook  # only xlsx files need it

    try:
        # read-only: the rows are streamed, so a huge or hostile sheet cannot fill the memory
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several unrelated types for a damaged file
        raise UserImportError([str(_l("Tệp «%(name)s»: không đọc được như tệp Excel .xlsx", name=filename))]
                              ) from error
    try:
        rows = []
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            if len(rows) > MAX_ROWS + 1:
                break
            rows.append(["" if value is None else str(value).strip() for value in values[:20]])
        return rows
    finally:
        workbook.close()


def _role_names() -> dict[str, str]:
    """Folded role code or name (Vietnamese and English) → role code."""
    names = {code: code for code in ROLES}
    for locale in ("vi", "en"):
        with force_locale(locale):
            names.update({fold(str(label)): code for code, label in accounts.ROLE_LABELS.items()})
    return names


def check_rows(actor, cells: list[list[str]]) -> ImportCheck:
    """Every row with its problems; nothing is written."""
    _require_admin(actor)
    grid = [[clean(cell) for cell in row] for row in cells]
    header_index = next((index for index, row in enumerate(grid) if any(row)), None)
    if header_index is None:
        return ImportCheck([], [str(_l("Tệp không có dòng tiêu đề"))])
    header = grid[header_index]
    columns: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        key = HEADERS.get(fold(name).replace("_", " ")) or HEADERS.get(fold(name))
        if key is None:
            if name:
                problems.append(str(_l("Dòng %(row)s, cột «%(column)s»: tên cột không nhận ra; dùng một trong: "
                                       "%(choices)s", row=header_index + 1, column=name,
                                       choices="username, full_name, email, role, unit")))
        elif key in columns:
            problems.append(str(_l("Dòng %(row)s, cột «%(column)s»: cột này có hai lần",
                                   row=header_index + 1, column=name)))
        else:
            columns[key] = index
    for key in REQUIRED:
        if key not in columns:
            problems.append(str(_l("Thiếu cột «%(column)s»", column=FIELD_LABELS[key])))
    data_rows = [(header_index + 2 + offset, row) for offset, row in enumerate(grid[header_index + 1:]) if any(row)]
    if len(data_rows) > MAX_ROWS:
        problems.append(str(_l("Tệp có hơn %(limit)s dòng người dùng; hãy chia thành nhiều tệp", limit=MAX_ROWS)))
    if problems:
        return ImportCheck([], problems)

    def cell(row: list[str], key: str) -> str:
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else ""

    def column_name(key: str) -> str:
        return header[columns[key]] if key in columns else str(FIELD_LABELS[key])

    role_names = _role_names()
    units = {fold(code): code for code in db.session.scalars(select(Unit.code))}
    existing = {name.lower() for name in db.session.scalars(select(func.lower(User.username)))}
    seen: dict[str, int] = {}
    rows = []
    for line, raw in data_rows:
        row = ImportRow(line=line, username=cell(raw, "username"), full_name=cell(raw, "full_name"),
                        email=cell(raw, "email"), role=cell(raw, "role"), unit_code=cell(raw, "unit"))

        def problem(key: str, message, row=row) -> None:
            row.problems.append(str(_l("Dòng %(row)s, cột «%(column)s»: %(problem)s",
                                       row=row.line, column=column_name(key), problem=str(message))))

        lowered = row.username.lower()
        if not row.username:
            problem("username", _l("không được để trống"))
        elif not _USERNAME.match(row.username):
            problem("username", _l("«%(value)s» không hợp lệ (chỉ chữ không dấu, số, dấu chấm, gạch, @; "
                                   "tối đa 80 ký tự)", value=row.username))
        elif lowered in seen:
            problem("username", _l("«%(value)s» trùng với dòng %(other)s", value=row.username, other=seen[lowered]))
        else:
            seen[lowered] = line
            row.existing = lowered in existing
        if row.email and not _EMAIL.match(row.email):
            problem("email", _l("«%(value)s» không phải địa chỉ thư điện tử", value=row.email))
        role = role_names.get(fold(row.role))
        if not row.role:
            problem("role", _l("không được để trống"))
        elif role is None:
            problem("role", _l("«%(value)s» không phải vai trò; dùng một trong: %(choices)s",
                               value=row.role, choices=", ".join(ROLES)))
        else:
            row.role = role
        unit_code = units.get(fold(row.unit_code))
        if not row.unit_code:
            problem("unit", _l("không được để trống"))
        elif unit_code is None:
            problem("unit", _l("không có đơn vị mã «%(value)s»", value=row.unit_code))
        else:
            row.unit_code = unit_code
        rows.append(row)
    if not rows:
        problems.append(str(_l("Tệp không có dòng người dùng nào dưới dòng tiêu đề")))
    return ImportCheck(rows, problems)


def check_file(actor, filename: str, data: bytes) -> ImportCheck:
    """Read and check a file; a file that cannot be read is one problem of the check."""
    _require_admin(actor)
    try:
        cells = read_rows(filename, data)
    except UserImportError as error:
        return ImportCheck([], error.problems)
    return check_rows(actor, cells)


def apply_check(actor, check: ImportCheck) -> list[tuple[User, str | None]]:
    """Create or update every row; (user, initial password or None when updated). Flushes, never commits.

    Refuses (UserImportError) unless every row is valid: the file is imported whole or not at all."""
    _require_admin(actor)
    if not check.ok:
        raise UserImportError(check.all_problems)
    results: list[tuple[User, str | None]] = []
    for row in check.rows:
        try:
            if row.existing:
                user = db.session.scalar(select(User).where(func.lower(User.username) == row.username.lower()))
                unit = db.session.scalar(select(Unit).where(Unit.code == row.unit_code))
                accounts.update_user(actor, user, full_name=row.full_name or user.full_name,
                                     email=row.email or user.email, role=row.role, unit_id=unit.id,
                                     active=user.active)
                results.append((user, None))
            else:
                password = secrets.token_urlsafe(9)
                user = accounts.create_user(actor, username=row.username, password=password, role=row.role,
                                            unit_code=row.unit_code, email=row.email or None,
                                            full_name=row.full_name)
                user.must_change_password = True
                results.append((user, password))
        except accounts.AccountError as error:
            raise UserImportError([str(_l("Dòng %(row)s: %(problem)s", row=row.line, problem=str(error)))]
                                  ) from error
    db.session.flush()
    return results


def import_file(actor, filename: str, data: bytes, *, dry_run: bool = False
                ) -> tuple[ImportCheck, list[tuple[User, str | None]]]:
    """Check, then (unless a dry run) write; UserImportError lists every problem when the file is refused."""
    check = check_file(actor, filename, data)
    if not check.ok:
        raise UserImportError(check.all_problems)
    return check, ([] if dry_run else apply_check(actor, check))


# ---- the web page's upload, kept between the preview and the confirmation ----

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def store_upload(actor, folder: Path, filename: str, data: bytes) -> str:
    """Keep a checked file for its confirmation; returns the token the confirm form posts."""
    _require_admin(actor)
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    extension = Path(filename).suffix.lower()
    (folder / f"{token}{extension}").write_bytes(data)
    return token


def take_upload(actor, folder: Path, token: str) -> tuple[str, bytes] | None:
    """The file kept under this token, removed from the folder (a confirmation is used once); None if gone."""
    _require_admin(actor)
    if not _TOKEN.match(token or ""):
        return None
    for extension in ACCEPTED_EXTENSIONS:
        path = folder / f"{token}{extension}"
        if path.is_file():
            data = path.read_bytes()
            path.unlink(missing_ok=True)
            return path.name, data
    return None
