"""Vietnamese display and input helpers: dd/mm/yyyy dates, decimal comma, thousands dot (no Babel needed)."""
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_DATE = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d+)\s*$")
_GROUPED_DOTS = re.compile(r"^\d{1,3}(\.\d{3})+$")
_GROUPED_COMMAS = re.compile(r"^\d{1,3}(,\d{3})+$")
_GROUPED_SPACES = re.compile(r"^\d{1,3}( \d{3})+$")
_PLAIN = re.compile(r"^\d+$")

Number = int | float | Decimal


def checked_date(day: int, month: int, year: int) -> date:
    """Build a date, or raise ValueError naming the impossible date in Vietnamese ("Ngày 31/02/2023 không tồn tại")."""
    shown = f"{day:02d}/{month:02d}/{year:04d}"
    if not 1 <= month <= 12:
        raise ValueError(f"Ngày {shown} không tồn tại: tháng phải từ 1 đến 12")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"Ngày {shown} không tồn tại") from None


def fmt_date(value: date | None) -> str:
    """Format a date as dd/mm/yyyy; '' for None."""
    if value is None:
        return ""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def _to_decimal(value: Number) -> Decimal:
    # str() first so that 0.1 stays 0.1 rather than its binary expansion
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _group_thousands(digits: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return ".".join(groups)


def fmt_decimal(value: Number | None, places: int = 2) -> str:
    """Format a number the Vietnamese way: 85.6 → "85,60", 343894 → "343.894" (places=0); '' for None."""
    if value is None:
        return ""
    number = _to_decimal(value)
    if not number.is_finite():
        return ""
    quantum = Decimal(1).scaleb(-places) if places > 0 else Decimal(1)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    text = f"{abs(rounded):.{max(places, 0)}f}"
    whole, _, fraction = text.partition(".")
    result = sign + _group_thousands(whole)
    return f"{result},{fraction}" if fraction else result


def fmt_int(value: Number | None) -> str:
    """Format a whole number with thousands dots: 343894 → "343.894"; '' for None."""
    return fmt_decimal(value, places=0)


def fmt_percent(value: Number | None, places: int = 1) -> str:
    """Format a percentage value (already ×100): 31.41 → "31,4%"; '' for None."""
    text = fmt_decimal(value, places)
    return f"{text}%" if text else ""


def _normalise_number(body: str) -> str | None:
    """Turn the digits-and-separators part of a Vietnamese or English number into Python syntax, or None."""
    if _PLAIN.match(body):
        return body
    if _GROUPED_SPACES.match(body):
        return body.replace(" ", "")
    has_dot, has_comma = "." in body, "," in body
    if has_dot and has_comma:
        # the separator that comes last is the decimal one: 1.234,56 (Vietnamese) or 1,234.56 (English)
        if body.rfind(",") > body.rfind("."):
            whole, _, fraction = body.rpartition(",")
            if _GROUPED_DOTS.match(whole) and _PLAIN.match(fraction):
                return whole.replace(".", "") + "." + fraction
            return None
        whole, _, fraction = body.rpartition(".")
        if _GROUPED_COMMAS.match(whole) and _PLAIN.match(fraction):
            return whole.replace(",", "") + "." + fraction
        return None
    if has_comma:
        if body.count(",") == 1:
            whole, _, fraction = body.partition(",")
            return f"{whole}.{fraction}" if _PLAIN.match(whole) and _PLAIN.match(fraction) else None
        return body.replace(",", "") if _GROUPED_COMMAS.match(body) else None
    # dots only: "343.894" and "1.234.567" are thousands (Vietnamese habit); "85.60", "0.894" are decimals
    if _GROUPED_DOTS.match(body) and not body.startswith("0"):
        return body.replace(".", "")
    if body.count(".") == 1:
        whole, _, fraction = body.partition(".")
        return body if _PLAIN.match(whole) and _PLAIN.match(fraction) else None
    return None


def parse_vn_decimal(text: str) -> Decimal:
    """Read "85,60", "85.60", "1.234,5", "343.894" (thousands) or "31,41%" as a Decimal; ValueError otherwise."""
    raw = (text or "").replace("\u00a0", " ").strip()
    if not raw:
        raise ValueError("Chưa nhập số")
    body = raw[:-1].rstrip() if raw.endswith("%") else raw
    sign = ""
    if body and body[0] in "+-":
        sign, body = body[0], body[1:].lstrip()
    normalised = _normalise_number(body)
    if normalised is None:
        raise ValueError(f"«{raw}» không phải là số hợp lệ (ví dụ đúng: 85,60 hoặc 343.894)")
    try:
        return Decimal(sign + normalised)
    except InvalidOperation:
        raise ValueError(f"«{raw}» không phải là số hợp lệ (ví dụ đúng: 85,60 hoặc 343.894)") from None


def parse_vn_date(text: str) -> date:
    """Read a dd/mm/yyyy date; ValueError in Vietnamese for a malformed or impossible date."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError("Chưa nhập ngày")
    match = _DATE.match(raw)
    if not match:
        raise ValueError(f"Không hiểu ngày «{raw}»: cần dạng ngày/tháng/năm, ví dụ 14/12/2023")
    day, month, year = (int(part) for part in match.groups())
    if len(match.group(3)) != 4:
        raise ValueError(f"Năm trong ngày «{raw}» phải có đủ 4 chữ số")
    return checked_date(day, month, year)
