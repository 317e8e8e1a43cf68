"""Units found by the names tables and frameworks write them, under the one rule of tracker.domain.unit_names."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from models import Unit, UnitKind, db
from tracker.domain.unit_names import UnitNames
from tracker.permissions import descendant_ids, unit_parent_pairs


@dataclass(frozen=True)
class UnitRef:
    """A unit as plain values."""

    id: int
    code: str
    name: str
    kind_code: str


class UnitMatcher:
    """Find units by name, code or alias, ignoring accents, case, punctuation and a leading "UBND".

    A spelling shared by two units in view (tỉnh X's and tỉnh Y's "Sở Tư pháp") matches neither, so a
    table is never filed under the wrong province: narrow the view to a province with `root_ids`.
    """

    def __init__(self, rows: Iterable[tuple[int, str, str, list | None, str]]):
        self.refs: list[UnitRef] = []
        self._aliases: dict[int, tuple[str, ...]] = {}
        self.names: UnitNames[UnitRef] = UnitNames()
        for unit_id, code, name, aliases, kind_code in rows:
            ref = UnitRef(unit_id, code, name, kind_code)
            self.refs.append(ref)
            self._aliases[unit_id] = tuple(aliases or ())
            self.names.add(ref, name, (code, *self._aliases[unit_id]))

    @classmethod
    def from_db(cls, root_ids: Iterable[int] | None = None) -> UnitMatcher:
        """Every unit, or the units at or below `root_ids` (two queries at most)."""
        query = (select(Unit.id, Unit.code, Unit.name, Unit.aliases, UnitKind.code)
                 .join(UnitKind, Unit.kind_id == UnitKind.id)
                 .order_by(UnitKind.sort_order, Unit.sort_order, Unit.id))
        if root_ids is not None:
            pairs = unit_parent_pairs()
            scope: set[int] = set()
            for root_id in root_ids:
                scope |= descendant_ids(root_id, pairs)
            query = query.where(Unit.id.in_(scope))
        return cls(db.session.execute(query).all())

    def find(self, text: str) -> UnitRef | None:
        """The unit with this name, code or alias, or None (also when the spelling is shared by two units)."""
        return self.names.find(text)

    def shared(self, text: str) -> list[UnitRef]:
        """The units sharing this spelling when it is ambiguous, else []."""
        return self.names.shared(text)

    def known_units(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(code, name, spellings) for tracker.domain.score_tables.parse_rows, which matches by the same rule."""
        return [(ref.code, ref.name, (ref.code, *self._aliases[ref.id])) for ref in self.refs]


def root_ids_of(unit_ids: Iterable[int]) -> set[int]:
    """The top-level ancestors (provinces) of the given units."""
    parents = dict(unit_parent_pairs())
    roots = set()
    for unit_id in unit_ids:
        seen = set()
        while parents.get(unit_id) is not None and unit_id not in seen:
            seen.add(unit_id)
            unit_id = parents[unit_id]
        roots.add(unit_id)
    return roots
