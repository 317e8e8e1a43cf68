"""The audit log page: newest first, filters, local times dd/mm/yyyy HH:MM, before → after of each field."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from models import AuditEntry, Unit, User
from tests.permission_helpers import assert_permission, open_as, role_cases
from tests.responses import page_text
from tracker import clock

#: (method, url template, {role: expected}) — expected is an HTTP status, or "login" for a redirect to /login.
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/admin/audit", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403}),
]



def table_of(page: str) -> str:
    return page[page.index("<table"):page.index("</table>")]


def add_entry(db, at: datetime, summary: str, user: User | None = None, entity_type: str = "Unit",
              action: str = "update", changes: dict | None = None) -> AuditEntry:
    entry = AuditEntry(at=at, user_id=user.id if user else None, action=action, entity_type=entity_type,
                       entity_id=1, summary=summary, changes=changes or {})
    db.session.add(entry)
    db.session.commit()
    return entry


def clear_audit(db) -> None:
    """Forget the entries written while loading units and users, so the test's own entries are the log."""
    db.session.execute(delete(AuditEntry))
    db.session.commit()


@pytest.mark.parametrize(("method", "template", "role", "expected"), role_cases(ROUTE_PERMISSIONS))
def test_route_permissions(client, db, units, login_as, method, template, role, expected):
    response = open_as(client, login_as, role, method, template)
    assert_permission(response, expected)


def test_newest_first_with_local_time_and_field_changes(client, db, units, login_as):
    office = login_as("office")
    clear_audit(db)
    # 17:30 UTC is 00:30 the next day in Hà Nội (UTC+7)
    add_entry(db, datetime(2024, 3, 5, 17, 30, tzinfo=UTC), "Mục cũ hơn", office)
    add_entry(db, datetime(2024, 3, 6, 2, 0, tzinfo=UTC), "Mục mới hơn", office, changes={
        "name": ["Sở Tư pháp", "Sở Tư pháp tỉnh Hà Giang"],
        "valid_to": [None, "2025-06-30"],
        "successor_id": [None, units["HG-SNV"].id],
        "active": [True, False],
    })
    table = table_of(page_text(client.get("/admin/audit?entity=Unit")))
    assert table.index("Mục mới hơn") < table.index("Mục cũ hơn")
    assert "06/03/2024 00:30" in table and "06/03/2024 09:00" in table
    assert "Sở Tư pháp</span> → <span class=\"after\">Sở Tư pháp tỉnh Hà Giang" in table
    assert "—</span> → <span class=\"after\">30/06/2025" in table  # ISO dates shown dd/mm/yyyy
    assert f"HG-SNV · {units['HG-SNV'].name}" in table  # a unit id shown as the unit
    assert "có</span> → <span class=\"after\">không" in table
    assert office.full_name in table


def test_filters_by_entity_user_and_local_date_range(client, db, units, make_user, login_as):
    admin = login_as("admin")
    other = make_user("office", "HG-VPUB", username="nguoi-khac")
    clear_audit(db)
    add_entry(db, datetime(2024, 3, 5, 17, 30, tzinfo=UTC), "Đêm 06/03 giờ Hà Nội", admin)
    add_entry(db, datetime(2024, 3, 4, 10, 0, tzinfo=UTC), "Ngày 04/03", admin, entity_type="User")
    add_entry(db, datetime(2024, 3, 7, 10, 0, tzinfo=UTC), "Ngày 07/03 của người khác", other)

    table = table_of(page_text(client.get("/admin/audit?entity=User")))
    assert "Ngày 04/03" in table and "Đêm 06/03" not in table

    table = table_of(page_text(client.get(f"/admin/audit?user={other.id}")))
    assert "Ngày 07/03 của người khác" in table and "Ngày 04/03" not in table

    # a local day: 05/03 ends before 00:30 on 06/03 Hà Nội time
    table = table_of(page_text(client.get("/admin/audit?from=05/03/2024&to=05/03/2024")))
    assert "Không có mục nào" in table
    table = table_of(page_text(client.get("/admin/audit?from=06/03/2024&to=06/03/2024")))
    assert "Đêm 06/03 giờ Hà Nội" in table and "Ngày 07/03" not in table and "Ngày 04/03" not in table
    table = table_of(page_text(client.get("/admin/audit?from=2024-03-06")))
    assert "Ngày 07/03" in table and "Ngày 04/03" not in table


@pytest.mark.parametrize(("query", "message"), [
    ("from=31/02/2024", "Từ ngày: ngày «31/02/2024» không hợp lệ"),
    ("to=hôm qua", "Đến ngày: ngày «hôm qua» không hợp lệ"),
    ("from=10/03/2024&to=01/03/2024", "Đến ngày: không được trước «Từ ngày»"),
])
def test_bad_dates_get_a_message_and_are_ignored(client, db, units, login_as, query, message):
    admin = login_as("admin")
    clear_audit(db)
    add_entry(db, datetime(2024, 3, 5, 3, 0, tzinfo=UTC), "Vẫn hiện", admin)
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert message in page_text(response)
    assert "Vẫn hiện" in table_of(page_text(response))


def test_real_changes_show_up(client, db, units, login_as):
    """An edit made through the admin page appears on the audit page with its before and after."""
    login_as("admin")
    stp = units["HG-STP"]
    client.post(f"/admin/units/{stp.id}/end", data={"valid_to": "30/06/2025", "successor_id": units["HG"].id})
    table = table_of(page_text(client.get("/admin/audit")))
    assert f"đã kết thúc đơn vị HG-STP · {stp.name} từ ngày 30/06/2025; đơn vị kế thừa: HG · " in table
    assert "Ngày kết thúc" in table and "30/06/2025" in table
    assert f"HG · {units['HG'].name}" in table
    assert clock.today().strftime("%d/%m/%Y") in table or (clock.today() + timedelta(days=1)).strftime(
        "%d/%m/%Y") in table


def test_paginates_and_query_count_does_not_grow(client, db, units, make_user, login_as, count_queries):
    admin = login_as("admin")
    actors = [admin] + [make_user("office", "HG-VPUB") for _ in range(4)]
    clear_audit(db)
    unit_ids = list(db.session.scalars(select(Unit.id).limit(5)))
    start = datetime(2024, 1, 1, tzinfo=UTC)

    def add(count: int, offset: int) -> None:
        for index in range(count):
            actor = actors[index % len(actors)]
            db.session.add(AuditEntry(at=start + timedelta(minutes=offset + index), user_id=actor.id,
                                      action="update", entity_type="Unit", entity_id=unit_ids[index % 5],
                                      summary=f"Mục {offset + index}",
                                      changes={"parent_id": [unit_ids[0], unit_ids[index % 5]],
                                               "kind_id": [1, 2]}))
        db.session.commit()

    add(3, 0)
    client.get("/admin/audit")
    with count_queries() as small:
        client.get("/admin/audit")
    add(40, 100)
    client.get("/admin/audit")  # the commit above expired the logged-in user; reload it outside the count
    with count_queries() as large:
        first = page_text(client.get("/admin/audit"))
    assert large.count == small.count, "\n---\n".join(large.statements) + "\n=====\n" + "\n---\n".join(
        small.statements)
    assert "Trang 1/2" in first
    assert "Mục 139" in first and "Mục 0<" not in first
    assert "Mục 0<" in page_text(client.get("/admin/audit?page=2"))
