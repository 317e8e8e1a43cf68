"""Frameworks in the database: loading reviewed YAML files (all or nothing), listing, and the node tree.

A framework file is validated by tracker.domain.frameworks first; a malformed file changes nothing and its
problems (each with its line) reach the caller as FrameworkError. Loading a file whose code already exists
updates that framework in place, node by node (matched by code), unless the change would orphan or invalidate
stored scores; a new year's version is a new code.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, or_, select

from models import TOTAL_CODE, Framework, FrameworkNode, Score, db
from tracker.domain import frameworks as domain
from tracker.domain.frameworks import FRAMEWORKS_DIR, FrameworkError
from tracker.permissions import can
from tracker.services import audit

__all__ = [
    "FRAMEWORKS_DIR", "FrameworkError", "FrameworkLoadError", "FrameworkSummary", "LoadOutcome", "all_frameworks",
    "by_code", "covering_year", "domain_framework", "effective_responsible", "framework_summaries",
    "load_framework_file", "load_framework_text", "load_shipped_frameworks", "tree_nodes", "top_nodes",
]


class FrameworkLoadError(ValueError):
    """A valid file that cannot be loaded over the stored framework (Vietnamese message)."""


@dataclass(frozen=True)
class LoadOutcome:
    """What loading a file did: created, updated or unchanged, with counts."""

    framework: Framework
    action: str
    nodes: int

    def line(self) -> str:
        """One line for the CLI and flash messages."""
        verbs = {"created": "đã nạp mới", "updated": "đã cập nhật", "unchanged": "không thay đổi"}
        return f"Bộ chỉ số {self.framework.code} ({self.framework.name}): {verbs[self.action]}, {self.nodes} chỉ tiêu"


def _check_actor(user) -> None:
    # the CLI and the seed pass no user; a web user needs the capability
    if user is not None and not can(user, "manage_frameworks"):
        raise FrameworkLoadError("Chỉ quản trị hệ thống được nạp bộ chỉ số")


def load_framework_file(path: str | Path, user=None) -> LoadOutcome:
    """Load a framework YAML file from disk (see load_framework_text)."""
    file_path = Path(path)
    return load_framework_text(file_path.read_text(encoding="utf-8"), file_path.name, user)


def load_shipped_frameworks(user=None) -> list[LoadOutcome]:
    """Load every framework file shipped in tracker/data/frameworks."""
    return [load_framework_file(path, user) for path in sorted(FRAMEWORKS_DIR.glob("*.yaml"))]


def load_framework_text(text: str, filename: str, user=None) -> LoadOutcome:
    """Validate framework YAML and store it; FrameworkError (lines) or FrameworkLoadError; flushes, never commits."""
    _check_actor(user)
    parsed = domain.load_framework(text, source=filename)
    clash = next((node for node in parsed.walk() if node.code == TOTAL_CODE), None)
    if clash is not None:
        raise FrameworkError([f"{filename}, dòng {clash.line}: mã '{TOTAL_CODE}' dành cho tổng điểm, "
                              "hãy dùng mã khác"])
    framework = db.session.scalar(select(Framework).where(Framework.code == parsed.code))
    if framework is not None and framework.source_text == text:
        return LoadOutcome(framework, "unchanged", _count(parsed))
    values = {
        "name": parsed.name, "kind": parsed.kind, "valid_from": parsed.valid_from, "valid_to": parsed.valid_to,
        "max_total": parsed.max_total, "band_basis": parsed.band_basis,
        "bands": [{"code": b.code, "name": b.name, "min": str(b.min)} for b in parsed.bands],
        "source": parsed.source or "", "source_filename": filename, "source_text": text,
        "loaded_by_id": getattr(user, "id", None),
    }
    if framework is None:
        framework = Framework(code=parsed.code, **values)
        db.session.add(framework)
        db.session.flush()
        _sync_nodes(framework, parsed, existing={})
        audit.record(user, "create", framework, "audit.framework.create",
                     {"framework": framework.code, "file": filename})
        db.session.flush()
        return LoadOutcome(framework, "created", _count(parsed))
    existing = {node.code: node for node in db.session.scalars(
        select(FrameworkNode).where(FrameworkNode.framework_id == framework.id))}
    _check_scores_survive(framework, parsed, existing)
    audit.apply(user, framework, {k: v for k, v in values.items() if k not in ("source_text", "bands")},
                "audit.framework.update", {"framework": framework.code, "file": filename})
    framework.source_text, framework.bands = text, values["bands"]
    _sync_nodes(framework, parsed, existing)
    db.session.flush()
    return LoadOutcome(framework, "updated", _count(parsed))


def _check_scores_survive(framework: Framework, parsed: domain.Framework, existing: dict[str, FrameworkNode]) -> None:
    """Refuse an update that would drop a node with scores or lower a max below a stored score."""
    rows = db.session.execute(
        select(FrameworkNode.code, func.count(Score.id), func.max(Score.points))
        .join(Score, Score.node_id == FrameworkNode.id)
        .where(FrameworkNode.framework_id == framework.id, FrameworkNode.is_total.is_(False))
        .group_by(FrameworkNode.code)
    ).all()
    problems = []
    for code, count, highest in rows:
        if not parsed.has_node(code):
            problems.append(f"chỉ tiêu '{code}' đã có {count} điểm số nhưng không còn trong tệp mới")
        elif highest is not None and Decimal(highest) > parsed.node(code).max:
            problems.append(f"chỉ tiêu '{code}': điểm tối đa mới {parsed.node(code).max} nhỏ hơn điểm đã lưu "
                            f"{Decimal(highest)}")
    if problems:
        raise FrameworkLoadError(f"Không thể cập nhật bộ chỉ số {framework.code}: " + "; ".join(problems)
                                 + ". Hãy nạp thành phiên bản mới với mã khác.")


def _sync_nodes(framework: Framework, parsed: domain.Framework, existing: dict[str, FrameworkNode]) -> None:
    """Create, update or delete node rows so they mirror the parsed tree (matched by code)."""
    by_code: dict[str, FrameworkNode] = {}
    total = existing.pop(TOTAL_CODE, None) or FrameworkNode(framework_id=framework.id, code=TOTAL_CODE)
    total.name, total.depth, total.position, total.max_points, total.is_total = (
        "Tổng điểm", -1, -1, parsed.max_total, True)
    db.session.add(total)
    for position, node in enumerate(parsed.walk()):
        row = existing.pop(node.code, None) or FrameworkNode(framework_id=framework.id, code=node.code)
        row.name, row.depth, row.position, row.max_points = node.name, node.depth, position, node.max
        row.parent_id = None  # set below, once the parent row has an id
        row.responsible, row.target, row.aliases = list(node.responsible), node.target, list(node.aliases)
        row.formula = ({"type": node.formula.type, "numerator": node.formula.numerator,
                        "denominator": node.formula.denominator} if node.formula else None)
        row.children_sum, row.is_total, row.line = node.children_sum, False, node.line
        db.session.add(row)
        by_code[node.code] = row
    for row in existing.values():  # nodes gone from the file (their scores were checked above)
        db.session.delete(row)
    db.session.flush()
    for node in parsed.walk():
        by_code[node.code].parent_id = by_code[node.parent_code].id if node.parent_code else None


# ------------------------------------------------------------------------------------------------- reading


def by_code(code: str) -> Framework | None:
    """The stored framework with this code."""
    return db.session.scalar(select(Framework).where(Framework.code == code))


def all_frameworks() -> list[Framework]:
    """Every stored framework, by code: what was loaded, from the seed folder or the admin page."""
    return list(db.session.scalars(select(Framework).order_by(Framework.code)))


def covering_year(kind: str, year: int) -> Framework | None:
    """The stored framework of this kind that applies to results of `year` (the newest version if several do)."""
    return db.session.scalar(
        select(Framework).where(Framework.kind == kind, Framework.valid_from <= year,
                                or_(Framework.valid_to.is_(None), Framework.valid_to >= year))
        .order_by(Framework.valid_from.desc(), Framework.code).limit(1))


_DOMAIN_CACHE: dict[tuple[str, str], domain.Framework] = {}


def domain_framework(framework: Framework) -> domain.Framework:
    """The pure framework object of a stored framework (re-read from its kept text; cached by content)."""
    key = (framework.code, hashlib.sha256(framework.source_text.encode()).hexdigest())
    cached = _DOMAIN_CACHE.get(key)
    if cached is None:
        cached = domain.load_framework(framework.source_text, source=framework.source_filename or framework.code)
        _DOMAIN_CACHE[key] = cached
    return cached


def bands_of(framework: Framework) -> tuple[domain.Band, ...]:
    """The framework's bands as pure Band objects, best first."""
    return tuple(domain.Band(code=b["code"], name=b["name"], min=Decimal(str(b["min"]))) for b in framework.bands)


