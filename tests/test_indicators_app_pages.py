"""Indicator pages: permissions of every route, query counts, unit scorecards, ratio reports, links, frameworks."""
import html as html_lib
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import ActivityIndicator, AuditEntry, Framework, FrameworkNode, Period, Score, Unit
from tests.factories import login, make_plan
from tracker import clock
from tracker.domain.frameworks import FRAMEWORKS_DIR
from tracker.services import lost_points, periods, score_import, score_results, score_writes
from tracker.services.frameworks import by_code, load_shipped_frameworks

#: (method, url template, {role: expected}) — expected is an HTTP status, "login" for a redirect to /login, or
#: "redirect" for another redirect. Placeholders (see the `world` fixture): {node_id} the 766-2022 node MDSH,
#: {unit_id} HG-STP (Sở Tư pháp, the unit of unit_officer/unit_head; "…:other" roles belong to HG-SVHTTDL),
#: {import_id} a draft import whose table has an error (so confirming is refused with 400), {activity_id} an
#: activity of a test plan. POST bodies are empty: an allowed user gets 400 (form errors) unless noted.
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/indicators/", {
        "anonymous": "login", "admin": "redirect", "office": "redirect", "leader": "redirect",
        "unit_officer": "redirect", "unit_head": "redirect", "unit_officer:other": "redirect",
        "unit_head:other": "redirect"}),
    ("GET", "/indicators/bottlenecks", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/results", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/frameworks", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 200, "unit_head:other": 200}),
    ("GET", "/indicators/frameworks/par-2022", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 200, "unit_head:other": 200}),
    ("GET", "/indicators/frameworks/load", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/indicators/frameworks/load", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/nodes/{node_id}", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/units/{unit_id}", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/units/{unit_id}/report", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/indicators/units/{unit_id}/report", {
        "anonymous": "login", "admin": 400, "office": 400, "leader": 403, "unit_officer": 400, "unit_head": 400,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/import", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/indicators/import", {
        "anonymous": "login", "admin": 400, "office": 400, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/imports", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/imports/{import_id}", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    # an empty POST keeps the detected mapping (each select falls back to it): a valid, no-op edit
    ("POST", "/indicators/imports/{import_id}/mapping", {
        "anonymous": "login", "admin": "redirect", "office": "redirect", "leader": 403, "unit_officer": 403,
        "unit_head": 403, "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/indicators/imports/{import_id}/confirm", {
        "anonymous": "login", "admin": 400, "office": 400, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/imports/{import_id}/file", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/activities/{activity_id}/links", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    # an empty POST unlinks everything: a valid edit, so the office is redirected back to the page
    ("POST", "/indicators/activities/{activity_id}/links", {
        "anonymous": "login", "admin": "redirect", "office": "redirect", "leader": 403, "unit_officer": 403,
        "unit_head": 403, "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/indicators/links", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/indicators/links", {
        "anonymous": "login", "admin": 400, "office": 400, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
]

OWN, OTHER, OFFICE = "HG-STP", "HG-SVHTTDL", "HG-VPUB"
ROLE_UNITS = {"admin": OFFICE, "office": OFFICE, "leader": "HG", "unit_officer": OWN, "unit_head": OWN,
              "unit_officer:other": OTHER, "unit_head:other": OTHER}
GROUP_POINTS = {"CKMB": "18", "TDGQ": "19.5", "MDSH": "16.7", "CCDVTT": "20", "MDHL": "18"}


def give_scores(db, unit_ids, period_label="2024", points=GROUP_POINTS, framework_code="766-2022"):
    """Group points for units in a period (same points each, enough for ranks and losses)."""
    framework = by_code(framework_code)
    nodes = dict(db.session.execute(select(FrameworkNode.code, FrameworkNode.id).where(
        FrameworkNode.framework_id == framework.id)).all())
    period = periods.get_or_create_period(period_label)
    rows = [{"unit_id": unit_id, "node_id": nodes[code], "points": Decimal(value)}
            for unit_id in unit_ids for code, value in points.items()]
    score_writes.save_scores(framework, period, rows, source="thử nghiệm")
    return framework, period


@pytest.fixture()
def world(app, db, units, make_user):
    load_shipped_frameworks()
    give_scores(db, [units[OWN].id, units[OTHER].id])
    plan = make_plan(unit_ids=[units[OWN].id], due=clock.today() - timedelta(days=10))
    activity = plan.groups[0].tasks[0].activities[0]
    node = db.session.scalar(select(FrameworkNode).join(Framework).where(
        Framework.code == "766-2022", FrameworkNode.code == "MDSH"))
    db.session.add(ActivityIndicator(activity_id=activity.id, node_id=node.id))
    bad_table = "Tên đơn vị;Tổng điểm\nSở Tư pháp;mười\n".encode()
    record = score_import.start_import(None, by_code("766-2022"), "2024", "loi.csv", bad_table,
                                       score_import.import_folder(app.config["UPLOAD_FOLDER"]),
                                       scope_unit_id=units["HG"].id)
    db.session.commit()
    users = {role: make_user(role.split(":")[0], unit) for role, unit in ROLE_UNITS.items()}
    ids = {"node_id": node.id, "unit_id": units[OWN].id, "import_id": record.id, "activity_id": activity.id}
    return {"users": users, "ids": ids, "units": units, "node": node, "activity": activity}


def _outcome(response) -> int | str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303):
        return "login" if "/login" in location else "redirect"
    return response.status_code


@pytest.mark.parametrize("method,url,expected", ROUTE_PERMISSIONS, ids=[f"{m} {u}" for m, u, _e in ROUTE_PERMISSIONS])
def test_route_permissions(app, world, method, url, expected):
    concrete = url.format(**world["ids"])
    for role, want in expected.items():
        client = app.test_client()
        if role != "anonymous":
            login(client, world["users"][role])
        response = client.open(concrete, method=method, data={})
        assert _outcome(response) == want, f"{method} {concrete} as {role}: got {response.status_code}"


def test_every_indicators_route_has_a_permission_row(app):
    covered = {(method, url.split("{")[0].rstrip("/")) for method, url, _e in ROUTE_PERMISSIONS}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("indicators."):
            continue
        prefix = rule.rule.split("<")[0].rstrip("/")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if not any(m == method and (u == prefix or u.startswith(prefix)) for m, u in covered):
                missing.append(f"{method} {rule.rule}")
    assert not missing


# ------------------------------------------------------------------------------------------- query counts


def _add_units(db, units, count: int, start: int) -> list[int]:
    """Extra departments under the province, each with a lead assignment on the linked activity."""
    kind_id = units[OWN].kind_id
    created = []
    for index in range(start, start + count):
        unit = Unit(code=f"HG-X{index:03d}", name=f"Sở thử nghiệm {index:03d}", kind_id=kind_id,
                    parent_id=units["HG"].id, sort_order=100 + index)
        db.session.add(unit)
        db.session.flush()
        created.append(unit.id)
    return created


def _assign(db, activity, unit_ids) -> None:
    from models import Assignment

    for unit_id in unit_ids:
        db.session.add(Assignment(activity_id=activity.id, plan_id=activity.plan_id, unit_id=unit_id,
                                  responsibility="lead", due_date=activity.due_date))


@pytest.mark.parametrize("url", [
    "/indicators/bottlenecks", "/indicators/results?kind=department", "/indicators/nodes/{node_id}",
    "/indicators/units/{unit_id}", "/indicators/imports", "/indicators/links?node={node_id}",
    "/indicators/frameworks", "/indicators/frameworks/766-2022",
])
def test_list_pages_query_count_does_not_grow_with_rows(url, world, db, client, count_queries):
    login(client, world["users"]["office"])
    concrete = url.format(**world["ids"])

    def measure() -> int:
        client.get(concrete)  # warm caches (framework parsing, templates)
        with count_queries() as counter:
            response = client.get(concrete)
        assert response.status_code == 200
        return counter.count

    first = _add_units(db, world["units"], 5, 0)
    give_scores(db, first)
    _assign(db, world["activity"], first)
    db.session.commit()
    small = measure()
    more = _add_units(db, world["units"], 25, 5)
    give_scores(db, more)
    _assign(db, world["activity"], more)
    db.session.commit()
    assert measure() == small


# -------------------------------------------------------------------------------------- pages and actions


def test_unit_users_see_their_own_scorecard(world, client):
    login(client, world["users"]["unit_officer"])
    index = client.get("/indicators/")
    assert index.headers["Location"].endswith(f"/indicators/units/{world['ids']['unit_id']}")
    page = html_lib.unescape(client.get(index.headers["Location"]).get_data(as_text=True))
    assert "Sở Tư pháp" in page and "92,20" in page and "Xuất sắc" in page
    # both units scored 92,2: they share rank 1 of 2
    assert "1/2" in page
    # the linked overdue activity of its own unit shows under the node where points are lost
    assert "MDSH" in page and "Quá hạn" in page
    other = world["units"][OTHER].id
    assert client.get(f"/indicators/units/{other}").status_code == 403


def test_bottleneck_page_lists_late_tasks_and_answerable_units(world, client):
    login(client, world["users"]["leader"])
    page = html_lib.unescape(client.get("/indicators/bottlenecks").get_data(as_text=True))
    table = page[page.index('<table class="list bottlenecks">'):]
    # MDSH loses 5,3 per unit (22 − 16,7) for two units: the biggest loss, listed first with its overdue task
    assert table.index("MDSH") < table.index("TDGQ") < table.index("CKMB")
    assert "10,60" in table
    assert "Sở Tư pháp · Quá hạn (chưa hoàn thành)" in page
    assert "<svg" in page  # the bar chart, drawn server-side


def test_indicator_page_shows_scores_trend_and_links(world, db, client):
    give_scores(db, [world["units"][OWN].id], period_label="2023",
                points={**GROUP_POINTS, "MDSH": "12.1"})
    db.session.commit()
    login(client, world["users"]["office"])
    page = html_lib.unescape(client.get(f"/indicators/nodes/{world['ids']['node_id']}").get_data(as_text=True))
    assert "Số hóa hồ sơ" in page and "22,00" in page
    assert "Sở Văn hoá, Thể thao và Du lịch" in page and "5,30" in page  # lost points per unit
    assert "<svg" in page and "2023" in page  # the trend over both periods
    assert "Hoạt động 0" in page  # the linked activity (tests.factories content)
    # the scorecard compares with 2023: +4,6 points on MDSH, rank kept
    card = html_lib.unescape(client.get(f"/indicators/units/{world['ids']['unit_id']}").get_data(as_text=True))
    assert "12,10" in card


def test_ratio_figures_page_writes_nothing_when_read(world, db, client):
    # a GET created the period row (and committed) just to show an empty form
    login(client, world["users"]["unit_officer"])
    before = db.session.scalar(select(func.count(Period.id)))
    url = f"/indicators/units/{world['ids']['unit_id']}/report?framework=766-2022&period=Q3/2031"
    response = client.get(url)
    assert response.status_code == 200 and "Q3/2031" in html_lib.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Period.id))) == before


def test_ratio_figures_computes_rate_and_points(world, db, client):
    login(client, world["users"]["unit_officer"])
    unit_id = world["ids"]["unit_id"]
    url = f"/indicators/units/{unit_id}/report?framework=766-2022&period=Q1/2025"
    assert client.get(url).status_code == 200
    online = db.session.scalar(select(FrameworkNode).join(Framework).where(
        Framework.code == "766-2022", FrameworkNode.code == "CLGQ"))
    response = client.post(url, data={f"b_{online.id}": "258.420", f"a_{online.id}": "344.560", "note": "Quý I"})
    assert response.status_code == 302, html_lib.unescape(response.get_data(as_text=True))[-3000:]
    score = db.session.scalar(select(Score).where(Score.node_id == online.id, Score.unit_id == unit_id))
    assert score.numerator == Decimal("258420") and score.denominator == Decimal("344560")
    assert score.rate == Decimal("75.0000") and score.points == Decimal("9.0000")  # 75% of 12
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity_type == "Score")) == 1
    bad = client.post(url, data={f"b_{online.id}": "10", f"a_{online.id}": "5"})
    assert bad.status_code == 400
    assert "CLGQ: b không được lớn hơn a" in html_lib.unescape(bad.get_data(as_text=True))
    half = client.post(url, data={f"b_{online.id}": "10"})
    assert half.status_code == 400 and "hãy nhập cả b và a" in html_lib.unescape(half.get_data(as_text=True))
    text = client.post(url, data={f"b_{online.id}": "mười", f"a_{online.id}": "20"})
    assert text.status_code == 400 and "không phải là số hợp lệ" in html_lib.unescape(text.get_data(as_text=True))
    assert db.session.get(Score, score.id).points == Decimal("9.0000")  # refused edits changed nothing


