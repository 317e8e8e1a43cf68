"""A plan appendix as it arrives (a table, or a numbered list) → the plan mapping of tracker/data/plans/*.yaml.

Pure: takes rows of cell strings (merged cells already filled by the reader) or paragraph lines, returns the
mapping plus warnings that name the row. Nothing here knows about files, Flask or the database.

Warnings are plain dicts {"row": int | None, "number": "II.1.2" | None, "level": "error" | "warning",
"message": "…"} so they can be stored as JSON; "error" blocks saving the plan, "warning" does not.
"""
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from ._folding import fold_aligned
from .assignees import UnitInfo, parse_assignees, resolve_assignees
from .deadlines import DeadlineError, parse_deadline
from .numbering import Numbering, split_number
from .targets import parse_targets
from .textnorm import clean, fold

COLUMNS = ("number", "content", "product", "lead", "coordinating", "deadline")
#: a table without these cannot be placed into activities
REQUIRED_COLUMNS = ("content", "lead", "deadline")
COLUMN_LABELS = {
    "number": "STT", "content": "Nội dung", "product": "Sản phẩm/Chỉ tiêu", "lead": "Chủ trì",
    "coordinating": "Phối hợp", "deadline": "Thời hạn",
}
CELL_FIELDS = ("product", "lead", "coordinating", "deadline")

# Order matters: "Cơ quan chủ trì" is checked before "nội dung"-like words, "Thời gian" before "kết quả".
_HEADER_PATTERNS: tuple[tuple[str, re.Pattern], ...] = tuple((key, re.compile(pattern)) for key, pattern in (
    ("coordinating", r"\bphoi hop\b"),
    ("lead", r"\bchu tri\b"),
    ("deadline", r"\bthoi han\b|\bthoi gian\b|\btien do\b|\bhan hoan thanh\b"),
    ("product", r"\bsan pham\b|\bchi tieu\b|\bket qua\b"),
    ("number", r"^(?:stt|tt|so tt|so thu tu)$"),
    ("note", r"^ghi chu$"),
    ("content", r"\bnoi dung\b|\bnhiem vu\b|\bhoat dong\b|\bcong viec\b|^ten\b"),
))
_MAX_HEADER_CELL = 80
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")
_FOOTNOTE_MARKER = re.compile(r"\s?\((\d{1,2})\)")
_FOOTNOTE_LINE = re.compile(r"^\s*(?:\((\d{1,2})\)|(\d{1,2})(?:[.:)]|\s))\s*(\S.*)$", re.S)
_NOTES_HEADING = re.compile(r"^(?:ghi chu|chu thich|chu giai)\s*:?\s*$")
_GROUP_PREFIX = re.compile(r"^nhom nhiem vu(?:\s+trong tam)?\s*[:.\-–]?\s*")
_DECLARED = re.compile(r"\(\s*(?:(\d+)\s+nhiem vu)?\s*[,;]?\s*(?:(\d+)\s+hoat dong)?\s*\)\s*$")
_PLAN_DECLARED = re.compile(
    r"(\d+)\s+nhom nhiem vu[^,;]*[,;]\s*(\d+)\s+nhiem vu[^,;]*?(?:[,;]|\bva\b)\s*(\d+)\s+hoat dong")
_REFERENCE = re.compile(
    r"\b(quyet dinh|ke hoach|cong van|chi thi|nghi quyet|thong bao)\s+so\s+(\S+)\s+ngay\s+"
    r"(\d{1,2})(?:\s+thang\s+|/|-|\.)(\d{1,2})(?:\s+nam\s+|/|-|\.)(\d{4})(?:\s+cua\s+([^)]+))?")
_LABELLED_META = re.compile(r"^(ma ke hoach|nam ke hoach|nguoi ky|co quan ban hanh)\s*:\s*")
_YEAR_IN_TITLE = re.compile(r"\bnam\s+(\d{4})\b")
_DIRECTIVE_TYPES = {"cong van", "chi thi", "thong bao"}
_DOC_TYPES = {"quyet dinh": "Quyết định", "ke hoach": "Kế hoạch", "cong van": "Công văn", "chi thi": "Chỉ thị",
              "nghi quyet": "Nghị quyết", "thong bao": "Thông báo"}
# per-level sub-rows ("Đối với UBND cấp xã | 80%"): which level a label speaks of, most specific first
_LEVEL_WORDS = (
    ("commune", re.compile(r"\bcap xa\b|\bxa\s*,\s*phuong\b|\bubnd (?:cac )?xa\b")),
    ("district", re.compile(r"\bcap huyen\b|\bubnd (?:cac )?huyen\b")),
    ("province", re.compile(r"\bcap tinh\b|\bso\s*,\s*(?:ban\s*,\s*)?nganh\b|\bthuoc ubnd tinh\b")),
)
# the numbered-list form: a deadline, lead or product said inside the sentence
_DEADLINE_CUE = re.compile(
    r"(?:hoan thanh|thoi han(?: hoan thanh)?|thoi gian(?: hoan thanh| thuc hien)?|truoc ngay|truoc thang"
    r"|chau nhat|thuc hien thuong xuyen|thuong xuyen|hang (?:thang|quy|nam)|dinh ky)\b")
_LABELLED_CELL = re.compile(r"(?:(?:co quan|don vi)\s+)?(chu tri|phoi hop|san pham)\s*:\s*")
_LABEL_FIELDS = {"chu tri": "lead", "phoi hop": "coordinating", "san pham": "product"}
_CHECK_YEAR = 2000  # any valid year: only whether a clause reads as a deadline matters here


# Notes the app's own export writes below the table, so that importing it again repeats no warning the office
# already dealt with: gaps of the source it knew of, activities whose unit cells it accepted, footnotes that
# belong to the text rather than to a cell.
_NOTE_GAP = re.compile(r"^van ban goc thieu (hoat dong|nhiem vu) (\S+?)(?:\s*:\s*|$)")
_NOTE_ACCEPTED = re.compile(r"^da chap nhan don vi chu tri, phoi hop khi nap\s*:\s*")
_NOTE_FREE_FOOTNOTES = re.compile(r"^chu thich khong gan voi o nao\s*:\s*")
_LOST_KINDS = {"hoat dong": "activity", "nhiem vu": "task"}
_ACCEPTED_ITEM = re.compile(r"^(\S+) \[([0-9a-f]{6})\]$")


