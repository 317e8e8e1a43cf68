"""A score table that is not a readable CSV gets a message naming the file and line, nothing saved, never a 500."""
import html as html_lib
import io
import os

import pytest
from sqlalchemy import func, select

from models import Score, ScoreImport
from tracker.domain.score_tables import TableReadError, read_table
from tracker.services.frameworks import load_shipped_frameworks

GOOD_HEADER = "STT;Tên đơn vị;Tổng điểm\n"
CASES = {
    "unclosed quote": (GOOD_HEADER + '1;"Sở Tư pháp;92,2\n' + "2;Sở Nội vụ;88,3\n" * 5).encode(),
    "text after a closing quote": (GOOD_HEADER + '1;"Sở Tư pháp"x;92,2\n').encode(),
    "a field past csv's limit": (GOOD_HEADER + '1;"' + "x" * 200_000 + '";92\n').encode(),
    "UTF-16 without a byte order mark": (GOOD_HEADER + "1;Sở Tư pháp;92,2\n").encode("utf-16-le"),
    "a PDF renamed .csv": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\nendobj\n",
    "random bytes renamed .csv": os.urandom(4096) + b"\x00",
    "an xlsx renamed .csv": b"PK\x03\x04\x14\x00\x06\x00" + os.urandom(500),
}
EXPECTED = {
    "unclosed quote": "dòng 2", "text after a closing quote": "dòng 2", "a field past csv's limit": "131.072 ký tự",
    "UTF-16 without a byte order mark": "không phải bảng văn bản", "a PDF renamed .csv": "không phải bảng văn bản",
    "random bytes renamed .csv": "không phải bảng văn bản", "an xlsx renamed .csv": "đuôi .xlsx",
}


@pytest.mark.parametrize("case", CASES)
def test_reading_names_the_problem(case):
    with pytest.raises(TableReadError) as raised:
        read_table(CASES[case], "bang.csv")
    assert "bang.csv" in str(raised.value) and EXPECTED[case] in str(raised.value)


def test_excel_unicode_text_reads_as_a_table():
    """Excel's "Unicode Text" is UTF-16 with a byte order mark and tabs."""
    data = "Tên đơn vị\tTổng điểm\nSở Tư pháp\t92,2\n".encode("utf-16")
    assert read_table(data, "bang.csv")[1] == ["Sở Tư pháp", "92,2"]


def test_a_quote_inside_an_unquoted_name_is_still_read():
    assert read_table('Tên đơn vị;Tổng\nTrường "Chuyên";90\n'.encode(), "bang.csv")[1] == ['Trường "Chuyên"', "90"]


@pytest.fixture()
def office(db, units, login_as):
    load_shipped_frameworks()
    db.session.commit()
    return login_as("office", "HG-VPUB")


@pytest.mark.parametrize("case", CASES)
def test_the_web_import_refuses_it_with_a_400_naming_the_file_and_saves_nothing(case, office, client, db, units):
    response = client.post("/indicators/import", data={
        "framework": "766-2022", "period": "2024", "source": "", "scope": str(units["HG"].id), "sheet": "",
        "file": (io.BytesIO(CASES[case]), "phu-luc-02.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400
    page = html_lib.unescape(response.get_data(as_text=True))
    assert "Tệp phu-luc-02.csv" in page and EXPECTED[case] in page
    assert db.session.scalar(select(func.count(ScoreImport.id))) == 0
    assert db.session.scalar(select(func.count(Score.id))) == 0
