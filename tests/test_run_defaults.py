"""What `make run` gives a new user by default: links that point at the port it serves, a quiet demo loader."""
from datetime import date

from tracker import config
from tracker.services import seed


def test_base_url_defaults_to_the_port_make_run_serves(monkeypatch):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "5101")
    assert config.from_environment()["BASE_URL"] == "http://127.0.0.1:5101"
    monkeypatch.delenv("PORT")
    assert config.from_environment()["BASE_URL"] == "http://127.0.0.1:5000"


def test_an_explicit_base_url_wins_over_the_port(monkeypatch):
    monkeypatch.setenv("PORT", "5101")
    monkeypatch.setenv("BASE_URL", "https://dondoc.hagiang.gov.vn")
    assert config.from_environment()["BASE_URL"] == "https://dondoc.hagiang.gov.vn"


def test_calendar_feed_and_email_links_use_the_served_port(app, db, client, make_user, monkeypatch):
    from tests.reminders_support import make_assignments
    from tracker.services import mail

    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "5101")
    monkeypatch.setitem(app.config, "BASE_URL", config.from_environment()["BASE_URL"])
    officer = make_user("unit_officer", "HG-STP")
    make_assignments(db, officer.unit_id, [date(2030, 1, 10)])
    feed = client.get(f"/calendar/{officer.ics_token}.ics").get_data(as_text=True)
    assert "http://127.0.0.1:5101/assignments/" in feed and ":5000" not in feed
    assert mail._absolute("/my") == "http://127.0.0.1:5101/my"


def test_demo_loader_says_its_source_notes_in_one_line_and_writes_them_to_a_file(app, db, runner, tmp_path):
    notes = tmp_path / "seed-notes.txt"
    result = runner.invoke(args=["seed", "demo", "--notes", str(notes)])
    assert result.exit_code == 0, result.output
    assert "Cảnh báo" not in result.output and "Thiếu so với văn bản" not in result.output
    [line] = [line for line in result.output.splitlines() if str(notes) in line]
    written = notes.read_text(encoding="utf-8").splitlines()
    warnings = sum("Cảnh báo" in w for w in written)
    assert warnings >= 20 and f"{warnings} cảnh báo và 3 hoạt động thiếu" in line
    assert any("III.2.1" in w for w in written) and any("57 hoạt động; nạp được 54" in w for w in written)


def test_seed_demo_counts_the_notes_in_one_line_without_a_file(db):
    lines = seed.seed_demo(today=date(2023, 9, 1))
    assert not any(line.startswith(("Cảnh báo", "Thiếu so với văn bản")) for line in lines)
    assert sum("cảnh báo và 3 hoạt động thiếu so với văn bản gốc" in line for line in lines) == 1
