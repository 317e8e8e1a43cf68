"""The Times-compatible font of printed reports: Liberation Serif 2 (or Tinos), found on this machine.

Both have Times New Roman's metrics and every Vietnamese glyph, under the OFL. Debian's fonts-liberation2
package installs Liberation Serif (the Makefile's system-deps target installs it). The same font files give the
same line breaks, so the same input gives the same PDF on any machine that has them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: (weight, style) → the file name of each face, for the two font families we accept, best first
FAMILIES: dict[str, dict[tuple[str, str], str]] = {
    "Liberation Serif": {
        ("normal", "normal"): "LiberationSerif-Regular.ttf",
        ("bold", "normal"): "LiberationSerif-Bold.ttf",
        ("normal", "italic"): "LiberationSerif-Italic.ttf",
        ("bold", "italic"): "LiberationSerif-BoldItalic.ttf",
    },
    "Tinos": {
        ("normal", "normal"): "Tinos-Regular.ttf",
        ("bold", "normal"): "Tinos-Bold.ttf",
        ("normal", "italic"): "Tinos-Italic.ttf",
        ("bold", "italic"): "Tinos-BoldItalic.ttf",
    },
}
#: where Debian puts them; fc-match is asked first, these are the fallback
KNOWN_DIRS = ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation",
              "/usr/share/fonts/truetype/croscore", "/usr/share/fonts/truetype/tinos")
#: the family name the report CSS and charts use; our @font-face rules bind it to the files found below, and
#: it is also the family's own name, so the PDF shows the real font name
CSS_FAMILY = "Liberation Serif"
MISSING_FONT_MESSAGE = ("Không tìm thấy phông chữ Liberation Serif (hoặc Tinos) để in báo cáo; hãy cài gói "
                        "fonts-liberation2 (lệnh `make system-deps`) hoặc đặt biến REPORT_FONT_DIR.")


class FontMissingError(RuntimeError):
    """No Times-compatible font file was found (Vietnamese message)."""


@dataclass(frozen=True)
class FontFaces:
    """The four faces of one family, as absolute paths."""

    family: str
    faces: dict[tuple[str, str], Path]

    def paths(self) -> set[Path]:
        """Every font file, for the URL fetcher's allow-list."""
        return set(self.faces.values())


def _fc_match_dir(family: str) -> Path | None:
    """The directory fontconfig finds the family's regular face in, if fontconfig knows it."""
    if not shutil.which("fc-match"):
        return None
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", f"{family}:style=Regular"], capture_output=True,
                               text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    regular = FAMILIES[family][("normal", "normal")]
    return Path(found).parent if found and Path(found).name == regular else None


def _complete(directory: Path, family: str) -> FontFaces | None:
    faces = {key: directory / name for key, name in FAMILIES[family].items()}
    if all(path.is_file() for path in faces.values()):
        return FontFaces(family, {key: path.resolve() for key, path in faces.items()})
    return None


@lru_cache(maxsize=1)
def find_fonts() -> FontFaces:
    """The four faces of Liberation Serif (else Tinos): REPORT_FONT_DIR, then fontconfig, then known paths."""
    override = os.environ.get("REPORT_FONT_DIR")
    for family in FAMILIES:
        candidates = [Path(override)] if override else []
        fc_dir = _fc_match_dir(family)
        candidates += ([fc_dir] if fc_dir else []) + [Path(d) for d in KNOWN_DIRS]
        for directory in candidates:
            faces = _complete(directory, family)
            if faces:
                return faces
    raise FontMissingError(MISSING_FONT_MESSAGE)
