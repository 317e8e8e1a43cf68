"""Vietnamese text normalisation: accent-insensitive matching and Vietnamese sort order."""
import re
import unicodedata

_SPACES = re.compile(r"\s+")

# Vietnamese alphabetical order; tones sort after the base letter (a < á < à ...).
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_TONE_ORDER = {"": 0, "\u0301": 1, "\u0300": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn: part of the letter


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse whitespace, for accent-insensitive search."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip()


def clean(text: str | None) -> str:
    """NFC-normalise and collapse whitespace, keeping the diacritics."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def vn_sort_key(text: str | None) -> tuple:
    """Sort key giving Vietnamese dictionary order: letters first, tones as a tie-breaker."""
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFC", (text or "").lower()):
        base = unicodedata.normalize("NFD", ch)
        tone = 0
        letter = base[0]
        for mark in base[1:]:
            if mark in _TONE_ORDER:
                tone = _TONE_ORDER[mark]
            elif mark in _LETTER_MARKS:
                letter += mark
        letter = unicodedata.normalize("NFC", letter)
        position = _ALPHABET.find(letter)
        letters.append(position if position >= 0 else 100 + ord(letter[0]))
        tones.append(tone)
    return tuple(letters), tuple(tones)
