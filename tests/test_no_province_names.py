"""No province's name in code or templates: what a province prints (letterhead, place, …) is data
(tracker.services.issuing_body, the unit files under tracker/data). Docstring examples say "tỉnh X".

Data files (*.yaml, *.json, *.csv, …), tests and translations are not looked at."""
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: where code and templates live
SEARCHED = ("tracker", "templates", "forms", "models", "jobs", "app.py")
#: file kinds that are code or templates (data files and compiled translations are not)
CODE_SUFFIXES = {".py", ".html", ".txt", ".j2", ".jinja", ".js", ".css", ".svg", ".xml", ".md", ".cfg", ".ini"}
#: the data folders inside the searched ones
DATA_DIRS = (ROOT / "tracker" / "data",)

#: the 63 provinces and cities before the 2025 reform; the 34 after it keep names from this list ("Huế" added)
PROVINCES = (
    "An Giang", "Bà Rịa - Vũng Tàu", "Bà Rịa", "Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre",
    "Bình Dương", "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng", "Đắk Lắk",
    "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh",
    "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hồ Chí Minh", "Hưng Yên", "Khánh Hòa", "Kiên Giang",
    "Kon Tum", "Lai Châu", "Lạng Sơn", "Lào Cai", "Lâm Đồng", "Long An", "Nam Định", "Nghệ An", "Ninh Bình",
    "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị",
    "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Huế",
    "Tiền Giang", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
)
#: the old and the new placement of the tone mark ("Hòa" / "Hoà", "Thủy" / "Thuỷ")
_TONE_PLACES = {"òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "ùy": "uỳ", "úy": "uý", "ủy": "uỷ",
                "ũy": "uỹ", "ụy": "uỵ"}


def _norm(text: str) -> str:
    """NFC, lower case, new-style tone placement: one spelling per name."""
    text = unicodedata.normalize("NFC", text).lower()
    for old, new in _TONE_PLACES.items():
        text = text.replace(old, new)
    return text


PATTERN = re.compile(r"(?<!\w)(" + "|".join(re.escape(_norm(name)) for name in sorted(PROVINCES, key=len,
                                                                                         reverse=True)) + r")(?!\w)")


def _code_files():
    for entry in SEARCHED:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if file.suffix not in CODE_SUFFIXES or "__pycache__" in file.parts:
                continue
            if any(file.is_relative_to(data) for data in DATA_DIRS):
                continue
            yield file


def test_the_pattern_finds_names_in_any_spelling():
    assert PATTERN.search(_norm("UBND TỈNH HÀ GIANG")) and PATTERN.search(_norm("Khánh Hoà"))
    assert PATTERN.search(_norm("Tuyên Quang, ngày")) and PATTERN.search(_norm("thành phố Hà Nội"))
    assert not PATTERN.search(_norm("Sở Tư pháp tỉnh X")) and not PATTERN.search(_norm("hà giangx"))


def test_no_province_name_in_code_or_templates():
    found = []
    for file in _code_files():
        for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            match = PATTERN.search(_norm(line))
            if match:
                found.append(f"{file.relative_to(ROOT)}:{number}: {match.group(0)!r}: {line.strip()[:100]}")
    assert not found, "province names in code or templates (make them data):\n" + "\n".join(found)