def tree_nodes(framework_id: int) -> list[FrameworkNode]:
    """The framework's nodes in file order (parents before children), without the total node."""
    return list(db.session.scalars(
        select(FrameworkNode).where(FrameworkNode.framework_id == framework_id, FrameworkNode.is_total.is_(False))
        .order_by(FrameworkNode.position)))


def top_nodes(framework_id: int) -> list[FrameworkNode]:
    """The framework's groups (its top-level nodes) in file order."""
    return list(db.session.scalars(
        select(FrameworkNode).where(FrameworkNode.framework_id == framework_id, FrameworkNode.depth == 0,
                                    FrameworkNode.is_total.is_(False))
        .order_by(FrameworkNode.position)))


def total_node(framework_id: int) -> FrameworkNode:
    """The framework's total node (created by the loader)."""
    return db.session.scalars(select(FrameworkNode).where(
        FrameworkNode.framework_id == framework_id, FrameworkNode.is_total.is_(True))).one()


def effective_responsible(nodes: list[FrameworkNode]) -> dict[int, list[str]]:
    """Responsible unit names per node id: the node's own, else its nearest ancestor's (criteria inherit)."""
    by_id = {node.id: node for node in nodes}
    result: dict[int, list[str]] = {}
    for node in nodes:  # pre-order: a parent is resolved before its children
        own = list(node.responsible or [])
        result[node.id] = own or (result.get(node.parent_id, []) if node.parent_id in by_id else [])
    return result


