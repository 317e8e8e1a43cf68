"""Indicator frameworks (766 index, PAR Index) as reviewed YAML data: loading, validation and the node tree."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from yaml.nodes import Node as YamlNode

from tracker.domain.textnorm import fold
from tracker.domain.yamldoc import (
    DataFileError,
    Problems,
    as_bool,
    as_decimal,
    as_int,
    as_mapping,
    as_sequence,
    as_text,
    as_text_list,
    compose,
    line_of,
)

KINDS = ("766", "par")
BAND_BASES = ("points", "percent")
FORMULA_TYPES = ("ratio",)

_FRAMEWORK_KEYS = (
    "code", "name", "kind", "source", "valid_from", "valid_to", "max_total", "band_basis", "bands", "nodes",
)
_BAND_KEYS = ("code", "name", "min")
_NODE_KEYS = (
    "code", "name", "max", "responsible", "target", "aliases", "formula", "children", "children_sum",
)
_FORMULA_KEYS = ("type", "numerator", "denominator")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


#: The frameworks shipped with the product.
FRAMEWORKS_DIR = Path(__file__).resolve().parent.parent / "data" / "frameworks"


class FrameworkError(DataFileError):
    """A framework file is malformed; the message names each line and problem, in Vietnamese."""


@dataclass(frozen=True)
class Band:
    """A classification level: values at or above `min` (and below the next better band) get it."""

    code: str
    name: str
    min: Decimal


@dataclass(frozen=True)
class Formula:
    """How a ratio indicator becomes points: rate = b / a × 100, points = rate × max / 100."""

    type: str
    numerator: str
    denominator: str


@dataclass
class Node:
    """One group, criterion or sub-criterion of a framework."""

    code: str
    name: str
    max: Decimal
    parent_code: str | None
    depth: int
    responsible: tuple[str, ...] = ()
    target: str | None = None
    formula: Formula | None = None
    aliases: tuple[str, ...] = ()
    children: list[Node] = field(default_factory=list)
    #: False when the children are alternatives or partial, so their maxima need not add up to ours.
    children_sum: bool = True
    #: Line in the YAML file, for messages about this node.
    line: int = 0


@dataclass
class Framework:
    """A versioned scoring framework: a tree of nodes with max points and classification bands."""

    code: str
    name: str
    kind: str
    max_total: Decimal
    band_basis: str
    bands: tuple[Band, ...]
    nodes: list[Node]
    valid_from: int
    valid_to: int | None = None
    source: str | None = None
    _index: dict[str, Node] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {node.code: node for node in self.walk()}

    def walk(self) -> Iterator[Node]:
        """Every node in pre-order (a parent before its children, siblings in file order)."""
        stack = list(reversed(self.nodes))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def node(self, code: str) -> Node:
        """The node with this code; KeyError (with a Vietnamese message) when there is none."""
        try:
            return self._index[code]
        except KeyError:
            raise KeyError(f"Bộ chỉ số {self.code} không có chỉ tiêu mã '{code}'") from None

    def has_node(self, code: str) -> bool:
        """True when the framework has a node with this code."""
        return code in self._index

    def covers_year(self, year: int) -> bool:
        """True when the framework applies to results of `year`."""
        return self.valid_from <= year and (self.valid_to is None or year <= self.valid_to)


def load_framework_file(path: str | Path) -> Framework:
    """Load and validate a framework YAML file."""
    file_path = Path(path)
    return load_framework(file_path.read_text(encoding="utf-8"), source=file_path.name)


def load_frameworks(directory: str | Path = FRAMEWORKS_DIR) -> dict[str, Framework]:
    """Every framework file (*.yaml) of a directory, by code; FrameworkError when two share a code."""
    frameworks: dict[str, Framework] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        framework = load_framework_file(path)
        if framework.code in frameworks:
            raise FrameworkError([f"{path.name}: mã bộ chỉ số '{framework.code}' đã có trong tệp khác"])
        frameworks[framework.code] = framework
    return frameworks


def load_framework(text: str, source: str = "bộ chỉ số") -> Framework:
    """Parse and validate framework YAML text; raises FrameworkError listing every problem with its line."""
    problems = Problems(source)
    root = compose(text, problems)
    problems.raise_if_any(FrameworkError)
    top = as_mapping(
        root, "Bộ chỉ số", problems, allowed=_FRAMEWORK_KEYS,
        required=("code", "name", "kind", "valid_from", "max_total", "band_basis", "bands", "nodes"),
    )
    problems.raise_if_any(FrameworkError)
    assert top is not None  # as_mapping only returns None after recording a problem

    kind = as_text(top.get("kind"), "kind", problems)
    if kind is not None and kind not in KINDS:
        problems.add(top["kind"], f"kind phải là một trong {', '.join(KINDS)}, nhận được '{kind}'")
    band_basis = as_text(top.get("band_basis"), "band_basis", problems)
    if band_basis is not None and band_basis not in BAND_BASES:
        problems.add(top["band_basis"], f"band_basis phải là points hoặc percent, nhận được '{band_basis}'")
    max_total = as_decimal(top.get("max_total"), "max_total", problems)
    valid_from = as_int(top.get("valid_from"), "valid_from", problems)
    valid_to = as_int(top.get("valid_to"), "valid_to", problems)
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        problems.add(top["valid_to"], f"valid_to ({valid_to}) nhỏ hơn valid_from ({valid_from})")

    bands = _read_bands(top.get("bands"), band_basis, max_total, problems)
    seen: dict[str, YamlNode] = {}
    nodes = _read_nodes(top.get("nodes"), None, 0, problems, seen)
    if max_total is not None and nodes and all(node.max is not None for node in nodes):
        total = sum((node.max for node in nodes), Decimal(0))
        if total != max_total:
            problems.add(top["nodes"], f"tổng điểm tối đa các nhóm là {total}, khác max_total {max_total}")
    _check_aliases(nodes, problems)
    problems.raise_if_any(FrameworkError)
    return Framework(
        code=as_text(top["code"], "code", problems) or "",
        name=as_text(top["name"], "name", problems) or "",
        kind=kind or "",
        max_total=max_total or Decimal(0),
        band_basis=band_basis or "",
        bands=tuple(bands),
        nodes=nodes,
        valid_from=valid_from or 0,
        valid_to=valid_to,
        source=as_text(top.get("source"), "source", problems),
    )


def match_key(text: str | None) -> str:
    """Key for matching spellings, ignoring accents, case and punctuation ("Số hoá hồ sơ" → "so hoa ho so")."""
    return _NON_ALNUM.sub(" ", fold(text)).strip()


def _read_bands(
    node: YamlNode | None, basis: str | None, max_total: Decimal | None, problems: Problems
) -> list[Band]:
    """Bands ordered best first with strictly decreasing minima."""
    if node is None:
        return []
    bands: list[Band] = []
    previous: Decimal | None = None
    for item in as_sequence(node, "bands", problems) or []:
        keys = as_mapping(item, "Mức xếp loại", problems, allowed=_BAND_KEYS, required=_BAND_KEYS)
        if keys is None:
            continue
        code = as_text(keys.get("code"), "code", problems)
        name = as_text(keys.get("name"), "name", problems)
        minimum = as_decimal(keys.get("min"), "min", problems)
        if minimum is None or code is None or name is None:
            continue
        if previous is not None and minimum >= previous:
            problems.add(item, f"mức '{name}' (min {minimum}) phải thấp hơn mức đứng trước (min {previous}): "
                               "các mức xếp theo thứ tự từ cao xuống thấp")
        ceiling = Decimal(100) if basis == "percent" else max_total
        if minimum < 0 or (ceiling is not None and minimum > ceiling):
            problems.add(item, f"mức '{name}': min {minimum} nằm ngoài thang điểm")
        if any(band.code == code for band in bands):
            problems.add(item, f"mã mức xếp loại '{code}' bị lặp")
        previous = minimum
        bands.append(Band(code=code, name=name, min=minimum))
    if not bands:
        problems.add(node, "bands phải có ít nhất một mức xếp loại")
    return bands


def _read_nodes(
    node: YamlNode | None,
    parent_code: str | None,
    depth: int,
    problems: Problems,
    seen: dict[str, YamlNode],
) -> list[Node]:
    """Read a list of nodes recursively, checking codes, maxima and children sums."""
    if node is None:
        return []
    what_list = "nodes" if parent_code is None else f"children của '{parent_code}'"
    result: list[Node] = []
    for item in as_sequence(node, what_list, problems) or []:
        keys = as_mapping(item, "Chỉ tiêu", problems, allowed=_NODE_KEYS, required=("code", "name", "max"))
        if keys is None:
            continue
        code = as_text(keys.get("code"), "code", problems)
        what = f"chỉ tiêu '{code}'" if code else "chỉ tiêu"
        if code is not None:
            if code in seen:
                problems.add(keys["code"], f"mã chỉ tiêu '{code}' bị lặp (đã dùng ở dòng {line_of(seen[code])})")
            else:
                seen[code] = keys["code"]
        maximum = as_decimal(keys.get("max"), f"{what}: max", problems)
        if maximum is not None and maximum <= 0:
            problems.add(keys["max"], f"{what}: max phải lớn hơn 0, nhận được {maximum}")
        children = _read_nodes(keys.get("children"), code, depth + 1, problems, seen)
        children_sum = as_bool(keys.get("children_sum"), f"{what}: children_sum", problems, default=True)
        if children and children_sum and maximum is not None and all(child.max is not None for child in children):
            total = sum((child.max for child in children), Decimal(0))
            if total != maximum:
                problems.add(item, f"{what}: tổng điểm tối đa các chỉ tiêu con là {total}, khác max {maximum} "
                                   "(đặt children_sum: false nếu các chỉ tiêu con là phương án thay thế)")
        result.append(Node(
            code=code or "",
            name=as_text(keys.get("name"), f"{what}: name", problems) or "",
            max=maximum,  # type: ignore[arg-type]  # None only when a problem was recorded
            parent_code=parent_code,
            depth=depth,
            responsible=as_text_list(keys.get("responsible"), f"{what}: responsible", problems),
            target=as_text(keys.get("target"), f"{what}: target", problems),
            formula=_read_formula(keys.get("formula"), what, problems),
            aliases=as_text_list(keys.get("aliases"), f"{what}: aliases", problems),
            children=children,
            children_sum=children_sum,
            line=line_of(item),
        ))
    return result


def _read_formula(node: YamlNode | None, what: str, problems: Problems) -> Formula | None:
    """An optional ratio formula: what b (numerator) and a (denominator) count."""
    if node is None:
        return None
    keys = as_mapping(node, f"{what}: formula", problems, allowed=_FORMULA_KEYS, required=_FORMULA_KEYS)
    if keys is None:
        return None
    formula_type = as_text(keys.get("type"), f"{what}: formula.type", problems)
    if formula_type is not None and formula_type not in FORMULA_TYPES:
        problems.add(keys["type"], f"{what}: loại công thức '{formula_type}' chưa được hỗ trợ (chỉ có ratio)")
    return Formula(
        type=formula_type or "",
        numerator=as_text(keys.get("numerator"), f"{what}: formula.numerator", problems) or "",
        denominator=as_text(keys.get("denominator"), f"{what}: formula.denominator", problems) or "",
    )


def _check_aliases(nodes: list[Node], problems: Problems) -> None:
    """Two nodes must not share a spelling, or column detection could not tell them apart."""
    owners: dict[str, Node] = {}
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.children))
        for spelling in {match_key(node.name), match_key(node.code), *(match_key(alias) for alias in node.aliases)}:
            other = owners.setdefault(spelling, node)
            if other is not node:
                problems.items.append(
                    f"{problems.source}, dòng {node.line}: tên/bí danh '{spelling}' của chỉ tiêu '{node.code}' "
                    f"trùng với chỉ tiêu '{other.code}' (dòng {other.line})"
                )
