"""Scoring rules for indicator frameworks: bands, competition ranks, ratio points, counts and comparisons.

All arithmetic is in Decimal. Floats are converted through their shortest text (18.99 → Decimal("18.99")),
never through their binary value. Ranks and bands are computed on the values as given (unrounded); rounding is
for display only (`round_score`).
"""
from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple, TypeVar

from tracker.domain.frameworks import Band, Framework

Number = Decimal | float | int | str
K = TypeVar("K", bound=Hashable)

HUNDRED = Decimal(100)
DEFAULT_TOLERANCE = Decimal("0.05")
_RANK_TEXT = re.compile(r"(\d+)\s*(?:/\s*(\d+))?")
_RANK_CHANGE_TEXT = re.compile(r"(tăng|giảm)\s*(\d+)\s*bậc|giữ\s*nguyên", re.IGNORECASE)


def to_decimal(value: Number) -> Decimal:
    """Convert a score to Decimal: floats via their shortest repr, text with a decimal comma or point."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("Giá trị logic không phải là điểm số")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"'{value}' không phải là số") from None


def round_score(value: Number, places: int = 2) -> Decimal:
    """Round half up for display (85.605 → 85.61); never use the result for ranking or banding."""
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent_of_max(points: Number, max_points: Number) -> Decimal:
    """Points as a percentage of the maximum, unrounded (8.62 of 9.50 → 90.736…)."""
    maximum = to_decimal(max_points)
    if maximum <= 0:
        raise ValueError(f"Điểm tối đa phải lớn hơn 0, nhận được {maximum}")
    return to_decimal(points) * HUNDRED / maximum


def yoy_change_percent(points_now: Number, max_now: Number, points_before: Number, max_before: Number) -> Decimal:
    """Change in percentage points between two years whose maxima may differ (compare % of max, not points)."""
    return percent_of_max(points_now, max_now) - percent_of_max(points_before, max_before)


def band_for(
    value: Number | None,
    framework_or_bands: Framework | Sequence[Band],
    basis_max: Number | None = None,
) -> Band | None:
    """The band a value falls in (minimum inclusive), or None when the value is missing or below every band.

    With a framework on a percent basis the value is divided by `basis_max` (default: the framework's
    max_total); with bands alone, `basis_max` given means "convert to percent first".
    """
    if value is None:
        return None
    if isinstance(framework_or_bands, Framework):
        bands: Sequence[Band] = framework_or_bands.bands
        if framework_or_bands.band_basis == "percent":
            basis_max = framework_or_bands.max_total if basis_max is None else basis_max
        else:
            basis_max = None
    else:
        bands = framework_or_bands
    amount = to_decimal(value) if basis_max is None else percent_of_max(value, basis_max)
    for band in sorted(bands, key=lambda band: band.min, reverse=True):
        if amount >= band.min:
            return band
    return None


def rank(values: Mapping[K, Number | None]) -> dict[K, int]:
    """Competition ranking, higher is better: equal values share a rank and the next rank skips (6, 6, 8).

    Keys whose value is None are left out of the result.
    """
    present = {key: to_decimal(value) for key, value in values.items() if value is not None}
    ordered = sorted(present.values(), reverse=True)
    first_position: dict[Decimal, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_position.setdefault(value, position)
    return {key: first_position[value] for key, value in present.items()}


class RankDisagreement(NamedTuple):
    """A published rank that recomputation from the values does not reproduce."""

    key: Hashable
    published: int
    computed: int
    #: True when the published rank lies inside the block of units tied on the given (rounded) values,
    #: as happens when the publisher ranked on unrounded values: 91.8 and 91.8 published as 3 and 4.
    explained_by_rounding: bool


def rank_disagreements(values: Mapping[K, Number | None], published: Mapping[K, int | None]) -> list[RankDisagreement]:
    """Compare published ranks with ranks recomputed from the values; list every disagreement."""
    computed = rank(values)
    tie_sizes: dict[int, int] = {}
    for position in computed.values():
        tie_sizes[position] = tie_sizes.get(position, 0) + 1
    disagreements = []
    for key, published_rank in published.items():
        if published_rank is None or key not in computed or computed[key] == published_rank:
            continue
        block_start = computed[key]
        block_end = block_start + tie_sizes[block_start] - 1
        disagreements.append(RankDisagreement(
            key=key, published=published_rank, computed=block_start,
            explained_by_rounding=block_start <= published_rank <= block_end,
        ))
    return disagreements


def parse_rank(text: str | int | None) -> tuple[int, int | None] | None:
    """Read a published rank: "10/63" → (10, 63), "Xếp thứ 40/63" → (40, 63), "6" → (6, None)."""
    if text is None:
        return None
    match = _RANK_TEXT.search(str(text))
    if not match:
        return None
    out_of = int(match.group(2)) if match.group(2) else None
    return int(match.group(1)), out_of


def rank_change(prev_rank: int | None, new_rank: int | None) -> tuple[int | None, str]:
    """Movement between two ranks: positive delta is an improvement ("Tăng 4 bậc", "Giảm 2 bậc", "Giữ nguyên")."""
    if prev_rank is None or new_rank is None:
        return None, "Chưa có xếp hạng để so sánh"
    delta = prev_rank - new_rank
    if delta > 0:
        return delta, f"Tăng {delta} bậc"
    if delta < 0:
        return delta, f"Giảm {-delta} bậc"
    return 0, "Giữ nguyên"


def parse_rank_change(text: str | None) -> int | None:
    """Read a published movement: "Tăng 4 bậc" → 4, "giảm 07 bậc" → -7, "Giữ nguyên" → 0; None if unreadable."""
    if not text:
        return None
    match = _RANK_CHANGE_TEXT.search(text)
    if not match:
        return None
    if match.group(1) is None:
        return 0
    steps = int(match.group(2))
    return steps if match.group(1).lower() == "tăng" else -steps


class RatioPoints(NamedTuple):
    """Result of a ratio indicator; rate and points are None when they cannot be computed, with the reason."""

    rate_percent: Decimal | None
    points: Decimal | None
    reason: str | None = None


def ratio_points(numerator: Number, denominator: Number, max_points: Number) -> RatioPoints:
    """Rate = b / a × 100 and points = rate × max / 100 (75% of 22 → 16.5); unrounded."""
    part, whole, maximum = to_decimal(numerator), to_decimal(denominator), to_decimal(max_points)
    if part < 0 or whole < 0:
        return RatioPoints(None, None, f"Số liệu âm không hợp lệ (b = {part}, a = {whole})")
    if whole == 0:
        return RatioPoints(None, None, "Không phát sinh (mẫu số a = 0), không tính được tỷ lệ")
    if part > whole:
        return RatioPoints(None, None, f"Tử số b = {part} lớn hơn mẫu số a = {whole}")
    rate = part * HUNDRED / whole
    return RatioPoints(rate, rate * maximum / HUNDRED)


@dataclass(frozen=True)
class BandCount:
    """How many of `total` units fall in `band`."""

    band: Band
    count: int
    total: int


def band_counts(bands_by_key: Mapping[Hashable, Band | None], bands: Sequence[Band] | None = None) -> list[BandCount]:
    """Count units per band, best band first; with `bands` given, bands nobody reached are listed with 0.

    `total` is the number of keys (units without a band count in the total, as in "02/17").
    """
    total = len(bands_by_key)
    ordered: list[Band] = list(bands) if bands is not None else []
    for band in bands_by_key.values():
        if band is not None and band not in ordered:
            ordered.append(band)
    ordered.sort(key=lambda band: band.min, reverse=True)
    counts = {band: 0 for band in ordered}
    for band in bands_by_key.values():
        if band is not None:
            counts[band] += 1
    return [BandCount(band, counts[band], total) for band in ordered]


def count_phrase(count: int, total: int, band_name: str, noun: str = "cơ quan") -> str:
    """The sentence of the notices: "Có 02/17 cơ quan xếp loại Tốt", or "Không có cơ quan xếp loại Yếu"."""
    if count == 0:
        return f"Không có {noun} xếp loại {band_name}"
    return f"Có {count:02d}/{total:02d} {noun} xếp loại {band_name}"


class TotalCheck(NamedTuple):
    """Whether a published total agrees with the sum of its parts within the tolerance."""

    ok: bool
    computed: Decimal
    difference: Decimal


def check_total(parts: Iterable[Number | None], total: Number, tolerance: Decimal = DEFAULT_TOLERANCE) -> TotalCheck:
    """Sum the parts (missing ones count as 0) and compare with the total: |total − sum| ≤ tolerance."""
    computed = sum((to_decimal(part) for part in parts if part is not None), Decimal(0))
    difference = to_decimal(total) - computed
    return TotalCheck(abs(difference) <= tolerance, computed, difference)
