"""Two administrators saving the same unit or user at once: one save goes through, the other is told (409).

Two levels: the forms (both opened at the same version, posted at the same moment to the live threaded
server, each request on its own database connection), and the database itself (two sessions read the row,
the first commits, the second's UPDATE carries the old version and is refused).
"""

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry, Unit, User
from tests.live_support import http_login, post_at_once
from tests.responses import version_on_page
from tracker.services import accounts
from tracker.services import units as unit_service
from tracker.services.errors import ConflictError


def _opened_version(session: requests.Session, url: str) -> str:
    page = session.get(url)
    assert page.status_code == 200
    return version_on_page(page.text)


def _audit_count(db, entity_type: str, entity_id: int) -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(AuditEntry.id).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id, AuditEntry.action == "update")
    ).all())


# --- forms opened at the same version, saved at the same moment ---------------------------------------------

@pytest.mark.parametrize("attempt", range(3))
def test_two_simultaneous_unit_saves_one_wins_one_conflict(app, db, units, make_user, live_server, attempt):
    stp = units["HG-STP"]
    url = f"{live_server}/admin/units/{stp.id}/edit"
    sessions = [http_login(live_server, make_user("admin")) for _ in range(2)]
    versions = [_opened_version(session, url) for session in sessions]
    assert versions[0] == versions[1] == str(stp.version)
    names = ["Sở Tư pháp (bản của người thứ nhất)", "Sở Tư pháp (bản của người thứ hai)"]
    posts = [(session, url, {"code": "HG-STP", "name": name, "kind_id": stp.kind_id, "parent_id": stp.parent_id,
                             "aliases": "", "valid_from": "", "email": "", "version": version})
             for session, name, version in zip(sessions, names, versions, strict=True)]

    responses = post_at_once(posts)

    assert sorted(r.status_code for r in responses) == [302, 409], [r.status_code for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    loser = responses[1 - winner]
    assert "vừa được người khác sửa" in loser.text and "chưa được lưu" in loser.text
    db.session.expire_all()
    saved = db.session.get(Unit, stp.id)
    assert saved.name == names[winner]
    assert saved.version == int(versions[0]) + 1
    assert _audit_count(db, "Unit", stp.id) == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_simultaneous_user_saves_one_wins_one_conflict(app, db, units, make_user, live_server, attempt):
    target = make_user("unit_officer", "HG-STP", username="mot-nguoi-hai-admin")
    url = f"{live_server}/admin/users/{target.id}/edit"
    sessions = [http_login(live_server, make_user("admin")) for _ in range(2)]
    versions = [_opened_version(session, url) for session in sessions]
    assert versions[0] == versions[1] == str(target.version)
    emails = ["thu-nhat@sua.cung-luc", "thu-hai@sua.cung-luc"]
    posts = [(session, url, {"full_name": target.full_name, "email": email, "role": "unit_officer",
                             "unit_id": target.unit_id, "active": "y", "version": version})
             for session, email, version in zip(sessions, emails, versions, strict=True)]

    responses = post_at_once(posts)

    assert sorted(r.status_code for r in responses) == [302, 409], [r.status_code for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    loser = responses[1 - winner]
    assert "vừa được người khác sửa" in loser.text and "chưa được lưu" in loser.text
    db.session.expire_all()
    saved = db.session.get(User, target.id)
    assert saved.email == emails[winner]
    assert saved.version == int(versions[0]) + 1
    assert _audit_count(db, "User", target.id) == 1


# --- the database: both read the row, the first commits, the second UPDATE is refused ---------------------

def test_second_unit_update_with_the_old_version_is_refused_by_the_database(db, units, make_user):
    admin = make_user("admin")
    stp = db.session.get(Unit, units["HG-STP"].id)
    opened_at = stp.version
    with Session(db.engine) as other:  # another request, on its own connection
        theirs = other.get(Unit, stp.id)
        theirs.name = "Sở Tư pháp (lưu trước)"
        other.commit()
    # our form was opened at the same version, so the check before writing passes; the UPDATE itself must not
    values = {"code": "HG-STP", "name": "Sở Tư pháp (lưu sau)", "kind_id": stp.kind_id,
              "parent_id": stp.parent_id, "aliases": [], "valid_from": None, "email": None}
    with pytest.raises(ConflictError, match="vừa được người khác sửa"):
        unit_service.update_unit(admin, stp, values, expected_version=opened_at)
    db.session.rollback()
    assert db.session.get(Unit, stp.id).name == "Sở Tư pháp (lưu trước)"
    assert db.session.get(Unit, stp.id).version == opened_at + 1
    assert _audit_count(db, "Unit", stp.id) == 0  # the other writer did not go through the service


def test_second_user_update_with_the_old_version_is_refused_by_the_database(db, units, make_user):
    admin = make_user("admin")
    target = make_user("unit_officer", "HG-STP", username="hai-phien")
    target = db.session.get(User, target.id)
    opened_at = target.version
    with Session(db.engine) as other:
        theirs = other.get(User, target.id)
        theirs.email = "luu-truoc@sua.cung-luc"
        other.commit()
    with pytest.raises(ConflictError, match="vừa được người khác sửa"):
        accounts.update_user(admin, target, full_name=target.full_name, email="luu-sau@sua.cung-luc",
                             role="unit_officer", unit_id=target.unit_id, active=True, expected_version=opened_at)
    db.session.rollback()
    assert db.session.get(User, target.id).email == "luu-truoc@sua.cung-luc"
    assert db.session.get(User, target.id).version == opened_at + 1


def test_own_preferences_saved_after_an_administrators_save_are_refused_not_lost(db, units, make_user):
    """The account page has no version field (only its owner edits it there), but the UPDATE still carries one."""
    me = db.session.get(User, make_user("unit_officer", "HG-STP", username="tu-sua").id)
    with Session(db.engine) as other:  # an administrator locks the account meanwhile
        other.get(User, me.id).active = False
        other.commit()
    with pytest.raises(ConflictError, match="vừa được người khác sửa"):
        accounts.update_preferences(me, locale="en", email_enabled=False, digest=False)
    db.session.rollback()
    saved = db.session.get(User, me.id)
    assert (saved.active, saved.locale) == (False, None)
