"""Read reviewed YAML data files while keeping line numbers, so every validation message names its line."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_NULL_TAG = "tag:yaml.org,2002:null"
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


class DataFileError(ValueError):
    """A data file is malformed; `problems` lists every finding, each naming its line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class Problems:
    """Collects the findings of one validation pass so a reviewer sees them all at once."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, node: Node | None, message: str) -> None:
        """Record a problem at the line of `node` (or without a line when there is no node)."""
        if node is None:
            self.items.append(f"{self.source}: {message}")
        else:
            self.items.append(f"{self.source}, dòng {line_of(node)}: {message}")

    def raise_if_any(self, error_class: type[DataFileError]) -> None:
        """Raise `error_class` with every recorded problem, if there is one."""
        if self.items:
            raise error_class(self.items)


def line_of(node: Node) -> int:
    """1-based line where a YAML node starts."""
    return node.start_mark.line + 1


def compose(text: str, problems: Problems) -> Node | None:
    """Parse YAML text into a node tree (no Python objects yet); syntax errors become problems."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", dòng {mark.line + 1}" if mark else ""
        problems.items.append(f"{problems.source}{where}: YAML không hợp lệ ({exc.problem or exc.context})")
        return None
    except yaml.YAMLError as exc:
        problems.items.append(f"{problems.source}: YAML không hợp lệ ({exc})")
        return None
    if root is None:
        problems.items.append(f"{problems.source}: tệp rỗng")
    return root


def is_null(node: Node | None) -> bool:
    """True for an absent value or an explicit YAML null (`~`, `null`, empty)."""
    return node is None or (isinstance(node, ScalarNode) and node.tag == _NULL_TAG)


def as_mapping(
    node: Node,
    what: str,
    problems: Problems,
    *,
    allowed: Iterable[str],
    required: Iterable[str] = (),
) -> dict[str, Node] | None:
    """Keys of a mapping node; reports unknown, duplicate and missing keys."""
    if not isinstance(node, MappingNode):
        problems.add(node, f"{what} phải là một bảng khóa: giá trị")
        return None
    allowed_set = set(allowed)
    result: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key is None:
            problems.add(key_node, f"{what}: khóa không hợp lệ")
            continue
        if key in result:
            problems.add(key_node, f"{what}: khóa '{key}' bị lặp")
            continue
        if key not in allowed_set:
            known = ", ".join(sorted(allowed_set))
            problems.add(key_node, f"{what}: khóa không được hỗ trợ '{key}' (các khóa hợp lệ: {known})")
            continue
        result[key] = value_node
    for key in required:
        if is_null(result.get(key)):
            problems.add(node, f"{what}: thiếu '{key}'")
    return result


def as_sequence(node: Node, what: str, problems: Problems) -> list[Node] | None:
    """Items of a sequence node."""
    if not isinstance(node, SequenceNode):
        problems.add(node, f"{what} phải là một danh sách")
        return None
    return list(node.value)


def as_text(node: Node | None, what: str, problems: Problems) -> str | None:
    """A scalar as stripped text; None for null."""
    if is_null(node):
        return None
    if not isinstance(node, ScalarNode):
        problems.add(node, f"{what} phải là một giá trị đơn")
        return None
    return str(node.value).strip()


def as_text_list(node: Node | None, what: str, problems: Problems) -> tuple[str, ...]:
    """A scalar or a list of scalars as a tuple of texts (for aliases, responsible units)."""
    if is_null(node):
        return ()
    if isinstance(node, ScalarNode):
        text = as_text(node, what, problems)
        return (text,) if text else ()
    items = as_sequence(node, what, problems) or []
    texts = [as_text(item, what, problems) for item in items]
    return tuple(text for text in texts if text)


def as_decimal(node: Node | None, what: str, problems: Problems) -> Decimal | None:
    """A number read from its literal text, so 9.50 stays exactly 9.50 (no float rounding)."""
    text = as_text(node, what, problems)
    if text is None:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        problems.add(node, f"{what} phải là số, nhận được '{text}'")
        return None
    if not value.is_finite():
        problems.add(node, f"{what} phải là số hữu hạn, nhận được '{text}'")
        return None
    return value


def as_int(node: Node | None, what: str, problems: Problems) -> int | None:
    """An integer scalar (years, ranks)."""
    text = as_text(node, what, problems)
    if text is None:
        return None
    if not text.lstrip("-").isdigit():
        problems.add(node, f"{what} phải là số nguyên, nhận được '{text}'")
        return None
    return int(text)


def as_bool(node: Node | None, what: str, problems: Problems, default: bool) -> bool:
    """A YAML boolean scalar."""
    text = as_text(node, what, problems)
    if text is None:
        return default
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    problems.add(node, f"{what} phải là true hoặc false, nhận được '{text}'")
    return default
