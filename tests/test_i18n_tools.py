"""The catalog tool (tracker.i18n_tools) and the shipped English catalog; no Flask app, no database."""
import re
import shutil

import pytest
from babel.messages.catalog import Catalog
from babel.support import Translations

from tracker import i18n_tools
from tracker.domain.status import STATUS_LABELS

PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def _catalog(entries: dict[str, str], fuzzy: tuple[str, ...] = ()) -> Catalog:
    catalog = Catalog(locale="en")
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr, flags=["fuzzy"] if msgid in fuzzy else ())
    return catalog


# ---- check ----

def test_check_counts_untranslated_fuzzy_and_bad_placeholders():
    catalog = _catalog({
        "Lưu": "Save",
        "Hủy": "",
        "Xong": "Done",
        "Đã lưu kế hoạch %(code)s": "Plan %(plan)s saved",  # wrong placeholder name
    }, fuzzy=("Xong",))
    report = i18n_tools.check_catalog(catalog, "en")
    assert report.total == 4
    assert report.untranslated == ["Hủy"]
    assert report.fuzzy == ["Xong"]
    assert [msgid for msgid, _error in report.format_errors] == ["Đã lưu kế hoạch %(code)s"]
    assert report.translated == 2
    assert not report.ok


def test_check_passes_a_complete_catalog():
    report = i18n_tools.check_catalog(_catalog({"Lưu": "Save", "%(n)s mục": "%(n)s items"}), "en")
    assert (report.total, report.translated, report.ok) == (2, 2, True)


# ---- fill ----

def test_fill_sets_missing_and_fuzzy_keeps_done_and_names_unknown():
    catalog = _catalog({"Lưu": "", "Xong": "Finished?", "Hủy": "Cancel"}, fuzzy=("Xong",))
    changed, unknown = i18n_tools.fill(catalog, {"Lưu": "Save", "Xong": "Done", "Hủy": "Abort", "Mới": "New"})
    assert changed == 2
    assert unknown == ["Mới"]
    assert (catalog.get("Lưu").string, catalog.get("Xong").string, catalog.get("Hủy").string) == (
        "Save", "Done", "Cancel")
    assert not catalog.get("Xong").fuzzy

    changed, _ = i18n_tools.fill(catalog, {"Hủy": "Abort"}, overwrite=True)
    assert (changed, catalog.get("Hủy").string) == (1, "Abort")


# ---- compile ----

def test_compile_writes_a_catalog_gettext_reads_and_leaves_fuzzy_out(tmp_path):
    po = i18n_tools.po_path("en", tmp_path)
    po.parent.mkdir(parents=True)
    i18n_tools.write_catalog(po, _catalog({"Lưu": "Save", "Xong": "Done"}, fuzzy=("Xong",)))
    i18n_tools.compile_catalog(po, i18n_tools.mo_path("en", tmp_path))
    translations = Translations.load(str(tmp_path), ["en"])
    assert translations.gettext("Lưu") == "Save"
    assert translations.gettext("Xong") == "Xong"  # a fuzzy guess is never shown


# ---- finding text outside gettext ----

def test_bare_template_text_is_found_with_its_line():
    source = (
        "{# Chú thích cho người phát triển #}\n"
        "<h1>{{ _('Kế hoạch') }}</h1>\n"
        "<p>Chưa có dữ liệu</p>\n"
        "<input placeholder=\"Tìm kiếm\">\n"
        "{{ value or 'Không có' }}\n"
        "{% trans %}Đã lưu{% endtrans %}\n"
        "{{ field(form.x, hint=_('Gợi ý')) }}\n"
        "<button>Tiếng Việt</button>\n"
    )
    found = i18n_tools.find_bare_template_text(source, "t.html")
    assert [(item.line, item.text) for item in found] == [
        (3, "Chưa có dữ liệu"), (4, 'input placeholder="Tìm kiếm"'), (5, "Không có")]


