"""Accent folding, cleaning and Vietnamese sort order."""
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.textnorm import clean, fold, vn_sort_key


def test_fold_finds_so_tu_phap():
    assert fold("Sở Tư pháp") == "so tu phap"
    assert fold("  ĐÀI   Phát thanh\n") == "dai phat thanh"
    assert fold(None) == "" and fold("") == ""


def test_fold_is_the_same_for_composed_and_decomposed_text():
    text = "Ủy ban nhân dân tỉnh Hà Giang"
    assert fold(unicodedata.normalize("NFD", text)) == fold(text) == "uy ban nhan dan tinh ha giang"


def test_clean_keeps_diacritics_and_collapses_spaces():
    assert clean(" Sở  Tư\tpháp \n") == "Sở Tư pháp"
    assert clean(unicodedata.normalize("NFD", "Quý")) == unicodedata.normalize("NFC", "Quý")
    assert clean(None) == ""


def test_vietnamese_order():
    names = ["Đồng Văn", "Bắc Mê", "Ân Thi", "Dương Minh Châu", "An Phú", "Ba Bể", "Ăn Khê", "Yên Minh", "Đà Lạt"]
    assert sorted(names, key=vn_sort_key) == [
        "An Phú", "Ăn Khê", "Ân Thi", "Ba Bể", "Bắc Mê", "Dương Minh Châu", "Đà Lạt", "Đồng Văn", "Yên Minh",
    ]


def test_tones_break_ties_only():
    assert sorted(["ma", "mà", "má", "mả", "mã", "mạ"], key=vn_sort_key) == ["ma", "má", "mà", "mả", "mã", "mạ"]
    assert vn_sort_key("mạ") < vn_sort_key("mb")


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ "


@given(st.text(max_size=30))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper(), max_size=30))
def test_fold_of_vietnamese_is_plain_ascii_and_case_free(text):
    folded = fold(text)
    assert folded.isascii()
    assert folded == fold(text.upper()) == fold(text.lower())