def test_ratio_figures_query_count_does_not_grow_with_ratio_indicators(world, db, client, count_queries):
    login(client, world["users"]["unit_officer"])
    unit_id = world["ids"]["unit_id"]
    ratio_counts = {code: sum(1 for node in db.session.scalars(select(FrameworkNode).join(Framework).where(
        Framework.code == code)) if node.is_ratio) for code in ("766-2025", "766-2022")}
    assert ratio_counts["766-2025"] < ratio_counts["766-2022"]

    def measure(code: str) -> int:
        url = f"/indicators/units/{unit_id}/report?framework={code}&period=2024"
        assert client.get(url).status_code == 200  # creates the period and warms the framework caches
        db.session.close()  # a cold session, as in production
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    assert measure("766-2022") == measure("766-2025")


def test_ratio_figures_does_not_overwrite_published_scores(world, db, client, app):
    framework = by_code("766-2022")
    online = db.session.scalar(select(FrameworkNode).where(FrameworkNode.framework_id == framework.id,
                                                           FrameworkNode.code == "CLGQ"))
    period = periods.get_or_create_period("2024")
    db.session.add(Score(unit_id=world["ids"]["unit_id"], node_id=online.id, framework_id=framework.id,
                         period_id=period.id, points=Decimal("11"), official_points=Decimal("11")))
    db.session.commit()
    login(client, world["users"]["unit_head"])
    response = client.post(f"/indicators/units/{world['ids']['unit_id']}/report?framework=766-2022&period=2024",
                           data={f"b_{online.id}": "1", f"a_{online.id}": "2"})
    assert response.status_code == 400
    assert "đã có điểm công bố chính thức" in html_lib.unescape(response.get_data(as_text=True))