class TableError(ValueError):
    """The table cannot be read as a plan (no header, missing columns, nothing numbered); message in Vietnamese."""


@dataclass
class ParseResult:
    """The plan mapping (curated-file schema, JSON-friendly: dates as ISO strings) and its warnings."""

    data: dict
    warnings: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[dict]:
        """Warnings that block saving."""
        return [w for w in self.warnings if w["level"] == "error"]


def warning(message: str, row: int | None = None, number: str | None = None, level: str = "warning") -> dict:
    """One warning record."""
    return {"row": row, "number": number, "level": level, "message": message}


def clean_cell(text) -> str:
    """A cell's text on one line: lines joined by "; " (or a space after "," ";" ":"), trailing full stop dropped."""
    if text is None:
        return ""
    lines = [clean(line) for line in str(text).replace("\r", "\n").split("\n")]
    out = ""
    for line in (line for line in lines if line):
        if not out:
            out = line
        elif out[-1] in ",;:":
            out += " " + line
        else:
            out += "; " + line
    out = clean(out)
    while out.endswith((".", ";", "/.")) and not out.endswith(".."):
        out = out[:-1].rstrip()
    return out


def take_footnote_markers(text: str) -> tuple[str, list[str]]:
    """Remove footnote markers "(1)" from a cell; return the text and the markers in order."""
    markers = [m.group(1).lstrip("0") or "0" for m in _FOOTNOTE_MARKER.finditer(text)]
    if not markers:
        return text, []
    return clean_cell(_FOOTNOTE_MARKER.sub("", text)), list(dict.fromkeys(markers))


def level_targets(product: str) -> dict[str, str]:
    """Per-level targets of a product cell: "Cấp tỉnh: 100%; …" or "Đối với UBND cấp xã: 80%; …"; {} otherwise."""
    targets = parse_targets(product)
    if targets or not product:
        return targets
    found: dict[str, str] = {}
    for piece in (p.strip() for p in product.split(";")):
        label, colon, value = piece.rpartition(":")
        value = value.strip()
        if not colon or not value[:1].isdigit():
            return {}
        level = _label_level(label)
        if level is None or level in found:
            return {}
        found[level] = value
    return found if len(found) >= 2 else {}


def _label_level(label: str) -> str | None:
    folded = fold(label)
    for level, pattern in _LEVEL_WORDS:
        if pattern.search(folded):
            return level
    return None


def _column_key(cell: str) -> str | None:
    folded = fold(cell)
    if not folded or len(folded) > _MAX_HEADER_CELL:
        return None
    for key, pattern in _HEADER_PATTERNS:
        if pattern.search(folded):
            return key
    return None


def _header_keys(cells: list[str]) -> list[str | None] | None:
    """Column keys of a header row, or None when the row is not a header."""
    keys = [_column_key(cell) for cell in cells]
    named = {key for key in keys if key and key != "note"}
    return keys if len(named) >= 3 and "content" in named else None


