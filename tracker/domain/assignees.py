"""Lead and coordinating cells ("Các sở, ban, ngành; UBND cấp huyện") → unit references → unit ids."""
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ._folding import fold_aligned
from .textnorm import clean, fold
from .unit_names import UnitNames

RefKind = Literal["name", "collective"]
#: collectives that name no definite set of units; the office picks the units by hand
UNEXPANDED_COLLECTIVES = frozenset({"related"})

_PEOPLES_COMMITTEE = r"(?:ubnd|uy ban nhan dan)"
_PROVINCE_SUFFIX = r"(?:\s+(?:thuoc\s+)?(?:" + _PEOPLES_COMMITTEE + r"\s+)?tinh)?"
# Longer wordings first within each kind, so that "UBND các huyện, thành phố" is not cut at "huyện".
_COLLECTIVE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("department", r"(?:cac\s+)?so\s*,?\s*ban\s*,?\s*nganh" + _PROVINCE_SUFFIX),
    ("department", r"(?:cac\s+)?so\s*,\s*nganh" + _PROVINCE_SUFFIX),
    ("department", r"cac\s+so\s+nganh" + _PROVINCE_SUFFIX),
    ("department", r"cac\s+co quan\s*,\s*ban\s*,\s*nganh" + _PROVINCE_SUFFIX),
    ("department", r"cac\s+co quan\s+chuyen mon\s+thuoc\s+" + _PEOPLES_COMMITTEE + r"\s+tinh"),
    # directives address the heads: "Giám đốc Sở, Thủ trưởng cơ quan chuyên môn thuộc UBND tỉnh"
    ("department", r"giam doc\s+(?:cac\s+)?so\s*,\s*thu truong\s+(?:cac\s+)?co quan\s+chuyen mon\s+thuoc\s+"
     + _PEOPLES_COMMITTEE + r"\s+tinh"),
    ("district", r"chu tich\s+" + _PEOPLES_COMMITTEE
     + r"\s+(?:cac\s+)?huyen\s*[,/]\s*(?:thi xa\s*[,/]\s*)?thanh pho"),
    ("district", _PEOPLES_COMMITTEE + r"\s+cap\s+huyen"),
    ("district", _PEOPLES_COMMITTEE + r"\s+(?:cac\s+)?huyen\s*[,/]\s*(?:thi xa\s*[,/]\s*)?thanh pho"),
    ("district", _PEOPLES_COMMITTEE + r"\s+cac\s+huyen"),
    ("commune", _PEOPLES_COMMITTEE + r"\s+cap\s+xa"),
    ("commune", _PEOPLES_COMMITTEE + r"\s+(?:cac\s+)?xa\s*[,/]\s*phuong(?:\s*[,/]\s*(?:thi tran|dac khu))?"),
    ("commune", _PEOPLES_COMMITTEE + r"\s+cac\s+xa"),
    ("related", r"(?:cac\s+)?co quan\s*,\s*(?:to chuc\s*,\s*)?don vi(?:\s+(?:co\s+)?lien quan)?"),
    ("related", r"(?:cac\s+)?(?:co quan|don vi)\s+(?:co\s+)?lien quan"),
)
_COLLECTIVE = re.compile(
    "|".join(f"(?P<c{index}>\\b{pattern}\\b)" for index, (_kind, pattern) in enumerate(_COLLECTIVE_PATTERNS))
)
# Words a unit name starts with: a comma or "và" followed by one of them begins a new unit, otherwise it is
# part of the name ("Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ").
_UNIT_START = re.compile(
    r"^(?:so|ban|ubnd|uy ban|van phong|bao|dai|cong an|bo chi huy|thanh tra|trung tam|kho bac|cuc|chi cuc"
    r"|bao hiem|ngan hang|huyen|thanh pho|tp|thi xa|xa(?! hoi)|phuong|thi tran|tinh uy|mat tran|tinh doan|doan"
    r"|hoi|lien doan|lien minh|cac|phong|truong|vien|benh vien|cong ty|tap doan|buu dien|dien luc|vien thong"
    r"|toa an|vien kiem sat)\b"
)
_SEPARATOR = re.compile(r"\s*(?:,|/|&|\bva\b)\s*")
_STRIP = " \t\n,;/&.:-–+•*"
_EXCEPTION_LEAD = re.compile(r"^\s*(?:ngoai\s+)?(?:tru|khong\s+(?:bao\s+)?gom)\s+(?:cac\s+)?")
_EXCEPTION_TAIL = re.compile(r"\s(?:da|dang|se|do|vi)\s")


