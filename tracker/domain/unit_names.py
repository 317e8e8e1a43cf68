"""Unit names: the one key a written unit name is matched by, and the one matcher every import uses.

Plan import (lead and coordinating cells), score tables and framework responsibilities all find units through
`UnitNames`, so a spelling finds the same unit (or none) wherever it is written.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from tracker.domain.frameworks import match_key

_PEOPLES_COMMITTEE = re.compile(r"\buy ban nhan dan\b")
_CITY = re.compile(r"\btp\b")
# a letter may address a unit through its head: "Giám đốc Sở X", "Chánh Văn phòng UBND tỉnh"
_HEAD_TITLE = re.compile(
    r"^(?:giam doc|chanh|chu tich|thu truong|truong) (?=(?:so|van phong|ubnd|ban|cuc|huyen|thanh pho)\b)")
_LEADING_COMMITTEE = re.compile(r"^ubnd (?=\S)")
_TRAILING_PROVINCE = re.compile(r"(?<=\S) tinh$")


def unit_key(text: str | None) -> str:
    """Matching key of a unit name: no accents, case or punctuation, "&" read as "và", "TP" as "thành phố",
    without a head's title, a leading "UBND" or a trailing "tỉnh" ("UBND huyện X" ~ "Huyện X")."""
    key = match_key((text or "").replace("&", " và "))
    key = _PEOPLES_COMMITTEE.sub("ubnd", key)
    key = _CITY.sub("thanh pho", key)
    key = _HEAD_TITLE.sub("", key)
    key = _LEADING_COMMITTEE.sub("", key)
    return _TRAILING_PROVINCE.sub("", key)


Item = TypeVar("Item", bound=Hashable)


class UnitNames(Generic[Item]):
    """Units by every spelling (name, aliases, code) under `unit_key`.

    A spelling borne by one unit finds it. A spelling shared by several finds none (tỉnh X's and tỉnh Y's
    "Sở Tư pháp": a row is never filed under the wrong province), unless all but one of them have ended:
    the unit that still exists is meant.
    """

    def __init__(self) -> None:
        self._by_key: dict[str, list[Item]] = {}
        self._active: dict[Item, bool] = {}
        self._names: dict[Item, str] = {}

    @classmethod
    def of(cls, entries: Iterable[tuple[Item, str, Iterable[str], bool]]) -> UnitNames[Item]:
        """A matcher over (item, display name, other spellings, active) entries."""
        names: UnitNames[Item] = cls()
        for item, name, spellings, active in entries:
            names.add(item, name, spellings, active=active)
        return names

    def add(self, item: Item, name: str, spellings: Iterable[str] = (), *, active: bool = True) -> None:
        """Index a unit under its name and other spellings."""
        self._active[item] = active
        self._names.setdefault(item, name)
        for spelling in (name, *spellings):
            bearers = self._by_key.setdefault(unit_key(spelling), [])
            if item not in bearers:
                bearers.append(item)

    def candidates(self, text: str) -> list[Item]:
        """Every unit bearing this spelling, in the order they were added."""
        return list(self._by_key.get(unit_key(text), ()))

    def find(self, text: str) -> Item | None:
        """The one unit meant by this spelling, or None (unknown, or shared by several units)."""
        found = self.candidates(text)
        if len(found) == 1:
            return found[0]
        active = [item for item in found if self._active[item]]
        return active[0] if len(active) == 1 else None

    def shared(self, text: str) -> list[Item]:
        """The units sharing this spelling when it is ambiguous (find gives None), else []."""
        found = self.candidates(text)
        return found if len(found) > 1 and self.find(text) is None else []

    def name_of(self, item: Item) -> str:
        """The display name an item was added with."""
        return self._names[item]

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Up to `limit` display names of the units whose spellings are closest to `text`."""
        suggestions: list[str] = []
        for key in difflib.get_close_matches(unit_key(text), list(self._by_key), n=2 * limit, cutoff=0.5):
            for item in self._by_key[key]:
                name = self._names[item]
                if name not in suggestions:
                    suggestions.append(name)
        return suggestions[:limit]
