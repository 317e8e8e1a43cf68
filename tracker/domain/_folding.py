"""Accent folding that keeps every character in place, so a match in the folded text maps back to the original."""
import unicodedata


def fold_aligned(text: str) -> str:
    """Like textnorm.fold() but one output character per input character (whitespace becomes a space)."""
    out = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
            continue
        if ch in "đĐ":
            out.append("d")
            continue
        bases = [c for c in unicodedata.normalize("NFD", ch.lower()) if not unicodedata.combining(c)]
        # a lone combining mark or a letter whose lower case is two characters keeps the width of one
        out.append(bases[0] if len(bases) == 1 else (" " if not bases else ch))
    return "".join(out)
