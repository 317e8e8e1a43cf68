"""Every page as every role in headless Chromium, on the demo data: WCAG 2.1 AA (axe-core, no serious or
critical violation), no horizontal scrolling at 375 px, numbers in phone tables keep their labels, the menu
works from the keyboard at phone width, and the plan tree stays a bounded height on a phone.

The pages come from the app's URL map; who may open which page comes from the permission tables the
permission tests walk (every test module's ROUTE_PERMISSIONS and test_permissions_matrix.ROUTES), so a new
page is visited here as soon as it has its permission row. Arguments are real ids from the demo data.
One browser and one seeded database serve the whole module.
"""
import importlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

from models import Activity, Assignment, Framework, FrameworkNode, Plan, Unit, UnitKind, User
from models import db as _db
from tests.axe import axe_violations, describe
from tests.browser_support import DESKTOP, OVERFLOW_JS, PHONE, login, serving
from tests.conftest import empty_database
from tracker import clock
from tracker.services import assignments, reminders, reports, score_import, seed

pytestmark = pytest.mark.browser

ROLES = {"admin": "admin", "office": "vanphong", "leader": "lanhdao", "unit_officer": "stp.canbo",
         "unit_head": "stp.lanhdao"}
#: files, JSON and feeds: no page to check
NOT_PAGES = {"static", "main.healthz", "notifications.count", "notifications.calendar_feed", "assignments.download",
             "indicators.import_file", "reports.download", "reports.status", "plan_import.export",
             "plan_import.source"}
#: templates/plan_import/ pages are checked by the plan import journeys (tests/journeys, j-import's area)
EXCLUDED_PREFIXES = ("plan_import.",)
#: the plan tree at 375 px was 47,000 px tall (ten activities of 29 units, each unit four stacked lines)
TREE_MAX_PHONE_HEIGHT = 8000


def _allowed_roles_by_endpoint(app) -> dict[str, set[str]]:
    """endpoint → roles for which some permission table expects a 200 on GET."""
    tables = [(method, url, expected) for method, _rule, url, expected
              in importlib.import_module("tests.test_permissions_matrix").ROUTES]
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        tables += [(row[0], row[1], row[-1]) for row in getattr(module, "ROUTE_PERMISSIONS", [])]
    adapter = app.url_map.bind("localhost")
    allowed: dict[str, set[str]] = {}
    for method, url, expected in tables:
        if method != "GET" or not isinstance(expected, dict):
            continue
        try:
            endpoint, _args = adapter.match(re.sub(r"\{[^}]+\}", "1", url).split("?")[0], method="GET")
        except Exception:  # noqa: BLE001 — a stale row names no route
            continue
        allowed.setdefault(endpoint, set()).update(
            role for role, outcome in expected.items() if role in ROLES and outcome in (200, "ok"))
    return allowed


@pytest.fixture(scope="module")
def demo(app):
    """The seeded database for the whole module, emptied afterwards even when seeding fails."""
    with app.app_context():
        try:
            yield _seed_demo(app)
        finally:
            _db.session.remove()
            empty_database()


def _seed_demo(app) -> dict:
    """The demo data, plus what it lacks for some pages: reports, a score import, a pending extension, and the
    day's reminders (the bell's unread count) as the worker would write them."""
    seed.seed_demo()
    users = {role: _db.session.scalar(select(User).where(User.username == name)) for role, name in ROLES.items()}
    stp = _db.session.scalar(select(Unit).where(Unit.code == "HG-STP"))
    plan = _db.session.scalar(select(Plan).where(Plan.code == "HG-KSTTHC-2023"))
    # an open assignment of Sở Tư pháp with history, so its page shows the forms and a pending extension
    assignment = _db.session.scalar(select(Assignment).where(Assignment.unit_id == stp.id,
                                                             Assignment.plan_id == plan.id,
                                                             Assignment.state == "open")
                                    .order_by(Assignment.id))
    assignments.request_extension(users["unit_officer"], assignment,
                                  requested_due=assignment.due_in_force + timedelta(days=30),
                                  reason="Chờ ý kiến của Bộ Tư pháp")
    activity = _db.session.get(Activity, assignment.activity_id)
    framework = _db.session.scalar(select(Framework).order_by(Framework.id))
    province_report = reports.create_report(users["office"], "year", "Báo cáo năm 2023", {"year": 2023},
                                            {"signer_name": "Hoàng Gia Long"}, ["pdf"], None)
    reports.new_version(users["office"], province_report)
    unit_report = reports.create_report(users["unit_officer"], "year", "Báo cáo năm 2023 của Sở Tư pháp",
                                        {"year": 2023}, {}, ["pdf"], stp.id)
    table = "Tên đơn vị;Tổng điểm\nSở Tư pháp;mười\n".encode()
    score_record = score_import.start_import(
        users["office"], framework, "2024", "diem.csv", table,
        score_import.import_folder(app.config["UPLOAD_FOLDER"]),
        scope_unit_id=_db.session.scalar(select(Unit.id).where(Unit.code == "HG")))
    _db.session.commit()
    reminders.scan_day(clock.today(), on_batch=_db.session.commit)
    _db.session.commit()
    common = {
        "kind_id": _db.session.scalar(select(UnitKind.id).order_by(UnitKind.id)),
        "unit_id": stp.id, "user_id": users["unit_officer"].id, "assignment_id": assignment.id,
        "activity_id": activity.id, "plan_id": plan.id, "group_id": plan.groups[0].id,
        "task_id": plan.groups[0].tasks[0].id, "code": framework.code,
        "node_id": _db.session.scalar(select(FrameworkNode.id).where(FrameworkNode.framework_id == framework.id)
                                      .order_by(FrameworkNode.id)),
        "import_id": score_record.id, "report_id": province_report.id,
        "province_id": _db.session.scalar(select(Unit.id).where(Unit.code == "HG"))}
    ids = {role: common | ({"report_id": unit_report.id} if role.startswith("unit_") else {}) for role in ROLES}
    return {"ids": ids, "plan_id": plan.id}