@dataclass(frozen=True)
class AssigneeRef:
    """One reference in a cell: a unit by name, or a collective ("department", "district", "commune", "related").

    `qualifier` keeps words that narrow a collective ("được giao chủ trì soạn thảo văn bản QPPL").
    """

    kind: RefKind
    value: str
    qualifier: str = ""


@dataclass(frozen=True)
class AssigneeSpec:
    """A parsed lead or coordinating cell: references in order, and unit names excluded from the collectives."""

    refs: tuple[AssigneeRef, ...] = ()
    exceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitInfo:
    """What resolution needs to know about a unit."""

    id: int
    code: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    active: bool = True


@dataclass
class Resolution:
    """Unit ids a cell assigns, names not found (with up to 3 suggestions), and notes for the office."""

    unit_ids: list[int] = field(default_factory=list)
    unknown: list[tuple[str, list[str]]] = field(default_factory=list)
    #: collectives left for the office to pick by hand ("related")
    unexpanded: list[AssigneeRef] = field(default_factory=list)
    #: Vietnamese notes: qualified collectives expanded in full, ended units, empty collectives
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Fragment:
    kind: RefKind
    value: str
    start: int
    end: int
    qualifier: tuple[int, int] | None = None


def _split_outside_parens(text: str) -> list[str]:
    """Split on ";" and line breaks, but not inside parentheses."""
    chunks, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if depth == 0 and ch in ";\n\r":
            chunks.append("".join(current))
            current = []
        else:
            current.append(ch)
    chunks.append("".join(current))
    return chunks


def _take_parens(chunk: str) -> tuple[str, list[tuple[int, str]]]:
    """Remove parenthesised parts; return the remaining text and (offset in it, inner text) for each part."""
    kept: list[str] = []
    parens: list[tuple[int, str]] = []
    depth, inner = 0, []
    for ch in chunk:
        if ch == "(":
            depth += 1
            if depth == 1:
                inner = []
                continue
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                parens.append((len("".join(kept)), "".join(inner)))
                continue
        elif ch == ")":
            continue  # a stray closing bracket
        if depth:
            inner.append(ch)
        else:
            kept.append(ch)
    if depth:  # an unclosed bracket runs to the end of the cell
        parens.append((len("".join(kept)), "".join(inner)))
    return "".join(kept), parens


def _collective_spans(folded: str) -> list[tuple[int, int, str]]:
    spans = []
    for match in _COLLECTIVE.finditer(folded):
        index = int(match.lastgroup[1:])
        spans.append((match.start(), match.end(), _COLLECTIVE_PATTERNS[index][0]))
    return spans


def _fragments(text: str) -> list[_Fragment]:
    """Cut one chunk (no ";", no parentheses) into names and collectives, keeping offsets into `text`."""
    folded = fold_aligned(text)
    fragments: list[_Fragment] = []

    def add_text(start: int, end: int) -> None:
        position = start
        separated = position == 0 or not fragments
        for match in [*_SEPARATOR.finditer(folded, start, end), None]:
            piece_end = match.start() if match else end
            piece = text[position:piece_end]
            lead = len(piece) - len(piece.lstrip(_STRIP))
            piece_start, piece_stop = position + lead, position + len(piece.rstrip(_STRIP))
            if piece_stop > piece_start:
                starts_unit = bool(_UNIT_START.match(folded[piece_start:piece_stop]))
                if not fragments or (separated and starts_unit):
                    fragments.append(_Fragment("name", "", piece_start, piece_stop))
                elif fragments[-1].kind == "name":
                    fragments[-1].end = piece_stop
                else:
                    qualifier_start = fragments[-1].qualifier[0] if fragments[-1].qualifier else piece_start
                    fragments[-1].qualifier = (qualifier_start, piece_stop)
                separated = False
            if match:
                separated = True
                position = match.end()

    position = 0
    for start, end, kind in _collective_spans(folded):
        add_text(position, start)
        fragments.append(_Fragment("collective", kind, start, end))
        position = end
    add_text(position, len(text))
    return fragments