@dataclass(frozen=True)
class FrameworkSummary:
    """A framework with its size and the periods that have scores."""

    framework: Framework
    nodes: int
    scores: int
    periods: list[str]


def framework_summaries() -> list[FrameworkSummary]:
    """Every framework (by kind, then code) with counts; three queries whatever the number of frameworks."""
    from models import Period

    frameworks = list(db.session.scalars(select(Framework).order_by(Framework.kind, Framework.code)))
    nodes = dict(db.session.execute(
        select(FrameworkNode.framework_id, func.count(FrameworkNode.id))
        .where(FrameworkNode.is_total.is_(False)).group_by(FrameworkNode.framework_id)).all())
    periods: dict[int, list[tuple]] = {}
    counts: dict[int, int] = {}
    for framework_id, label, start, count in db.session.execute(
            select(Score.framework_id, Period.label, Period.start, func.count(Score.id))
            .join(Period, Period.id == Score.period_id)
            .group_by(Score.framework_id, Period.label, Period.start)).all():
        periods.setdefault(framework_id, []).append((start, label))
        counts[framework_id] = counts.get(framework_id, 0) + count
    return [FrameworkSummary(f, nodes.get(f.id, 0), counts.get(f.id, 0),
                             [label for _start, label in sorted(periods.get(f.id, []))]) for f in frameworks]


def _count(parsed: domain.Framework) -> int:
    return sum(1 for _node in parsed.walk())
