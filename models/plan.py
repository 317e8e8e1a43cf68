"""Plans and directives: task groups → tasks → activities."""
from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import TimestampMixin, db

PLAN_KINDS = ("plan", "directive")


class Plan(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    #: "plan" (yearly control plan) or "directive" (a chair's letter); both are tracked the same way
    kind: Mapped[str] = mapped_column(String(20), default="plan")
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int] = mapped_column(Integer, index=True)
    issuer: Mapped[str] = mapped_column(String(255), default="")
    #: the issuing People's Committee; assignee names resolve among the units below it
    issuer_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    #: the source document: "Quyết định số 210/QĐ-UBND ngày 17/02/2023"
    doc_type: Mapped[str] = mapped_column(String(60), default="Quyết định")
    doc_number: Mapped[str] = mapped_column(String(60), default="")
    doc_date: Mapped[date | None] = mapped_column(Date)
    signer: Mapped[str] = mapped_column(String(200), default="")
    #: counts declared by the document, kept to show what the text lost
    declared_groups: Mapped[int | None] = mapped_column(Integer)
    declared_tasks: Mapped[int | None] = mapped_column(Integer)
    declared_activities: Mapped[int | None] = mapped_column(Integer)
    footnotes: Mapped[dict] = mapped_column(JSON, default=dict)
    #: activities the source text lost, as reported by the loader
    known_gaps: Mapped[list] = mapped_column(JSON, default=list)
    #: the original uploaded file, if the plan was imported
    source_filename: Mapped[str | None] = mapped_column(String(255))
    source_path: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)

    groups: Mapped[list["TaskGroup"]] = relationship(
        back_populates="plan", order_by="TaskGroup.position", cascade="all, delete-orphan"
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        """The document reference as officials write it."""
        if not self.doc_number:
            return ""
        when = f" ngày {self.doc_date:%d/%m/%Y}" if self.doc_date else ""
        return f"{self.doc_type} số {self.doc_number}{when}"

    def __repr__(self) -> str:
        return f"<Plan {self.code}>"


class TaskGroup(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    #: roman numeral as printed ("I", "II", …)
    number: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)
    declared_tasks: Mapped[int | None] = mapped_column(Integer)
    declared_activities: Mapped[int | None] = mapped_column(Integer)

    plan: Mapped[Plan] = relationship(back_populates="groups")
    tasks: Mapped[list["Task"]] = relationship(
        back_populates="group", order_by="Task.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<TaskGroup {self.number}>"


class Task(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("task_group.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)

    group: Mapped[TaskGroup] = relationship(back_populates="tasks")
    activities: Mapped[list["Activity"]] = relationship(
        back_populates="task", order_by="Activity.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Task {self.number}>"


class Activity(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    #: denormalised so plan-wide queries need no joins through the tree
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    #: "1.1", or the task's own number when the task is its own activity
    number: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    #: the product or target cell as written
    product: Mapped[str] = mapped_column(Text, default="")
    #: per-level targets {"province": "100%", "district": "60%", "commune": "30%"}
    targets: Mapped[dict] = mapped_column(JSON, default=dict)
    lead_text: Mapped[str] = mapped_column(Text, default="")
    coordinating_text: Mapped[str] = mapped_column(Text, default="")
    #: the deadline as written, its kind and the computed final due date
    deadline_text: Mapped[str] = mapped_column(String(255), default="")
    deadline_kind: Mapped[str] = mapped_column(String(20), default="date")
    due_date: Mapped[date] = mapped_column(Date, index=True)
    footnotes: Mapped[list] = mapped_column(JSON, default=list)
    #: accent-folded content for search
    search_text: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    task: Mapped[Task] = relationship(back_populates="activities")
    plan: Mapped[Plan] = relationship()
    assignments: Mapped[list["Assignment"]] = relationship(  # noqa: F821
        back_populates="activity", cascade="all, delete-orphan"
    )
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Activity {self.number}>"
