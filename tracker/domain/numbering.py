"""Plan numbering at the start of a line or cell: group "II.", task "1.", activity "1.1."."""
import re
from dataclasses import dataclass
from typing import Literal

Level = Literal["group", "task", "activity"]

MAX_ROMAN = 20
_ROMAN_VALUES = (("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))
# A number is a run of Roman letters or dotted digits, an optional trailing dot, then a space, the end, or
# (after a dot) any non-digit: "1.Tỷ lệ" is numbered but "100% TTHC" and "14/12/2023" are not.
_LEADING = re.compile(r"^\s*(?P<number>[IVX]+|\d+(?:\.\d+)*)(?P<dot>\.)?(?:(?=\s)|$|(?(dot)(?=[^\d.])|(?!)))")
_MAX_DIGITS = 3  # "2023 là năm…" starts with a year, not a task number


class NumberingError(ValueError):
    """A line whose leading number is malformed or missing (message in Vietnamese)."""


@dataclass(frozen=True)
class Numbering:
    """A parsed plan number: its level, numeric parts, canonical label ("II", "1", "2.10") and the text after it."""

    level: Level
    parts: tuple[int, ...]
    label: str
    rest: str


def to_roman(value: int) -> str:
    """Roman numeral for 1–20 (used for group labels)."""
    if not 1 <= value <= MAX_ROMAN:
        raise NumberingError(f"Số La Mã chỉ dùng từ 1 đến {MAX_ROMAN}, không có {value}")
    result = ""
    for letters, amount in _ROMAN_VALUES:
        while value >= amount:
            result += letters
            value -= amount
    return result


_ROMAN_TO_INT = {to_roman(value): value for value in range(1, MAX_ROMAN + 1)}


def parse_number(text: str) -> Numbering:
    """Parse the plan number at the start of `text`; NumberingError if there is none or it is malformed."""
    source = text or ""
    match = _LEADING.match(source)
    if not match:
        raise NumberingError(f"Dòng «{source.strip()[:60]}» không bắt đầu bằng số thứ tự (I., 1., 1.1.)")
    number = match.group("number")
    rest = source[match.end():].strip()
    if number[0] in "IVX":
        value = _ROMAN_TO_INT.get(number)
        if value is None:
            raise NumberingError(f"Số thứ tự nhóm «{number}» không phải số La Mã hợp lệ từ I đến XX")
        return Numbering("group", (value,), number, rest)
    pieces = number.split(".")
    if len(pieces[0]) > _MAX_DIGITS:
        raise NumberingError(f"Dòng «{source.strip()[:60]}» không bắt đầu bằng số thứ tự (I., 1., 1.1.)")
    if len(pieces) > 2:
        raise NumberingError(f"Số thứ tự «{number}» có quá nhiều cấp: chỉ có nhiệm vụ (1.) và hoạt động (1.1.)")
    if any(len(piece) > _MAX_DIGITS for piece in pieces):
        raise NumberingError(f"Số thứ tự «{number}» quá lớn")
    parts = tuple(int(piece) for piece in pieces)
    if 0 in parts:
        raise NumberingError(f"Số thứ tự «{number}» không được có số 0")
    level: Level = "task" if len(parts) == 1 else "activity"
    return Numbering(level, parts, ".".join(str(part) for part in parts), rest)


def split_number(text: str) -> tuple[Numbering | None, str]:
    """Split a leading plan number off `text`; (None, text stripped) when there is no well-formed number."""
    try:
        numbering = parse_number(text)
    except NumberingError:
        return None, (text or "").strip()
    return numbering, numbering.rest