def test_activity_links_are_edited_and_audited(world, db, client):
    login(client, world["users"]["office"])
    activity_id = world["ids"]["activity_id"]
    nodes = dict(db.session.execute(select(FrameworkNode.code, FrameworkNode.id).join(Framework).where(
        Framework.code == "766-2022")).all())
    response = client.post(f"/indicators/activities/{activity_id}/links",
                           data={"nodes": [nodes["CLGQ"], nodes["TTTT"]], "note": "DVC trực tuyến"})
    assert response.status_code == 302
    linked = set(db.session.scalars(select(ActivityIndicator.node_id).where(
        ActivityIndicator.activity_id == activity_id)))
    assert linked == {nodes["CLGQ"], nodes["TTTT"]}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "link"))
    assert entry.changes["indicators"] == [["MDSH"], ["CLGQ", "TTTT"]]
    wrong = client.post(f"/indicators/activities/{activity_id}/links", data={"nodes": ["999999"]})
    assert wrong.status_code == 400
    assert "Chỉ tiêu: lựa chọn không hợp lệ" in html_lib.unescape(wrong.get_data(as_text=True))


def test_bulk_links_edit_one_page_of_activities(world, db, client):
    login(client, world["users"]["admin"])
    node_id, activity_id = world["ids"]["node_id"], world["ids"]["activity_id"]
    url = f"/indicators/links?node={node_id}&plan={world['activity'].plan_id}"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{activity_id}" aria-label="I.1.1" checked' in page
    assert client.post(url, data={}).status_code == 302
    assert not db.session.scalar(select(ActivityIndicator.id).where(ActivityIndicator.node_id == node_id))
    assert client.post(url, data={"activities": [str(activity_id)]}).status_code == 302
    assert db.session.scalar(select(ActivityIndicator.activity_id).where(ActivityIndicator.node_id == node_id)) \
        == activity_id


