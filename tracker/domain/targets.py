"""Per-level targets of a plan activity: "Cấp tỉnh: 100% / Cấp huyện: 60% / Cấp xã: 30%"."""
import re
import unicodedata

from ._folding import fold_aligned
from .textnorm import clean

LEVEL_KEYS = {"tinh": "province", "huyen": "district", "xa": "commune"}
_MARKER = re.compile(r"\bcap\s+(tinh|huyen|xa)\b\s*(?P<colon>[:=–-]\s*)?(?:dat\s+)?")
_SEPARATORS = " \t\r\n/;,.-+•–"
_BULLETS = re.compile(r"^[\s\-+•*–]*$")


def parse_targets(text: str | None) -> dict[str, str]:
    """Split a per-level target into {"province": "100%", "district": "60%", "commune": "30%"}; {} otherwise."""
    source = unicodedata.normalize("NFC", text or "")
    folded = fold_aligned(source)
    markers = list(_MARKER.finditer(folded))
    # "100% Bộ phận Một cửa cấp tỉnh, huyện" mentions a level but is one target, not one per level
    if not markers or not _BULLETS.match(source[: markers[0].start()]):
        return {}
    targets: dict[str, str] = {}
    for marker, following in zip(markers, [*markers[1:], None], strict=True):
        end = following.start() if following else len(source)
        value = clean(source[marker.end() : end].strip(_SEPARATORS))
        if not value or (not marker.group("colon") and not value[0].isdigit()):
            return {}
        key = LEVEL_KEYS[marker.group(1)]
        if key in targets:
            return {}
        targets[key] = value
    return targets
