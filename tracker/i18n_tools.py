"""Translation catalog upkeep: `python -m tracker.i18n_tools update|check|compile|todo|fill`.

update   extract every msgid (babel.cfg) into translations/messages.pot, then merge it into each language's .po
check    list untranslated, fuzzy and badly formatted entries with counts; exit 1 if there is any
compile  write the .mo files (what `make translations` does with pybabel compile)
todo     print the untranslated msgids as a JSON object {msgid: ""} ready to be filled in
fill F   copy translations from the JSON object in file F ({msgid: msgstr}) into the .po
bare     list Vietnamese text in templates, views and forms that does not go through gettext
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
TEMPLATE_PATH = TRANSLATIONS_DIR / "messages.pot"
BABEL_CFG = PROJECT_ROOT / "babel.cfg"
#: languages with a catalog; Vietnamese is the source language and has none
CATALOG_LANGUAGES = ("en",)


def po_path(language: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    """Path of a language's .po file."""
    return directory / language / "LC_MESSAGES" / "messages.po"


def mo_path(language: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    """Path of a language's compiled .mo file."""
    return po_path(language, directory).with_suffix(".mo")


def runtime_messages() -> dict[str, str]:
    """Msgids the extractor cannot see; returns {msgid: where it is used}.

    Those are labels translated from a variable (`_(label)`), and gettext calls written inside an
    f-string (pybabel does not look into f-strings; `bare` reports them so they get rewritten).
    """
    from tracker.domain.status import STATUS_LABELS

    found = {label: "tracker/domain/status.py:STATUS_LABELS" for label in STATUS_LABELS.values()}
    for file in _python_sources():
        relative = str(file.relative_to(PROJECT_ROOT))
        for item in find_hidden_gettext_calls(file.read_text(encoding="utf-8"), relative):
            found.setdefault(item.text, f"{relative}:{item.line}")
    return found


def _python_sources(config: Path = BABEL_CFG) -> list[Path]:
    """The Python files babel.cfg hands to the extractor."""
    patterns = re.findall(r"^\[python:\s*(.+?)\s*\]", config.read_text(encoding="utf-8"), re.MULTILINE)
    # babel's "tracker/**.py" is pathlib's "tracker/**/*.py"
    return sorted({file for pattern in patterns for file in PROJECT_ROOT.glob(pattern.replace("**.", "**/*."))})


def _run_pybabel(arguments: list[str]) -> None:
    CommandLineInterface().run(["pybabel", "-q", *arguments])


def _add_runtime_messages(template: Path) -> int:
    """Append the runtime msgids missing from the extracted template; returns how many were added."""
    with template.open("rb") as handle:
        catalog = read_po(handle)
    added = 0
    for msgid, origin in runtime_messages().items():
        if msgid in catalog:
            continue
        path, _, where = origin.partition(":")
        if where.isdigit():
            catalog.add(msgid, locations=[(path, int(where))], auto_comments=["gettext inside an f-string"])
        else:
            catalog.add(msgid, locations=[(path, None)], auto_comments=[f"translated at runtime from {where}"])
        added += 1
    if added:
        with template.open("wb") as handle:
            write_po(handle, catalog)
    return added


def update(directory: Path = TRANSLATIONS_DIR, languages: Iterable[str] = CATALOG_LANGUAGES) -> Path:
    """Extract the template from the sources, then merge it into every catalog (no fuzzy guesses).

    Returns the path of the template (directory/messages.pot).
    """
    template = directory / TEMPLATE_PATH.name
    # the extractor reads paths relative to the project (babel.cfg patterns, "."), wherever we are called from
    with _working_directory(PROJECT_ROOT):
        _run_pybabel(["extract", "-F", str(BABEL_CFG), "-k", "_l", "-k", "lazy_gettext", "-k", "N_", "-k", "NP_:1,2",
                      "--add-comments=TRANSLATORS:", "--project=Đôn Đốc", "-o", str(template), "."])
    _add_runtime_messages(template)
    for language in languages:
        command = "update" if po_path(language, directory).exists() else "init"
        extra = ["--no-fuzzy-matching"] if command == "update" else []
        _run_pybabel([command, "-i", str(template), "-d", str(directory), "-l", language, *extra])
    return template


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def read_catalog(path: Path) -> Catalog:
    """Read a .po file."""
    with path.open("rb") as handle:
        return read_po(handle)


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Write a .po file the way pybabel does (so diffs stay small)."""
    with path.open("wb") as handle:
        write_po(handle, catalog)


def _is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(strings)


@dataclass
class CatalogSummary:
    """What `check` found in one catalog."""

    language: str
    total: int = 0
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    #: (msgid, error) for translations whose placeholders do not match the msgid
    format_errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def translated(self) -> int:
        """Entries with a usable translation."""
        return self.total - len(self.untranslated) - len(self.fuzzy)

    @property
    def ok(self) -> bool:
        """True when every entry is translated, none is fuzzy and every format matches."""
        return not (self.untranslated or self.fuzzy or self.format_errors)


def check_catalog(catalog: Catalog, language: str) -> CatalogSummary:
    """Count the entries of a catalog and collect the untranslated, fuzzy and mis-formatted ones."""
    summary = CatalogSummary(language)
    for message in catalog:
        if not message.id:
            continue  # the header
        summary.total += 1
        msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
        if not _is_translated(message):
            summary.untranslated.append(msgid)
        elif message.fuzzy:
            summary.fuzzy.append(msgid)
    for message, errors in catalog.check():
        msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
        summary.format_errors.extend((msgid, str(error)) for error in errors)
    return summary


def check(languages: Iterable[str] = CATALOG_LANGUAGES) -> list[CatalogSummary]:
    """Check every catalog and print what is missing."""
    summaries = []
    for language in languages:
        summary = check_catalog(read_catalog(po_path(language)), language)
        summaries.append(summary)
        print(f"[{language}] {summary.total} msgids: {summary.translated} translated, "
              f"{len(summary.untranslated)} untranslated, {len(summary.fuzzy)} fuzzy, "
              f"{len(summary.format_errors)} format errors")
        for msgid in summary.untranslated:
            print(f"  untranslated: {msgid!r}")
        for msgid in summary.fuzzy:
            print(f"  fuzzy: {msgid!r}")
        for msgid, error in summary.format_errors:
            print(f"  format: {msgid!r}: {error}")
    return summaries


def compile_catalog(po_file: Path, mo_file: Path) -> None:
    """Compile one .po file into a .mo file (fuzzy entries left out, as pybabel does)."""
    catalog = read_catalog(po_file)
    mo_file.parent.mkdir(parents=True, exist_ok=True)
    with mo_file.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)


def compile_all(languages: Iterable[str] = CATALOG_LANGUAGES) -> None:
    """Compile every language's catalog next to its .po file."""
    for language in languages:
        compile_catalog(po_path(language), mo_path(language))


def untranslated(language: str = "en") -> dict[str, str]:
    """The untranslated or fuzzy msgids of a catalog as {msgid: ""}."""
    summary = check_catalog(read_catalog(po_path(language)), language)
    return dict.fromkeys([*summary.untranslated, *summary.fuzzy], "")


def fill(catalog: Catalog, translations: Mapping[str, str], *, overwrite: bool = False) -> tuple[int, list[str]]:
    """Set msgstr from {msgid: msgstr}; returns (how many were set, msgids not in the catalog).

    Existing translations are kept unless `overwrite`; a filled entry is no longer fuzzy.
    """
    changed = 0
    unknown = []
    for msgid, text in translations.items():
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        if not text or (message.string and not message.fuzzy and not overwrite):
            continue
        message.string = text
        message.flags.discard("fuzzy")
        changed += 1
    return changed, unknown


#: letters only Vietnamese uses (beyond ASCII): a string holding one is Vietnamese text
VIETNAMESE_LETTER = re.compile("[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE)
GETTEXT_NAMES = frozenset({"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext", "N_", "NP_"})
#: text that must stay Vietnamese in every language (the language switch names itself)
KEEP_UNTRANSLATED = frozenset({"Tiếng Việt"})
#: where user-facing text is written (services and domain modules hand labels over to these)
BARE_SCAN_GLOBS = ("templates/**/*.html", "templates/**/*.txt", "tracker/views/*.py", "forms/*.py")


@dataclass(frozen=True)
class BareText:
    """Vietnamese text found outside gettext."""

    path: str
    line: int
    text: str
    reason: str = "outside gettext"


def _is_bare(text: str) -> bool:
    stripped = " ".join(text.split())
    return bool(VIETNAMESE_LETTER.search(stripped)) and stripped not in KEEP_UNTRANSLATED


def find_bare_template_text(source: str, path: str = "<template>") -> list[BareText]:
    """Vietnamese text of a Jinja template outside `_()`/`gettext()` calls and `{% trans %}` blocks."""
    from jinja2 import Environment

    environment = Environment(extensions=["jinja2.ext.i18n"])
    found = []
    in_trans = False
    recent: list[tuple[str, str]] = []  # the last two significant tokens before the current one
    for line, kind, value in environment.lex(source):
        if kind in ("whitespace", "comment", "comment_begin", "comment_end"):
            continue
        if kind == "name" and value in ("trans", "pluralize") and recent and recent[-1][0] == "block_begin":
            in_trans = True
        elif kind == "name" and value == "endtrans":
            in_trans = False
        elif kind == "data" and not in_trans:
            # text and tag attributes piece by piece (so "Tiếng Việt" is judged on its own)
            found.extend(BareText(path, line + value[:match.start()].count("\n"), " ".join(match.group().split()))
                         for match in re.finditer(r"[^<>]+", value) if _is_bare(match.group()))
        elif kind == "string" and _is_bare(value):
            after_gettext = len(recent) == 2 and recent[0][0] == "name" and recent[0][1] in GETTEXT_NAMES
            if not (after_gettext and recent[1] == ("operator", "(")):
                found.append(BareText(path, line, value[1:-1]))  # lex() keeps the quotes
        recent = [*recent[-1:], (kind, value)]
    return found


def find_bare_python_strings(source: str, path: str = "<module>") -> list[BareText]:
    """Vietnamese string constants of a module that are not gettext's first argument (docstrings aside)."""
    tree = ast.parse(source)
    wrapped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            if _call_name(node) in GETTEXT_NAMES:
                wrapped.update(id(arg) for arg in node.args if isinstance(arg, ast.Constant))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                wrapped.add(id(first.value))  # a docstring is for developers
    return [BareText(path, node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in wrapped
            and _is_bare(node.value)]


def find_hidden_gettext_calls(source: str, path: str = "<module>") -> list[BareText]:
    """Gettext calls written inside f-strings: translated at runtime, but invisible to pybabel's extractor."""
    found = []
    for fstring in ast.walk(ast.parse(source)):
        if not isinstance(fstring, ast.JoinedStr):
            continue
        for node in ast.walk(fstring):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and _call_name(node) in GETTEXT_NAMES:
                found.append(BareText(path, node.lineno, node.args[0].value, "gettext inside an f-string"))
    return found


def _call_name(call: ast.Call) -> str | None:
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)


def find_bare_text(root: Path = PROJECT_ROOT, globs: Iterable[str] = BARE_SCAN_GLOBS) -> list[BareText]:
    """Vietnamese user-facing text outside gettext in the templates, views and forms under `root`."""
    found: list[BareText] = []
    for pattern in globs:
        for file in sorted(root.glob(pattern)):
            relative = str(file.relative_to(root))
            source = file.read_text(encoding="utf-8")
            if file.suffix == ".py":
                items = find_bare_python_strings(source, relative) + find_hidden_gettext_calls(source, relative)
            else:
                items = find_bare_template_text(source, relative)
            found.extend(sorted(items, key=lambda item: item.line))
    return found


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tracker.i18n_tools", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="extract and merge msgids into the catalogs")
    commands.add_parser("check", help="report untranslated/fuzzy entries; exit 1 if any")
    commands.add_parser("compile", help="write the .mo files")
    todo_parser = commands.add_parser("todo", help="print the untranslated msgids as JSON")
    todo_parser.add_argument("--language", default="en")
    fill_parser = commands.add_parser("fill", help="copy translations from a JSON file into the .po")
    fill_parser.add_argument("file", type=Path)
    fill_parser.add_argument("--language", default="en")
    fill_parser.add_argument("--overwrite", action="store_true", help="replace existing translations too")
    commands.add_parser("bare", help="list Vietnamese text outside gettext in templates, views and forms")
    arguments = parser.parse_args(argv)

    if arguments.command == "update":
        update()
        check()  # the summary only: new msgids are expected right after an update
        return 0
    if arguments.command == "check":
        return 0 if all(summary.ok for summary in check()) else 1
    if arguments.command == "compile":
        compile_all()
        return 0
    if arguments.command == "todo":
        json.dump(untranslated(arguments.language), sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    if arguments.command == "bare":
        bare = find_bare_text()
        for item in bare:
            print(f"{item.path}:{item.line}: {item.reason}: {item.text[:100]!r}")
        print(f"{len(bare)} Vietnamese strings outside gettext in {len({item.path for item in bare})} files")
        return 0
    translations = json.loads(arguments.file.read_text(encoding="utf-8"))
    catalog = read_catalog(po_path(arguments.language))
    changed, unknown = fill(catalog, translations, overwrite=arguments.overwrite)
    write_catalog(po_path(arguments.language), catalog)
    print(f"{changed} translations set; {len(unknown)} msgids not in the catalog")
    for msgid in unknown:
        print(f"  not in catalog: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
