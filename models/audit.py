"""Audit trail: who changed what, when, with the values before and after."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, db, utcnow
from .user import User


class AuditEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    #: verb: create, update, delete, submit, confirm, …
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40), index=True)
    entity_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: the sentence in Vietnamese as written at the time; shown for rows older than `message` (and unknown keys)
    summary: Mapped[str] = mapped_column(String(500), default="")
    #: key of tracker.messages.MESSAGES: the sentence, rendered in the reader's language
    message: Mapped[str] = mapped_column(String(60), default="", server_default="")
    #: the sentence's arguments (names, ISO dates, nested {"msg": key} labels)
    args: Mapped[dict] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    #: {"field": [before, after]}
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()