def test_framework_upload_refuses_a_malformed_file_naming_the_line(world, db, client):
    login(client, world["users"]["admin"])
    broken = (FRAMEWORKS_DIR / "766-2025.yaml").read_text(encoding="utf-8").replace(
        'code: "766-2025"', 'code: "766-2026"').replace("    max: 12\n", "    max: mười hai\n")
    response = client.post("/indicators/frameworks/load", data={"file": (io.BytesIO(broken.encode()), "moi.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    line = broken.splitlines().index("    max: mười hai") + 1
    assert f"moi.yaml, dòng {line}" in html_lib.unescape(response.get_data(as_text=True))
    assert by_code("766-2026") is None
    fixed = broken.replace("max: mười hai", "max: 12")
    response = client.post("/indicators/frameworks/load", data={"file": (io.BytesIO(fixed.encode()), "moi.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert by_code("766-2026").source_text == fixed


def test_cli_frameworks_list_and_load(world, runner, db, tmp_path):
    result = runner.invoke(args=["frameworks", "list"])
    assert result.exit_code == 0
    assert "766-2022\tBộ chỉ số 766 (5 nhóm, 2022–2024)\t2022–2024\t21 chỉ tiêu\t10 điểm số\t2024" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: x\nname: [unclosed\n", encoding="utf-8")
    result = runner.invoke(args=["frameworks", "load", str(bad)])
    assert result.exit_code == 1 and "bad.yaml, dòng" in result.output
    # dropping a group that has scores (here by recoding it) is refused; the stored framework is unchanged
    text = (FRAMEWORKS_DIR / "766-2022.yaml").read_text(encoding="utf-8")
    recoded = tmp_path / "766-2022.yaml"
    recoded.write_text(text.replace('code: "MDHL"', 'code: "HL"'), encoding="utf-8")
    result = runner.invoke(args=["frameworks", "load", str(recoded)])
    assert result.exit_code == 1 and "chỉ tiêu 'MDHL' đã có 2 điểm số" in result.output
    assert by_code("766-2022").source_text == text
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(text.replace('name: "Số hóa hồ sơ"', 'name: "Số hoá hồ sơ, kết quả"'), encoding="utf-8")
    result = runner.invoke(args=["frameworks", "load", str(renamed)])
    assert result.exit_code == 0 and "đã cập nhật" in result.output
    assert db.session.get(FrameworkNode, world["ids"]["node_id"]).name == "Số hoá hồ sơ, kết quả"  # same row kept


def test_charts_are_svg_without_script():
    from tracker.charts import bar_chart, trend_chart

    svg = trend_chart("Xu hướng </script><script>alert(1)</script>", ["2023", "2024"],
                      {"Sở Tư pháp": [Decimal("85.6"), None]}, max_value=100)
    assert svg.startswith("<svg") and "<script" not in svg
    assert "&lt;/script&gt;" in svg
    bars = bar_chart("Điểm", ["Sở Tư pháp", "Ban Dân tộc"], [Decimal("92.2"), Decimal("57.8")], max_value=100)
    assert bars.startswith("<svg") and "92,2" in bars and "<script" not in bars


def test_cached_results_follow_every_score_write(world, db):
    before = {r.unit.code: r.total for r in score_results.unit_results("766-2022", "2024")}
    assert before[OWN] == Decimal("92.2")
    give_scores(db, [world["units"][OWN].id], points={"CKMB": "10"})  # a write through the scores service
    db.session.commit()
    after = {r.unit.code: r.total for r in score_results.unit_results("766-2022", "2024")}
    assert after[OWN] == Decimal("84.2") and after[OTHER] == Decimal("92.2")
    ranks = {r.unit.code: r.rank for r in score_results.unit_results("766-2022", "2024")}
    assert ranks == {OTHER: 1, OWN: 2}
    db.session.get(Unit, world["units"][OTHER].id).name = "Sở Văn hoá, Thể thao và Du lịch (mới)"
    db.session.commit()
    names = {r.unit.code: r.unit.name for r in score_results.unit_results("766-2022", "2024")}
    assert names[OTHER].endswith("(mới)")


def test_a_group_reported_through_its_sub_indicators_loses_what_they_lose(world, db, client):
    # a unit's own ratio report stores CLGQ and TTTT, not their group CCDVTT: the indicator page summed stored
    # points only (nobody scored, nothing lost) while the bottlenecks and the scorecard counted the sub-indicators
    units = world["units"]
    give_scores(db, [units[OWN].id], period_label="2030", points={"CLGQ": "9", "TTTT": "10"})
    give_scores(db, [units[OTHER].id], period_label="2030", points={"CLGQ": "12", "TTTT": "5"})
    db.session.commit()
    group = db.session.scalar(select(FrameworkNode).join(Framework).where(
        Framework.code == "766-2022", FrameworkNode.code == "CCDVTT"))
    login(client, world["users"]["office"])
    page = client.get(f"/indicators/nodes/{group.id}?period=2030").get_data(as_text=True)
    assert '<b data-kpi="units">2</b>' in page and '<b data-kpi="average">18,00</b>' in page
    assert '<b data-kpi="lost">8,00</b>' in page  # (22 − 19) + (22 − 17)
    lost = {item.node.code: item.lost for item in lost_points.lost_points("766-2022", "2030")}
    assert lost["CLGQ"] + lost["TTTT"] == Decimal(8)
    card = client.get(f"/indicators/units/{units[OWN].id}?framework=766-2022&period=2030").get_data(as_text=True)
    assert "3,00" in card  # the scorecard's row of CCDVTT: 22 − (9 + 10)


def test_the_scorecard_trend_keeps_the_total_the_results_keep(world, db):
    # a printed total more than rounding away from the sum of the groups (92,2) is not the unit's total: the
    # results rank on the sum, and the scorecard's trend (which took any printed total) now does the same
    unit_id = world["units"][OWN].id
    framework = by_code("766-2022")
    total_node = db.session.scalar(select(FrameworkNode).where(FrameworkNode.framework_id == framework.id,
                                                               FrameworkNode.is_total.is_(True)))
    period = periods.find_period("2024")
    score_writes.save_scores(framework, period, [{"unit_id": unit_id, "node_id": total_node.id, "points": Decimal(90)}])
    give_scores(db, [unit_id], period_label="2023", points={**GROUP_POINTS, "MDSH": "16.72"})
    score_writes.save_scores(framework, periods.find_period("2023"),
                             [{"unit_id": unit_id, "node_id": total_node.id, "points": Decimal("92.24")}])
    db.session.commit()
    trend = {label: total for label, total, _max in score_results.unit_totals_by_period(unit_id, framework.kind)}
    for label in ("2023", "2024"):
        result = next(r for r in score_results.unit_results("766-2022", label) if r.unit.id == unit_id)
        assert trend[label] == result.total
    assert trend == {"2023": Decimal("92.24"), "2024": Decimal("92.2")}  # printed within rounding; printed far off