def _ref(fragment: _Fragment, text: str) -> AssigneeRef | None:
    if fragment.kind == "collective":
        qualifier = ""
        if fragment.qualifier:
            qualifier = clean(text[fragment.qualifier[0] : fragment.qualifier[1]]).strip(_STRIP)
        return AssigneeRef("collective", fragment.value, qualifier)
    name = clean(text[fragment.start : fragment.end]).strip(_STRIP)
    return AssigneeRef("name", name) if any(ch.isalnum() for ch in name) else None


def _exception_names(inner: str) -> list[str]:
    """Unit names inside "(trừ Sở Tư pháp, Sở Tài chính đã hoàn thành năm 2022)"."""
    folded = fold_aligned(inner)
    lead = _EXCEPTION_LEAD.match(folded)
    start = lead.end() if lead else 0
    tail = _EXCEPTION_TAIL.search(folded, start)
    body = inner[start : tail.start() if tail else len(inner)]
    names = []
    for chunk in _split_outside_parens(body):
        for fragment in _fragments(chunk):
            ref = _ref(fragment, chunk)
            if ref and ref.kind == "name" and _UNIT_START.match(fold(ref.value)):
                names.append(ref.value)
    return names


def parse_assignees(text: str | None) -> AssigneeSpec:
    """Parse a lead/coordinating cell into unit names, collectives and excepted names (accent-insensitive)."""
    source = unicodedata.normalize("NFC", text or "")
    refs: list[AssigneeRef] = []
    exceptions: list[str] = []
    for chunk in _split_outside_parens(source):
        body, parens = _take_parens(chunk)
        fragments = _fragments(body)
        for fragment in fragments:
            ref = _ref(fragment, body)
            if ref and ref not in refs:
                refs.append(ref)
        for offset, inner in parens:
            owner = next((f for f in reversed(fragments) if f.start < offset), None)
            # brackets after a collective list the units it leaves out; after a name they only explain it
            if owner is not None and owner.kind == "collective":
                exceptions.extend(name for name in _exception_names(inner) if name not in exceptions)
    return AssigneeSpec(tuple(refs), tuple(exceptions))


# ---- resolution against the unit list ----------------------------------------------------------------

def resolve_assignees(
    spec: AssigneeSpec, units: Sequence[UnitInfo], collective_kinds: Mapping[str, str] | None = None
) -> Resolution:
    """Turn references into unit ids: names matched accent-insensitively, collectives expanded to active units.

    `collective_kinds` maps a collective to the unit kind it covers (default: same code, e.g. "district").
    """
    index: UnitNames[UnitInfo] = UnitNames.of((unit, unit.name, unit.aliases, unit.active) for unit in units)
    kinds = dict(collective_kinds or {})
    result = Resolution()
    seen: set[int] = set()

    def lookup(name: str) -> UnitInfo | None:
        unit = index.find(name)
        if unit is not None:
            return unit
        shared = index.shared(name)
        suggestions = [unit.name for unit in shared][:3] if shared else index.suggest(name)
        if (name, suggestions) not in result.unknown:
            result.unknown.append((name, suggestions))
        return None

    def add(unit: UnitInfo) -> None:
        if unit.id not in seen:
            seen.add(unit.id)
            result.unit_ids.append(unit.id)

    excluded = {unit.id for unit in (lookup(name) for name in spec.exceptions) if unit is not None}
    for ref in spec.refs:
        if ref.kind == "name":
            unit = lookup(ref.value)
            if unit is not None:
                if not unit.active:
                    result.warnings.append(f"Đơn vị «{unit.name}» đã ngừng hoạt động nhưng vẫn được giao")
                add(unit)
            continue
        if ref.value in UNEXPANDED_COLLECTIVES:
            result.unexpanded.append(ref)
            continue
        kind = kinds.get(ref.value, ref.value)
        members = [unit for unit in units if unit.kind == kind and unit.active and unit.id not in excluded]
        if not members:
            result.warnings.append(f"Không có đơn vị nào đang hoạt động thuộc nhóm «{kind}»")
        if ref.qualifier:
            result.warnings.append(
                f"Nhóm «{kind}» kèm điều kiện «{ref.qualifier}»: đã giao cho cả nhóm, cần rà soát bớt đơn vị"
            )
        for unit in members:
            add(unit)
    return result