@pytest.fixture(scope="module")
def server(app, demo):
    with serving(app) as base:
        yield base


@pytest.fixture(scope="module")
def chromium(chromium_session):
    return chromium_session


#: pages whose id must be of a particular kind: endpoint → {argument: key of the demo ids}
SPECIAL_IDS = {"admin.unit_issuing_body": {"unit_id": "province_id"}}  # a province's letterhead: a root unit


def _pages_of(app, role: str, ids: dict) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET page the permission tables let the role open."""
    allowed = _allowed_roles_by_endpoint(app)
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.endpoint.startswith(EXCLUDED_PREFIXES):
            continue
        assert rule.endpoint in allowed, f"{rule.rule}: no permission row says who may open it"
        if role not in allowed[rule.endpoint]:
            continue
        missing = rule.arguments - ids.keys()
        assert not missing, f"{rule.rule}: give this test a demo id for {sorted(missing)}"
        with app.test_request_context():
            keys = SPECIAL_IDS.get(rule.endpoint, {})
            pages.append((rule.endpoint, url_for(rule.endpoint, **{a: ids[keys.get(a, a)] for a in rule.arguments})))
    return pages


#: cells whose whole text is a number (or a percentage) must say what they count on a phone
BARE_NUMBERS_JS = """() => [...document.querySelectorAll('table td')]
  .filter(td => td.offsetParent !== null && /^[\\s\\d.,%/+-]+$/.test(td.innerText) && /\\d/.test(td.innerText))
  .filter(td => { const c = getComputedStyle(td, '::before').content; return !c || c === 'none' || c === 'normal'; })
  .map(td => td.closest('table').className + ': ' + td.innerText.trim()).slice(0, 5)"""


#: the page's own content with the per-session form tokens taken out: two roles who get the same markup of a
#: page get the same axe result, so axe runs once for it (the whole page, header included, is checked then)
CONTENT_KEY_JS = """() => document.querySelector('main').innerHTML.replace(/<input[^>]*csrf_token[^>]*>/g, '')"""


def _check_page(page, where: str, axe_done: set | None = None) -> list[str]:
    """Problems of the page: axe violations at desktop width, overflow and bare numbers at phone width."""
    problems = []
    page.set_viewport_size(DESKTOP)
    key = (page.url, page.evaluate(CONTENT_KEY_JS))
    if axe_done is None or key not in axe_done:
        violations = axe_violations(page)
        if violations:
            problems.append(f"{where}: {describe(violations)}")
        if axe_done is not None:
            axe_done.add(key)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate(OVERFLOW_JS)
    if overflow > 2:
        problems.append(f"{where}: {overflow}px wider than a 375px phone")
    bare = page.evaluate(BARE_NUMBERS_JS)
    if bare:
        problems.append(f"{where}: numbers without their label at 375px: {bare}")
    page.set_viewport_size(DESKTOP)
    return problems


def test_login_and_error_pages_are_accessible(chromium, server):
    page = chromium.new_context(locale="vi-VN", viewport=DESKTOP).new_page()
    page.goto(f"{server}/login")
    problems = _check_page(page, "/login")
    response = page.goto(f"{server}/khong-co-trang-nay")
    assert response.status == 404
    problems += _check_page(page, "404")
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def axe_done() -> set:
    """(url, content) pairs axe has already checked, shared by the roles' tests."""
    return set()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_is_accessible_at_desktop_and_phone_width(app, demo, chromium, server, axe_done,
                                                                         role):
    page = login(chromium, server, ROLES[role], seed.DEMO_PASSWORD)
    pages = _pages_of(app, role, demo["ids"][role])
    assert len(pages) >= 8, pages
    problems = _check_page(page, f"{role} {page.url} (menu of the role)")
    for _endpoint, url in pages:
        response = page.goto(f"{server}{url}")
        assert response.status == 200, f"{role} {url}: {response.status}"
        assert response.headers["content-type"].startswith("text/html"), f"{url} is no page: add it to NOT_PAGES"
        problems += _check_page(page, f"{role} {url}", axe_done)
    page.context.close()
    assert not problems, f"{len(problems)} of {len(pages)} pages fail:\n" + "\n".join(problems)