def test_bare_python_strings_skip_gettext_and_docstrings():
    source = (
        '"""Mô-đun."""\n'
        "from flask_babel import gettext as _\n"
        "def view():\n"
        '    """Trang chủ."""\n'
        "    flash(_('Đã lưu'))\n"
        "    label = _l('Nhãn')\n"
        "    return 'Chưa dịch', 'ascii only'\n"
    )
    found = i18n_tools.find_bare_python_strings(source, "v.py")
    assert [(item.line, item.text) for item in found] == [(7, "Chưa dịch")]


def test_gettext_inside_an_f_string_is_reported_as_hidden_from_the_extractor():
    source = (
        "from flask_babel import gettext as _\n"
        "label = f\"{name} ({_('đã kết thúc')})\"\n"
        "title = _('Kế hoạch')\n"
    )
    found = i18n_tools.find_hidden_gettext_calls(source, "v.py")
    assert [(item.line, item.text, item.reason) for item in found] == [
        (2, "đã kết thúc", "gettext inside an f-string")]


def test_python_sources_follow_babel_cfg(tmp_path):
    config = tmp_path / "babel.cfg"
    config.write_text("[python: forms/**.py]\n[jinja2: templates/**.html]\n", encoding="utf-8")
    sources = i18n_tools._python_sources(config)
    relative = {str(path.relative_to(i18n_tools.PROJECT_ROOT)) for path in sources}
    assert "forms/auth.py" in relative
    assert all(path.startswith("forms/") and path.endswith(".py") for path in relative)


# ---- update ----

def test_runtime_labels_are_added_to_an_extracted_template(tmp_path):
    template = tmp_path / "messages.pot"
    i18n_tools.write_catalog(template, _catalog({"Chờ xác nhận": ""}))
    added = i18n_tools._add_runtime_messages(template)
    catalog = i18n_tools.read_catalog(template)
    runtime = i18n_tools.runtime_messages()
    assert set(STATUS_LABELS.values()) <= set(runtime)
    assert added == len(runtime) - 1  # "Chờ xác nhận" was extracted already
    assert all(label in catalog for label in runtime)
    assert catalog.get("Bị trả lại").auto_comments == ["translated at runtime from STATUS_LABELS"]


def test_update_merges_new_msgids_and_keeps_translations(tmp_path):
    shutil.copytree(i18n_tools.TRANSLATIONS_DIR / "en", tmp_path / "en")
    po = i18n_tools.po_path("en", tmp_path)
    catalog = i18n_tools.read_catalog(po)
    catalog.delete("Đăng nhập")  # as if the msgid were new in the sources
    catalog.add("Chuỗi đã bỏ khỏi mã nguồn", "Gone")
    i18n_tools.write_catalog(po, catalog)

    i18n_tools.update(tmp_path)
    merged = i18n_tools.read_catalog(po)
    assert merged.get("Đăng nhập").string == ""  # new, untranslated, and no fuzzy guess
    assert merged.get("Chuỗi đã bỏ khỏi mã nguồn") is None
    assert merged.get("Đăng xuất").string == "Log out"
    assert all(label in merged for label in STATUS_LABELS.values())


# ---- the shipped catalog ----

@pytest.fixture(scope="module")
def shipped():
    return i18n_tools.read_catalog(i18n_tools.po_path("en"))


def test_shipped_catalog_is_complete(shipped):
    report = i18n_tools.check_catalog(shipped, "en")
    assert report.untranslated == [] and report.fuzzy == [] and report.format_errors == []
    assert report.total > 800


def test_shipped_translations_keep_every_placeholder(shipped):
    def forms(text):  # a plural message holds a tuple: every form keeps the placeholders
        return text if isinstance(text, tuple | list) else (text,)

    wrong = [(m.id, m.string) for m in shipped if m.id and m.string
             for msgid, string in zip(forms(m.id) * 2, forms(m.string), strict=False)
             if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(string))]
    assert wrong == []


def test_shipped_catalog_holds_the_runtime_labels_and_the_brief_wording(shipped):
    assert all(shipped.get(label) and shipped.get(label).string for label in STATUS_LABELS.values())
    assert shipped.get("Văn phòng UBND tỉnh").string == "Provincial People's Committee Office"
    assert shipped.get("Hoàn thành quá hạn").string == "Done late"