def _mapping(keys: list[str | None]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key and key not in mapping:
            mapping[key] = index
    return mapping


def find_header(rows: list[list[str]]) -> tuple[int, int, dict[str, int]]:
    """(first header row, rows it spans, {column key: index}); TableError if there is none or columns are missing."""
    for index, row in enumerate(rows):
        keys = _header_keys(row)
        if keys is None:
            continue
        span = 1
        # a two-line header: "Cơ quan thực hiện" above "Chủ trì | Phối hợp"
        if index + 1 < len(rows):
            below = rows[index + 1]
            below_keys = [_column_key(cell) for cell in below]
            fits = all(
                not clean(cell) or below_keys[i] or (i < len(row) and clean(cell) == clean(row[i]))
                for i, cell in enumerate(below)
            )
            if fits and any(k and k not in keys for k in below_keys):
                keys = [below_keys[i] if i < len(below_keys) and below_keys[i] else k for i, k in enumerate(keys)]
                span = 2
        mapping = _mapping(keys)
        missing = [COLUMN_LABELS[key] for key in REQUIRED_COLUMNS if key not in mapping]
        if missing:
            raise TableError(
                f"Dòng tiêu đề bảng (dòng {index + 1}) thiếu cột: {', '.join(missing)}. "
                "Bảng cần các cột Nội dung, Chủ trì, Thời hạn (và nếu có: STT, Sản phẩm/Chỉ tiêu, Phối hợp).")
        return index, span, mapping
    raise TableError("Không tìm thấy dòng tiêu đề của bảng kế hoạch (STT | Nội dung | Sản phẩm/Chỉ tiêu | Chủ trì | "
                     "Phối hợp | Thời hạn).")


def _number_with_dot(text: str) -> bool:
    return bool(re.match(r"\s*(?:[IVX]+|\d+(?:\.\d+)*)\.", text or ""))


def split_leading_number(text: str) -> tuple[Numbering | None, str]:
    """A leading plan number of a sentence; "30 phóng sự" (no dot, lower-case word after) is not numbered."""
    numbering, rest = split_number(text)
    if numbering is None:
        return None, rest
    if not _number_with_dot(text) and rest[:1].islower():
        return None, clean(text)
    return numbering, rest


def split_declared(title: str) -> tuple[str, dict]:
    """Group header text → (title without "Nhóm nhiệm vụ:" and counts, declared {tasks, activities})."""
    folded = fold_aligned(title)
    declared: dict = {}
    match = _DECLARED.search(folded)
    if match and (match.group(1) or match.group(2)):
        if match.group(1):
            declared["tasks"] = int(match.group(1))
        if match.group(2):
            declared["activities"] = int(match.group(2))
        title = title[: match.start()]
        folded = folded[: match.start()]
    prefix = _GROUP_PREFIX.match(folded)
    if prefix and prefix.end() < len(title.rstrip()):
        title = title[prefix.end():]
        title = title[:1].upper() + title[1:]
    return clean_cell(title), declared


class _Builder:
    """Accumulates groups → tasks → activities from rows in document order."""

    def __init__(self) -> None:
        self.groups: list[dict] = []
        self.warnings: list[dict] = []
        self.footnotes: dict[str, str] = {}
        self.group: dict | None = None
        self.task: dict | None = None
        self.activity: dict | None = None
        self.list_form = False
        #: from the export's notes: {number: gap}, activity paths accepted, footnote markers of the text
        self.acknowledged_gaps: dict[str, dict] = {}
        #: activity path → fingerprint of the unit cells accepted ("II.1.6" → "3fa2c1")
        self.accepted: dict[str, str] = {}
        self.free_footnotes: list[str] = []

    def add_system_note(self, text: str) -> bool:
        """Take one of the export's notes; False when the line is not one."""
        folded = fold_aligned(text)
        gap = _NOTE_GAP.match(folded)
        if gap:
            number = text[gap.start(2):gap.end(2)]
            self.acknowledged_gaps[number] = {"number": number, "lost": _LOST_KINDS[gap.group(1)],
                                              "note": clean(text[gap.end():]), "acknowledged": True}
            return True
        for pattern in (_NOTE_ACCEPTED, _NOTE_FREE_FOOTNOTES):
            match = pattern.match(folded)
            if match:
                items = [clean(item) for item in text[match.end():].split(",") if clean(item)]
                if pattern is _NOTE_FREE_FOOTNOTES:
                    self.free_footnotes += items
                else:
                    self.accepted.update(m.groups() for m in map(_ACCEPTED_ITEM.match, items) if m)
                return True
        return False

    # -- helpers --------------------------------------------------------------------------------------
    def warn(self, message: str, row: int | None, number: str | None = None, level: str = "warning") -> None:
        self.warnings.append(dict(warning(message, row, number, level), source="read"))

    def path(self, number: str) -> str:
        return f"{self.group['number']}.{number}" if self.group else number

    def ensure_group(self, row: int) -> dict:
        if self.group is None:
            self.warn("Bảng không có dòng nhóm (I., II.…) trước nhiệm vụ đầu tiên; đã tạo nhóm I không tên", row)
            self.group = {"number": "I", "title": "", "declared": {}, "tasks": [], "row": row}
            self.groups.append(self.group)
        return self.group

    def new_activity(self, number: str, content: str, cells: dict, row: int, own: bool = False) -> dict:
        content, markers = take_footnote_markers(content)
        product, product_markers = take_footnote_markers(cells.get("product", ""))
        activity = {
            "number": number, "content": content, "footnotes": list(dict.fromkeys(markers + product_markers)),
            "product": product, "targets": {}, "lead": cells.get("lead", ""),
            "coordinating": cells.get("coordinating", ""), "deadline": cells.get("deadline", ""),
            "row": row, "_sub": [], "_own_row": own,
        }
        self.task["activities"].append(activity)
        self.activity = activity
        return activity

    # -- events ---------------------------------------------------------------------------------------
    def add_group(self, row: int, numbering: Numbering, text: str) -> None:
        title, declared = split_declared(text)
        if any(g["number"] == numbering.label for g in self.groups):
            self.warn(f"Dòng {row}: nhóm {numbering.label} xuất hiện lần thứ hai", row, numbering.label)
        self.group = {"number": numbering.label, "title": title, "declared": declared, "tasks": [], "row": row}
        self.groups.append(self.group)
        self.task = self.activity = None

    def add_task(self, row: int, numbering: Numbering, title: str, cells: dict) -> None:
        group = self.ensure_group(row)
        if self.task is not None and self.task["number"] == numbering.label and self.task in group["tasks"]:
            # the number cell merged down over the rows below the title: they continue the same task
            if title != self.task["title"] or any(cells.values()):
                self.add_unnumbered(row, title, cells)
            return
        own = any(cells.values())
        # a task that is its own activity: footnote markers belong to the activity, not to the title
        self.task = {"number": numbering.label, "title": take_footnote_markers(title)[0] if own else title,
                     "activities": [], "row": row}
        group["tasks"].append(self.task)
        self.activity = None
        if own:
            self.new_activity(numbering.label, title, cells, row, own=True)

    def add_activity(self, row: int, numbering: Numbering, content: str, cells: dict) -> None:
        group = self.ensure_group(row)
        task_number = str(numbering.parts[0])
        if self.activity is not None and self.activity["number"] == numbering.label:
            # the number cell merged down over sub-rows: the row continues the same activity
            self.add_unnumbered(row, content, cells)
            return
        if self.task is None or self.task["number"] != task_number:
            found = next((t for t in group["tasks"] if t["number"] == task_number), None)
            if found is None:
                self.warn(f"Dòng {row}: hoạt động {numbering.label} không có dòng nhiệm vụ {task_number} phía trên; "
                          f"đã tạo nhiệm vụ {self.path(task_number)} chưa có tên", row, self.path(task_number))
                found = {"number": task_number, "title": "", "activities": [], "row": row}
                group["tasks"].append(found)
            self.task = found
        own = [a for a in self.task["activities"] if a["_own_row"]]
        if own:
            self.warn(f"Dòng {own[0]['row']}: nhiệm vụ {self.path(self.task['number'])} vừa có ô riêng vừa có hoạt "
                      "động con; đã bỏ các ô của dòng nhiệm vụ", own[0]["row"], self.path(self.task["number"]))
            self.task["activities"] = [a for a in self.task["activities"] if not a["_own_row"]]
        if any(a["number"] == numbering.label for a in self.task["activities"]):
            self.warn(f"Dòng {row}: hoạt động {self.path(numbering.label)} trùng số thứ tự", row,
                      self.path(numbering.label))
        self.new_activity(numbering.label, content, cells, row)

    def add_unnumbered(self, row: int, content: str, cells: dict) -> None:
        filled = {k: v for k, v in cells.items() if v}
        if self.task is not None and not self.task["activities"] and content:
            # a task that is its own activity, its content on the line below the title
            self.new_activity(self.task["number"], content, cells, row, own=True)
            return
        activity = self.activity
        if activity is not None and content and filled.get("product") and all(
                not v or v == activity[k] for k, v in filled.items() if k != "product"):
            activity["_sub"].append((content, filled["product"]))  # "Đối với UBND cấp xã | 80%"
            return
        if activity is not None and not content and filled:
            clash = {k: v for k, v in filled.items() if activity[k] and activity[k] != v}
            for key, value in filled.items():
                if not activity[key]:
                    activity[key] = value
            if not clash:
                return
            filled = clash
        if activity is not None and content and self.list_form and not filled:
            activity["content"] = clean(f"{activity['content']} {content}")
            self.warn(f"Dòng {row}: đoạn không đánh số được nối vào nội dung hoạt động "
                      f"{self.path(activity['number'])}", row, self.path(activity["number"]))
            return
        shown = "; ".join(v for v in [content, *filled.values()] if v)
        if shown:
            self.warn(f"Dòng {row}: không xác định được «{shown[:120]}» thuộc hoạt động nào; đã bỏ qua", row)

    def add_footnote(self, row: int, marker: str, text: str) -> None:
        marker = marker.lstrip("0") or "0"
        if marker in self.footnotes and self.footnotes[marker] != text:
            self.warn(f"Dòng {row}: chú thích ({marker}) được ghi hai lần; giữ lần đầu", row)
            return
        self.footnotes[marker] = clean(text)

    # -- the result -----------------------------------------------------------------------------------
    def finish(self, meta: dict) -> ParseResult:
        for group in self.groups:
            for task in group["tasks"]:
                for activity in task["activities"]:
                    if activity["_sub"]:
                        parts = ([activity["product"]] if activity["product"] else []) + [
                            f"{label}: {value}" for label, value in activity["_sub"]]
                        activity["product"] = "; ".join(parts)
                    activity["targets"] = level_targets(activity["product"])
                    del activity["_sub"], activity["_own_row"]
        for group in self.groups:
            for task in group["tasks"]:
                for activity in task["activities"]:
                    # accepted only as exported: a cell edited in the file since asks the clerk again
                    stamp = self.accepted.get(f"{group['number']}.{activity['number']}")
                    if stamp and stamp == unit_cells_fingerprint(activity):
                        activity["accepted"] = {"lead": activity["lead"], "coordinating": activity["coordinating"]}
        data = dict(meta)
        data["footnotes"] = dict(sorted(self.footnotes.items(), key=lambda kv: int(kv[0])))
        data["groups"] = self.groups
        gaps = numbering_gaps(self.groups)
        found = {gap["number"] for gap in gaps}
        data["known_gaps"] = [self.acknowledged_gaps.get(gap["number"], gap) for gap in gaps] + [
            gap for number, gap in self.acknowledged_gaps.items() if number not in found]
        if self.free_footnotes:
            data["free_footnotes"] = self.free_footnotes
        if not data.get("declared") and self.groups and all(g["declared"] for g in self.groups):
            data["declared"] = {"groups": len(self.groups),
                                "tasks": sum(g["declared"].get("tasks", 0) for g in self.groups),
                                "activities": sum(g["declared"].get("activities", 0) for g in self.groups)}
        return ParseResult(data, self.warnings + structure_warnings(data))


_LOST = {"activity": "hoạt động", "task": "nhiệm vụ"}


def structure_warnings(data: dict) -> list[dict]:
    """Footnote, numbering-gap and declared-count warnings of a plan mapping."""
    gaps = [warning(f"Văn bản thiếu {_LOST.get(g.get('lost'), 'mục')} {g['number']}: {g.get('note', '')}", None,
                    g["number"]) for g in data.get("known_gaps") or [] if isinstance(g, dict)
            and not g.get("acknowledged")]
    return footnote_warnings(data) + gaps + count_warnings(data)


def shift_deadline(text: str, year: int, shift: int = 1) -> str:
    """A deadline wording moved by `shift` years ("Quý IV/2023" → "Quý IV/2024"); 29/02 becomes 28/02 if needed."""
    if not text:
        return text
    shifted = re.sub(r"(?<!\d)(19\d{2}|2\d{3})(?!\d)", lambda m: str(int(m.group(1)) + shift), text)
    try:
        parse_deadline(shifted, year + shift)
    except DeadlineError:
        shifted = re.sub(r"(?<!\d)29([/.-])0?2(?=\1)", r"28\g<1>02", shifted)
    return shifted


def numbering_gaps(groups: list[dict]) -> list[dict]:
    """Tasks and activities the numbering skips ("5.2" with no "5.1"): the text lost them."""
    gaps: list[dict] = []
    for group in groups:
        present = sorted({int(t["number"]) for t in group["tasks"] if t["number"].isdigit()})
        for missing in (n for n in range(1, max(present, default=0)) if n not in present):
            gaps.append({"number": f"{group['number']}.{missing}", "lost": "task",
                         "note": f"nhóm {group['number']} có nhiệm vụ {max(present)} nhưng không có "
                                 f"nhiệm vụ {missing}"})
        for task in group["tasks"]:
            numbers = sorted({int(a["number"].split(".")[1]) for a in task["activities"] if "." in a["number"]})
            for missing in (n for n in range(1, max(numbers, default=0)) if n not in numbers):
                label = f"{task['number']}.{missing}"
                gaps.append({"number": f"{group['number']}.{label}", "lost": "activity",
                             "note": f"có {task['number']}.{max(numbers)} nhưng không có {label}"})
    return gaps


def count_warnings(data: dict) -> list[dict]:
    """Counts that do not match what the document declares (per group and for the plan)."""
    out: list[dict] = []
    total_tasks = total_activities = 0
    # a lost task took at least one activity with it
    lost = {"tasks": {}, "activities": {}}
    for gap in data.get("known_gaps") or []:
        if isinstance(gap, dict) and gap.get("acknowledged"):
            group_number = str(gap["number"]).split(".")[0]
            for key in ("tasks", "activities") if gap.get("lost") == "task" else ("activities",):
                lost[key][group_number] = lost[key].get(group_number, 0) + 1
    for group in data.get("groups", []):
        tasks = len(group["tasks"]) + lost["tasks"].get(group["number"], 0)
        activities = sum(len(t["activities"]) for t in group["tasks"]) + lost["activities"].get(group["number"], 0)
        total_tasks += tasks
        total_activities += activities
        declared = group.get("declared") or {}
        for key, present, word in (("tasks", tasks, "nhiệm vụ"), ("activities", activities, "hoạt động")):
            if declared.get(key) is not None and declared[key] != present:
                out.append(warning(f"Dòng {group.get('row')}: nhóm {group['number']} ghi {declared[key]} {word}, "
                                   f"bảng có {present}", group.get("row"), group["number"]))
    declared = data.get("declared") or {}
    for key, present, word in (("groups", len(data.get("groups", [])), "nhóm"), ("tasks", total_tasks, "nhiệm vụ"),
                               ("activities", total_activities, "hoạt động")):
        if declared.get(key) is not None and declared[key] != present:
            out.append(warning(f"Văn bản ghi {declared[key]} {word}, bảng có {present}"))
    return out


def footnote_warnings(data: dict) -> list[dict]:
    """Markers without a footnote text, footnotes no cell refers to."""
    out: list[dict] = []
    used: set[str] = set()
    for group, _task, activity in iter_activities(data):
        for marker in activity.get("footnotes") or []:
            used.add(marker)
            if marker not in (data.get("footnotes") or {}):
                out.append(warning(f"Dòng {activity.get('row')}: ký hiệu chú thích ({marker}) không có lời chú thích "
                                   "dưới bảng", activity.get("row"), f"{group['number']}.{activity['number']}"))
    for marker in data.get("footnotes") or {}:
        if marker not in used and marker not in (data.get("free_footnotes") or []):
            out.append(warning(f"Chú thích ({marker}) không gắn với ô nào trong bảng"))
    return out


def iter_activities(data: dict):
    """(group, task, activity) in document order."""
    for group in data.get("groups", []):
        for task in group.get("tasks", []):
            for activity in task.get("activities", []):
                yield group, task, activity


def _reference(line: str) -> dict | None:
    """The document reference in a line: {"type", "number", "date", "issuer", "kind"}."""
    folded = fold_aligned(line)
    match = _REFERENCE.search(folded)
    if not match:
        return None
    kind = match.group(1)
    found = {"type": _DOC_TYPES[kind], "number": line[match.start(2):match.end(2)],
             "kind": "directive" if kind in _DIRECTIVE_TYPES else "plan", "issuer": ""}
    try:
        found["date"] = date(int(match.group(5)), int(match.group(4)), int(match.group(3))).isoformat()
    except ValueError:
        pass
    if match.group(6):
        found["issuer"] = clean_cell(line[match.start(6):match.end(6)])
    return found


def _plan_title(lines: list[str]) -> str:
    """The plan's title among the lines above the table, most telling form first."""
    usable = [line for line in lines if len(line) < 300 and not fold(line).startswith(("can cu", "theo de nghi"))]
    for line in usable:
        if fold(line).startswith("ke hoach "):
            return line
    for line in lines:
        match = re.search(r"kem theo (?:quyet dinh nay )?(ke hoach .+? nam \d{4})", fold_aligned(line))
        if match:
            title = line[match.start(1):match.end(1)]
            return title[:1].upper() + title[1:]
    for line in usable:
        if line.isupper() and _YEAR_IN_TITLE.search(fold(line)):
            return line
    return max(usable, key=len, default="")


def parse_preamble(lines: list[str]) -> dict:
    """Plan fields from the text above the table: title, decision reference, declared totals, labelled fields."""
    meta: dict = {"kind": "plan", "title": "", "issuer": "", "decision": {}, "declared": {}}
    texts: list[str] = []
    references: list[tuple[bool, dict]] = []
    for raw in lines:
        line = clean_cell(raw)
        if not line:
            continue
        folded = fold_aligned(line)
        labelled = _LABELLED_META.match(folded)
        if labelled:
            value = line[labelled.end():].strip()
            key = labelled.group(1)
            if key == "ma ke hoach":
                meta["code"] = value
            elif key == "nam ke hoach" and value.isdigit():
                meta["year"] = int(value)
            elif key == "nguoi ky":
                meta["decision"]["signer"] = value
            else:
                meta["issuer"] = value
            continue
        reference = _reference(line)
        if reference and not folded.startswith("can cu"):
            # the appendix says "(Kèm theo Quyết định số …)": that one, not a law cited in passing
            references.append(("kem theo" in folded, reference))
            if "kem theo" in folded and folded.startswith("("):
                continue
        declared = _PLAN_DECLARED.search(fold(line))
        if declared:
            meta["declared"] = {"groups": int(declared.group(1)), "tasks": int(declared.group(2)),
                                "activities": int(declared.group(3))}
        texts.append(line)
    if references:
        chosen = next((ref for attached, ref in references if attached), references[0][1])
        meta["kind"] = chosen.pop("kind")
        issuer = chosen.pop("issuer")
        meta["issuer"] = meta["issuer"] or issuer
        meta["decision"] = {**chosen, **meta["decision"]}
    title = _plan_title(texts)
    meta["title"] = title[:1] + title[1:].lower() if title.isupper() else title
    if "year" not in meta:
        years = _YEAR_IN_TITLE.findall(fold(meta["title"]))
        if years:
            meta["year"] = int(years[-1])
        elif meta["decision"].get("date"):
            meta["year"] = int(meta["decision"]["date"][:4])
    return meta


def _is_column_numbers(cells: list[str]) -> bool:
    values = [c for c in (clean(x) for x in cells) if c]
    return len(values) >= 3 and len(set(values)) == len(values) and all(_COLUMN_NUMBER.match(v) for v in values)


def parse_table(rows: list[list[str]], preamble: list[str] | None = None, trailer: list[str] | None = None,
                row_numbers: list[int] | None = None) -> ParseResult:
    """Parse table rows (merged cells filled) into the plan mapping; TableError if the table is unusable.

    `preamble` holds the lines above the table, `trailer` the lines below (footnotes); `row_numbers` the row
    number of each row as the clerk sees it (default 1, 2, …).
    """
    numbers = row_numbers or list(range(1, len(rows) + 1))
    start, span, mapping = find_header(rows)
    header_rows = [[clean(c) for c in rows[start + i]] for i in range(span)]
    builder = _Builder()
    lines_above = list(preamble or []) + [_row_text(r) for r in rows[:start]]
    footnote_mode = False
    for index in range(start + span, len(rows)):
        cells = [clean_cell(c) for c in rows[index]]
        row = numbers[index]
        if not any(cells):
            continue
        if [clean(c) for c in rows[index]] in header_rows or _repeats_header(cells, mapping):
            continue  # the header repeated at the top of each page
        if _is_column_numbers(cells):
            continue  # "(1) (2) (3) …" under the header
        distinct = list(dict.fromkeys(c for c in cells if c))
        if len(distinct) == 1 and builder.add_system_note(distinct[0]):
            continue
        spanning = len(distinct) == 1 and (cells.count(distinct[0]) >= 2 or len(cells) == 1)
        # footnotes keep their full stop, unlike cells
        footnote = _footnote_of(list(dict.fromkeys(c for c in (clean(x) for x in rows[index]) if c)), footnote_mode)
        if footnote:
            builder.add_footnote(row, *footnote)
            footnote_mode = True
            continue
        if len(distinct) == 1 and _NOTES_HEADING.match(fold(distinct[0])):
            footnote_mode = True
            continue
        if spanning:
            _place(builder, row, distinct[0], "", dict.fromkeys(CELL_FIELDS, ""), number_column=False)
            continue
        values = {key: _cell(cells, mapping, key) for key in COLUMNS}
        for key in CELL_FIELDS:
            if values[key] and values[key] in (values["content"], values["number"]):
                values[key] = ""  # a title cell merged across the columns to its right
        _warn_unplaced(builder, row, cells, mapping, header_rows[-1])
        _place(builder, row, values.pop("content"), values.pop("number"), values, number_column="number" in mapping)
    for line in trailer or []:
        text = clean(line)
        if builder.add_system_note(text):
            continue
        match = _FOOTNOTE_LINE.match(text)
        if match:
            builder.add_footnote(None, match.group(1) or match.group(2), match.group(3))
    meta = parse_preamble(lines_above)
    return builder.finish(meta)


def _cell(cells: list[str], mapping: dict[str, int], key: str) -> str:
    index = mapping.get(key)
    return cells[index] if index is not None and index < len(cells) else ""


def _repeats_header(cells: list[str], mapping: dict[str, int]) -> bool:
    keys = _header_keys(cells)
    if keys is None:
        return False
    # a data row can mention "phối hợp" and "hoạt động"; a header names the same columns at the same places
    return all(mapping.get(key) == index for key, index in _mapping(keys).items() if key in REQUIRED_COLUMNS)


def _row_text(cells: list[str]) -> str:
    return " ".join(dict.fromkeys(c for c in (clean_cell(x) for x in cells) if c))


def _footnote_of(distinct: list[str], footnote_mode: bool) -> tuple[str, str] | None:
    """A footnote row below the table: "(1) text", or "1 text" once the notes have begun."""
    if len(distinct) == 2 and re.fullmatch(r"\((\d{1,2})\)", distinct[0]):
        return distinct[0][1:-1], distinct[1]
    if len(distinct) != 1:
        return None
    text = distinct[0]
    match = _FOOTNOTE_LINE.match(text)
    if not match:
        return None
    if match.group(1) or footnote_mode:
        return match.group(1) or match.group(2), match.group(3)
    return None


def _warn_unplaced(builder: _Builder, row: int, cells: list[str], mapping: dict[str, int], header: list[str]) -> None:
    used = set(mapping.values())
    placed = {cells[i] for i in used if i < len(cells)}
    for index, cell in enumerate(cells):
        if cell and index not in used and cell not in placed:
            column = header[index] if index < len(header) and header[index] else f"cột {index + 1}"
            builder.warn(f"Dòng {row}, {column}: ô «{cell[:80]}» không thuộc cột nào của kế hoạch; đã bỏ qua", row)


def _place(builder: _Builder, row: int, content: str, number_text: str, cells: dict, number_column: bool) -> None:
    numbering = None
    if number_text:
        numbering, rest = split_number(number_text)
        if numbering is None:
            builder.warn(f"Dòng {row}: số thứ tự «{number_text}» không đọc được; coi như dòng không đánh số", row)
        elif rest and not content:
            content = rest
    if numbering is None and content and not (number_column and number_text):
        numbering, rest = split_leading_number(content)
        if numbering is not None:
            content = rest
    if numbering is None:
        builder.add_unnumbered(row, content, cells)
    elif numbering.level == "group":
        builder.add_group(row, numbering, content)
    elif numbering.level == "task":
        builder.add_task(row, numbering, content, cells)
    else:
        builder.add_activity(row, numbering, content, cells)


# ---- the numbered-list form -----------------------------------------------------------------------------

def _reads_as_deadline(text: str) -> bool:
    try:
        parse_deadline(text, _CHECK_YEAR)
    except DeadlineError:
        return False
    return True


def split_deadline(text: str) -> tuple[str, str]:
    """Take a deadline said inside a sentence out of it: ("Xây dựng đề án", "Hoàn thành trước ngày 30/9/2023")."""
    folded = fold_aligned(text)
    # a trailing "(Quý IV/2023)" or "(Thường xuyên)"
    trailing = re.search(r"\(([^()]*)\)\s*[.;]?\s*$", text)
    if trailing and _reads_as_deadline(trailing.group(1)) and not re.search(r"\d+/[A-ZĐa-z]", trailing.group(1)):
        return clean_cell(text[: trailing.start()]), clean_cell(trailing.group(1))
    for cue in _DEADLINE_CUE.finditer(folded):
        before = folded[: cue.start()].rstrip()
        if before and before[-1] not in ".;,:-–(" and not before.endswith(" va"):
            continue
        end_match = re.search(r"[;)]|\.(?:\s|$)", folded[cue.end():])
        end = cue.end() + end_match.start() if end_match else len(text)
        clause = clean_cell(text[cue.start():end])
        label = re.match(r"^(?:thoi han|thoi gian(?: hoan thanh| thuc hien)?)\s*:\s*", fold_aligned(clause))
        if label:
            clause = clause[label.end():]
        if not _reads_as_deadline(clause):
            continue
        rest = (text[: cue.start()].rstrip(" ,;:-–(") + " " + text[end:].lstrip(" ;).")).strip()
        return clean_cell(rest), clause
    return clean_cell(text), ""


def split_labelled_cells(text: str) -> tuple[str, dict]:
    """Take "Chủ trì: Sở Tư pháp; Phối hợp: …; Sản phẩm: …" out of a sentence."""
    folded = fold_aligned(text)
    matches = list(_LABELLED_CELL.finditer(folded))
    if not matches:
        return text, {}
    cells: dict = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        stop = following.start() if following else len(text)
        sentence_end = re.search(r"\.(?:\s|$)", folded[match.end():stop])
        stop = match.end() + sentence_end.start() if sentence_end else stop
        cells[_LABEL_FIELDS[match.group(1)]] = clean_cell(text[match.end():stop].strip(" ;,()"))
    head = text[: matches[0].start()].rstrip(" ;,(-–")
    return clean_cell(head), cells


def parse_paragraphs(lines: list[str]) -> ParseResult:
    """Parse a plan written as a numbered list (deadlines inside the text, no unit columns)."""
    builder = _Builder()
    builder.list_form = True
    preamble: list[str] = []
    started = footnote_mode = False
    for row, raw in enumerate(lines, start=1):
        text = clean_cell(raw)
        if not text:
            continue
        if started:
            if _NOTES_HEADING.match(fold(text)):
                footnote_mode = True
                continue
            footnote = _FOOTNOTE_LINE.match(clean(raw))
            if footnote and (footnote.group(1) or footnote_mode):
                builder.add_footnote(row, footnote.group(1) or footnote.group(2), footnote.group(3))
                footnote_mode = True
                continue
        numbering, rest = split_leading_number(text.lstrip("-+•* "))
        if numbering is None and not started:
            preamble.append(text)
            continue
        started = True
        body, cells = split_labelled_cells(rest if numbering else text.lstrip("-+•* "))
        if numbering is None or numbering.level != "group":
            body, deadline = split_deadline(body)
            if deadline:
                cells["deadline"] = deadline
        values = {key: cells.get(key, "") for key in CELL_FIELDS}
        if numbering is None:
            builder.add_unnumbered(row, body, values)
        elif numbering.level == "group":
            builder.add_group(row, numbering, body)
        elif numbering.level == "task":
            builder.add_task(row, numbering, body, values)
        else:
            builder.add_activity(row, numbering, body, values)
    if not builder.groups:
        raise TableError("Không tìm thấy bảng kế hoạch, cũng không thấy danh sách đánh số (I., 1., 1.1.) trong tệp.")
    return builder.finish(parse_preamble(preamble))


# ---- checks that need the plan year or the unit list ----------------------------------------------------

def check_plan(data: dict) -> list[dict]:
    """Deadlines that cannot be read (errors), missing content (errors), missing lead or deadline (warnings)."""
    out: list[dict] = []
    year = data.get("year")
    if not isinstance(year, int):
        out.append(warning("Chưa xác định được năm của kế hoạch; hãy nhập năm", level="error"))
    if not clean(data.get("code")):
        out.append(warning("Chưa có mã kế hoạch; hãy nhập mã", level="error"))
    if not clean(data.get("title")):
        out.append(warning("Chưa có tên kế hoạch; hãy nhập tên", level="error"))
    if not data.get("groups"):
        out.append(warning("Không đọc được nhóm, nhiệm vụ, hoạt động nào", level="error"))
    for group, _task, activity in iter_activities(data):
        number = f"{group['number']}.{activity['number']}"
        row = activity.get("row")
        where = f"Dòng {row}, hoạt động {number}" if row else f"Hoạt động {number}"
        if not clean(activity.get("content")):
            out.append(warning(f"{where}: thiếu nội dung", row, number, "error"))
        deadline = clean(activity.get("deadline"))
        if not deadline:
            out.append(warning(f"{where}: chưa có thời hạn; sẽ tính đến hết năm kế hoạch", row, number))
        elif isinstance(year, int):
            try:
                parse_deadline(deadline, year)
            except DeadlineError as error:
                out.append(warning(f"{where}: {error}", row, number, "error"))
    return out


def check_units(data: dict, units: list[UnitInfo]) -> list[dict]:
    """Unit names in lead/coordinating cells that match no unit (with suggestions), and resolver notes.

    A lead that names no unit, or a name that matches none, is an error: the clerk picks a unit or accepts the
    cell as it is (`activity["accepted"]` holds the cell texts accepted; editing a cell voids its acceptance).
    """
    out: list[dict] = []
    cache: dict[str, tuple] = {}
    for group, _task, activity in iter_activities(data):
        number = f"{group['number']}.{activity['number']}"
        row = activity.get("row")
        where = f"Dòng {row}, hoạt động {number}" if row else f"Hoạt động {number}"
        accepted = activity.get("accepted") or {}
        for key, word in (("lead", "chủ trì"), ("coordinating", "phối hợp")):
            text = clean(activity.get(key))
            if key in accepted and clean(accepted[key]) == text:
                continue
            if not text:
                if key == "lead":
                    out.append(unit_warning(f"{where}: chưa có đơn vị chủ trì; {_DECIDE}", row, number, "error"))
                continue
            if text not in cache:
                cache[text] = _resolution(text, units)
            unknown, notes, found, unexpanded = cache[text]
            blocking = key == "lead"
            for name, suggestions in unknown:
                hint = f" — có phải: {', '.join(suggestions)}?" if suggestions else ""
                out.append(unit_warning(f"{where}, ô {word}: không tìm thấy đơn vị «{name}»{hint}"
                                        + (f"; {_DECIDE}" if blocking else ""), row, number,
                                        "error" if blocking else "warning"))
            out += [unit_warning(f"{where}, ô {word}: {note}", row, number) for note in notes]
            if blocking and found == 0 and not unknown:
                out.append(unit_warning(f"{where}, ô chủ trì: «{text[:80]}» không ứng với đơn vị cụ thể nào; {_DECIDE}",
                                        row, number, "error"))
            elif found + unexpanded == 0 and not unknown:
                out.append(unit_warning(f"{where}, ô {word}: «{text[:80]}» không ứng với đơn vị nào", row, number))
    return out


_DECIDE = "hãy chọn đơn vị chủ trì hoặc đánh dấu chấp nhận"


def unit_warning(message: str, row: int | None, number: str | None, level: str = "warning") -> dict:
    """A warning about the units of a lead/coordinating cell, which accepting the cell clears."""
    return dict(warning(message, row, number, level), topic="units")


_COLLECTIVE_LABELS = {"department": "các sở, ban, ngành", "district": "UBND cấp huyện", "commune": "UBND cấp xã",
                      "related": "các cơ quan, đơn vị liên quan"}


def _resolution(text: str, units: list[UnitInfo]) -> tuple[list, list[str], int, int]:
    resolution = resolve_assignees(parse_assignees(text), units)
    notes = list(resolution.warnings)
    notes += [f"«{_COLLECTIVE_LABELS.get(ref.value, ref.value)} {ref.qualifier}".strip() + "» cần chọn đơn vị cụ thể"
              for ref in resolution.unexpanded]
    return resolution.unknown, notes, len(resolution.unit_ids), len(resolution.unexpanded)


def unknown_names(text: str, units: list[UnitInfo]) -> list[str]:
    """Names in a lead/coordinating cell that match no unit."""
    return [name for name, _suggestions in resolve_assignees(parse_assignees(text or ""), units).unknown]


def resolved_unit_count(text: str, units: list[UnitInfo]) -> int:
    """How many units a lead/coordinating cell names once collectives are expanded."""
    return len(resolve_assignees(parse_assignees(text or ""), units).unit_ids)


# ---- the same layout, backwards (export, and the tests' round trips) -------------------------------------

HEADER = ["STT", "Nội dung", "Sản phẩm/Chỉ tiêu", "Chủ trì", "Phối hợp", "Thời hạn"]


@dataclass
class LayoutRow:
    """One row of the exported table; `spanning` rows are merged across the width."""

    cells: list[str]
    spanning: bool = False
    kind: str = "activity"


def _with_markers(text: str, markers) -> str:
    return text + "".join(f"({m})" for m in markers or [])


def reference_line(data: dict) -> str:
    """"(Kèm theo Quyết định số 210/QĐ-UBND ngày 17/02/2023 của UBND tỉnh X)", or "" without a number."""
    decision = data.get("decision") or {}
    if not decision.get("number"):
        return ""
    when = ""
    if decision.get("date"):
        day = date.fromisoformat(str(decision["date"]))
        when = f" ngày {day:%d/%m/%Y}"
    issuer = f" của {data['issuer']}" if data.get("issuer") else ""
    return f"(Kèm theo {decision.get('type') or 'Quyết định'} số {decision['number']}{when}{issuer})"


def plan_layout(data: dict) -> tuple[list[str], list[LayoutRow], list[str]]:
    """(lines above the table, table rows after the header, footnote lines below) for a plan mapping."""
    above = [data.get("title") or ""]
    if reference_line(data):
        above.append(reference_line(data))
    if data.get("code"):
        above.append(f"Mã kế hoạch: {data['code']}")
    if data.get("year"):
        above.append(f"Năm kế hoạch: {data['year']}")
    signer = (data.get("decision") or {}).get("signer")
    if signer:
        above.append(f"Người ký: {signer}")
    if data.get("issuer") and not reference_line(data):
        above.append(f"Cơ quan ban hành: {data['issuer']}")
    rows: list[LayoutRow] = []
    for group in data.get("groups", []):
        declared = group.get("declared") or {}
        counts = ", ".join(f"{declared[k]} {w}" for k, w in (("tasks", "nhiệm vụ"), ("activities", "hoạt động"))
                           if declared.get(k) is not None)
        title = f"{group['number']}. {group.get('title') or ''}".strip() + (f" ({counts})" if counts else "")
        rows.append(LayoutRow([title] * len(HEADER), spanning=True, kind="group"))
        for task in group.get("tasks", []):
            activities = task.get("activities", [])
            own = [a for a in activities if a["number"] == task["number"]]
            title = task.get("title") or ""
            cells_filled = own and any(own[0].get(key) for key in CELL_FIELDS)
            if own and cells_filled and clean(own[0].get("content")) == clean(title):
                rows.append(_activity_row(task["number"], own[0], "task"))
                continue
            rows.append(LayoutRow([task["number"], title, "", "", "", ""], kind="task"))
            for activity in activities:
                number = "" if activity["number"] == task["number"] else activity["number"]
                rows.append(_activity_row(number, activity))
    below = [f"({marker}) {text}" for marker, text in (data.get("footnotes") or {}).items()]
    return above, rows, below + system_notes(data)


def unit_cells_fingerprint(activity: dict) -> str:
    """Six hex digits standing for an activity's lead and coordinating texts."""
    texts = f"{clean(activity.get('lead'))}\n{clean(activity.get('coordinating'))}"
    return hashlib.sha1(texts.encode("utf-8")).hexdigest()[:6]


def system_notes(data: dict) -> list[str]:
    """The notes below an exported table that carry what the office already accepted (read back on import)."""
    notes = [f"Văn bản gốc thiếu {_LOST.get(gap.get('lost'), 'hoạt động')} {gap['number']}: {gap.get('note') or ''}"
             .rstrip(": ") for gap in data.get("known_gaps") or [] if isinstance(gap, dict) and gap.get("number")]
    used = {marker for _g, _t, activity in iter_activities(data) for marker in activity.get("footnotes") or []}
    free = [marker for marker in data.get("footnotes") or {} if marker not in used]
    if free:
        notes.append("Chú thích không gắn với ô nào: " + ", ".join(free))
    accepted = [f"{group['number']}.{activity['number']} [{unit_cells_fingerprint(activity)}]"
                for group, _t, activity in iter_activities(data) if activity.get("accepted")]
    if accepted:
        notes.append("Đã chấp nhận đơn vị chủ trì, phối hợp khi nạp: " + ", ".join(accepted))
    return notes


def _activity_row(number: str, activity: dict, kind: str = "activity") -> LayoutRow:
    return LayoutRow([
        number, _with_markers(activity.get("content") or "", activity.get("footnotes")),
        activity.get("product") or "", activity.get("lead") or "", activity.get("coordinating") or "",
        activity.get("deadline") or "",
    ], kind=kind)