def test_phone_menu_works_from_the_keyboard(chromium, server):
    page = login(chromium, server, ROLES["unit_officer"], seed.DEMO_PASSWORD, viewport=PHONE)
    page.goto(f"{server}/my")
    button = page.locator("header button[aria-controls]")
    menu = page.locator("#" + button.get_attribute("aria-controls"))
    links = menu.locator("a")
    assert not links.first.is_visible(), "the menu starts closed on a phone"
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-controls')"):
            break
    assert page.evaluate("document.activeElement.tagName") == "BUTTON", "Tab does not reach the menu button"
    assert button.get_attribute("aria-expanded") == "false"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused menu button shows no focus ring"
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert links.count() >= 4 and all(links.nth(i).is_visible() for i in range(links.count()))
    page.keyboard.press("Tab")
    assert page.evaluate(f"!!document.activeElement.closest('#{menu.get_attribute('id')}')"), \
        "Tab after opening does not go into the menu"
    reached = {page.evaluate("document.activeElement.getAttribute('href')")}
    for _ in range(links.count() - 1):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.getAttribute('href')"))
    assert {links.nth(i).get_attribute("href") for i in range(links.count())} <= reached
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert not links.first.is_visible()
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')"), "Escape leaves focus lost"
    page.keyboard.press("Space")
    assert button.get_attribute("aria-expanded") == "true"
    open_menu = axe_violations(page)
    assert not open_menu, describe(open_menu)
    page.set_viewport_size(DESKTOP)
    assert not button.is_visible() and links.first.is_visible(), "at desktop width the menu is always shown"
    page.context.close()


def test_the_bell_says_how_many_notifications_are_unread(chromium, server):
    page = login(chromium, server, ROLES["unit_officer"], seed.DEMO_PASSWORD)
    count = page.locator(".bell-count").evaluate("badge => badge.firstChild.textContent").strip()
    assert count.isdigit() and int(count) > 0
    bell = page.get_by_role("link", name=re.compile(rf"Thông báo\W+{count}\b.*chưa đọc"))
    assert bell.count() == 1, f"the bell's accessible name hides its unread count ({count})"
    page.context.close()


def test_dashboard_numbers_keep_their_labels_on_a_phone(chromium, server):
    page = login(chromium, server, ROLES["leader"], seed.DEMO_PASSWORD, viewport=PHONE)
    page.goto(f"{server}/dashboard")
    cells = page.evaluate("""() => [...document.querySelectorAll('table.list tbody td')]
      .filter(td => td.offsetParent !== null && !td.hasAttribute('colspan'))
      .map(td => [getComputedStyle(td, '::before').content, td.dataset.label || '', td.innerText.trim()])""")
    numeric = [(shown, label, text) for shown, label, text in cells if re.fullmatch(r"[\d.,]+%?", text)]
    assert len(numeric) >= 20, cells[:10]
    unlabelled = [text for shown, label, text in numeric if shown in ("none", "normal", "") or not label]
    assert not unlabelled, f"{len(unlabelled)} of {len(numeric)} numbers shown without their label: {unlabelled[:10]}"
    labels = {label for _shown, label, _text in numeric}
    assert {"Tổng", "Hoàn thành", "Đúng hạn", "Quá hạn", "Tỷ lệ HT"} <= labels, labels
    kpis = page.evaluate("""() => [...document.querySelectorAll('[data-kpi]')]
      .map(b => b.parentElement.innerText.replace(b.innerText, '').trim())""")
    assert kpis and all(kpis), f"a KPI number without its label: {kpis}"
    page.context.close()


def test_plan_tree_is_compact_on_a_phone_and_filters_still_work(chromium, server, demo):
    page = login(chromium, server, ROLES["office"], seed.DEMO_PASSWORD, viewport=PHONE)
    page.goto(f"{server}/plans/{demo['plan_id']}")
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"plan tree at 375 px: {height} px")
    assert height <= TREE_MAX_PHONE_HEIGHT, f"plan tree is {height}px tall at 375px"
    first_units = page.locator("article.activity details.units-fold").first
    assert not first_units.locator("table.units tbody tr").first.is_visible(), "thirty units fold behind a count"
    first_units.locator("summary").focus()
    page.keyboard.press("Enter")
    assert first_units.locator("table.units tbody tr").count() >= 20
    assert first_units.locator("table.units tbody tr").first.is_visible(), "the units open on demand"
    page.select_option("select[name=unit]", label="Sở Tư pháp")
    page.click("#filters button[type=submit]")
    page.wait_for_load_state()
    assert "unit=" in page.url
    unit_rows = page.locator("table.units tbody tr")
    assert unit_rows.count() >= 1
    assert all("Sở Tư pháp" in unit_rows.nth(i).inner_text() for i in range(unit_rows.count()))
    assert unit_rows.first.is_visible(), "a unit filter shows the matching units without another tap"
    page.context.close()
