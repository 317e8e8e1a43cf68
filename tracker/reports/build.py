"""Lay out assembled figures as a Document: the year-end report and the results notice (Decree 30 wording).

No database and no Flask here: the input is tracker.services.reports' YearReportData / NoticeData and the
office's narrative (a dict of texts), the output a Document for the PDF, Word and Excel renderers.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from tracker import clock
from tracker.domain.formatting import fmt_date, fmt_decimal, fmt_int, fmt_percent
from tracker.domain.status import Rollup, Status, status_label
from tracker.reports.document import Appendix, Block, Chart, Column, Document, Header, Signature, Table

if TYPE_CHECKING:  # the services import the models; this module stays free of them at run time
    from tracker.services.reports import LevelScores, NoticeData, ScoreRow, ScoreSection, YearReportData

#: text width on A4 with the Decree 30 margins used (210 − 30 − 15 mm)
TEXT_WIDTH_MM = 165
#: status columns of the execution tables, in the order officials read them
STATUS_COLUMNS: tuple[tuple[tuple[Status, ...], str, str], ...] = (
    ((Status.DONE_ON_TIME,), "Hoàn thành đúng hạn", "HT đúng hạn"),
    ((Status.DONE_LATE,), "Hoàn thành quá hạn", "HT quá hạn"),
    ((Status.IN_PROGRESS,), "Đang thực hiện trong hạn", "Đang TH trong hạn"),
    ((Status.OVERDUE,), "Quá hạn chưa hoàn thành", "Quá hạn chưa HT"),
    ((Status.NOT_STARTED,), "Chưa thực hiện", "Chưa TH"),
    ((Status.AWAITING, Status.RETURNED), "Chờ xác nhận, bị trả lại", "Chờ XN, trả lại"),
)
#: the abbreviations of the appendix headers, spelled out under each table
ABBREVIATIONS = "Ghi chú: HT: hoàn thành; TH: thực hiện; XN: xác nhận."
RESPONSIBILITY_LABELS = {"lead": "Chủ trì", "coordinating": "Phối hợp"}
#: the row of Bảng 1 for activities the plan's text gives to no unit (no assignment, so no status)
UNASSIGNED_LABEL = "Không giao cơ quan, đơn vị thực hiện (không tính tỷ lệ)"
#: activity labels listed per unit in Phụ lục 03 before "và N hoạt động khác"
LABELS_PER_CELL = 30


# ------------------------------------------------------------------------------------------- helpers


def long_date(day: date) -> str:
    """Decree 30 date: "ngày 05 tháng 02 năm 2025" (days below 10 and months 1–2 take a leading zero)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_date(place: str, doc_date: str | None, year: int) -> str:
    """"X, ngày 17 tháng 5 năm 2023" (X: the province's place), or blanks to fill in by hand when the date is
    not known yet."""
    if doc_date:
        try:
            day, month, year_text = (int(part) for part in doc_date.strip().split("/"))
            return f"{place}, {long_date(date(year_text, month, day))}"
        except ValueError:
            pass
    return f"{place}, ngày … tháng … năm {year}"


def _pct(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole) if whole else Decimal(0)


def _status_count(rollup: Rollup, statuses: tuple[Status, ...]) -> int:
    return sum(rollup.counts[status] for status in statuses)


def _text(narrative: dict, key: str) -> str:
    return str(narrative.get(key) or "").strip()


def _lines(text: str) -> list[str]:
    return [line.strip().lstrip("-–•").strip() for line in (text or "").splitlines() if line.strip()]


def _short(text: str, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _narrative_blocks(text: str) -> list[Block]:
    return [Block("paragraph", text=line, narrative=True) for line in _lines(text)]


def _numbering(count: int) -> list[str]:
    return ["A", "B"] + [str(index) for index in range(1, count - 1)]


# ----------------------------------------------------------------------------------------- year report


def _status_table(data: YearReportData) -> Table:
    rows = []
    for statuses, label, _short_label in STATUS_COLUMNS:
        assignments = _status_count(data.totals, statuses)
        activities = _status_count(data.activity_totals, statuses)
        rows.append([label, activities, assignments, _pct(assignments, data.totals.total)])
    if data.unassigned:
        rows.append([UNASSIGNED_LABEL, len(data.unassigned), 0, Decimal(0)])
    rows.append(["Tổng số", data.activity_totals.total + len(data.unassigned), data.totals.total, Decimal(100)])
    return Table("B1", "Bảng 1. Kết quả thực hiện theo trạng thái",
                 [Column("Trạng thái", 75), Column("Số hoạt động", 30, "int"), Column("Số lượt phân công", 30, "int"),
                  Column("Tỷ lệ lượt (%)", 30, "pct", 1)], rows, bold_rows=[len(rows) - 1])


def _group_table(data: YearReportData) -> Table:
    rows = []
    multi = len(data.plans) > 1
    for group in data.groups:
        name = f"{group.number}. {group.title}" + (f" ({group.plan_code})" if multi else "")
        r = group.rollup
        rows.append([name, r.total, r.done_on_time, r.done_late, r.overdue, Decimal(str(r.on_time_rate)),
                     Decimal(str(r.completion_rate))])
    return Table("B2", "Bảng 2. Kết quả thực hiện theo nhóm nhiệm vụ",
                 [Column("Nhóm nhiệm vụ", 63), Column("Tổng số lượt", 17, "int"),
                  Column("Hoàn thành đúng hạn", 17, "int"),
                  Column("Hoàn thành quá hạn", 17, "int"), Column("Quá hạn chưa hoàn thành", 17, "int"),
                  Column("Tỷ lệ đúng hạn (%)", 17, "pct", 1), Column("Tỷ lệ hoàn thành (%)", 17, "pct", 1)], rows)


def _execution_columns(first: list[Column]) -> list[Column]:
    used = sum(column.width for column in first)
    rest = TEXT_WIDTH_MM - used
    width = round(rest / (len(STATUS_COLUMNS) + 3), 1)
    columns = list(first) + [Column("Tổng số lượt", width, "int")]
    columns += [Column(short, width, "int") for _statuses, _label, short in STATUS_COLUMNS]
    columns += [Column("Tỷ lệ đúng hạn (%)", width, "pct", 1), Column("Tỷ lệ HT (%)", width, "pct", 1)]
    return columns


def _execution_cells(rollup: Rollup) -> list:
    return ([rollup.total] + [_status_count(rollup, statuses) for statuses, _label, _short in STATUS_COLUMNS]
            + [Decimal(str(round(rollup.on_time_rate, 4))), Decimal(str(round(rollup.completion_rate, 4)))])


def _activities_appendix_table(data: YearReportData) -> Table:
    rows, bold = [], []
    groups = {(group.plan_code, group.number): group for group in data.groups}
    current = None
    for activity in data.activities:
        group_number = activity.label.split(".")[0]
        key = (activity.plan_code, group_number)
        if key != current and key in groups:
            current = key
            bold.append(len(rows))
            group = groups[key]
            rows.append([group.number, group.title, ""] + _execution_cells(group.rollup))
        deadline = activity.deadline_text or fmt_date(activity.due_date)
        rows.append([activity.label, _short(activity.content, 220), deadline]
                    + _execution_cells(activity.rollup))
    bold.append(len(rows))
    rows.append(["", "Tổng cộng", ""] + _execution_cells(data.totals))
    columns = _execution_columns([Column("STT", 11), Column("Nội dung", 46), Column("Thời hạn", 18)])
    note = ABBREVIATIONS
    if data.unassigned:
        note += (f" Không có trong bảng: {len(data.unassigned)} hoạt động văn bản không giao cơ quan, đơn vị thực "
                 f"hiện ({', '.join(data.unassigned)}).")
    return Table("PL01", "Kết quả thực hiện theo nhóm nhiệm vụ và hoạt động", columns, rows,
                 numbering=_numbering(len(columns)), bold_rows=bold, note=note)


def _units_appendix_table(data: YearReportData) -> Table:
    rows = [[index, unit.name] + _execution_cells(unit.rollup) for index, unit in enumerate(data.units, start=1)]
    rows.append(["", "Tổng cộng"] + _execution_cells(data.totals))
    columns = _execution_columns([Column("STT", 9, "int"), Column("Tên cơ quan, đơn vị", 56)])
    return Table("PL02", "Kết quả thực hiện theo cơ quan, đơn vị (xếp theo tỷ lệ hoàn thành đúng hạn)", columns, rows,
                 numbering=_numbering(len(columns)), bold_rows=[len(rows) - 1], note=ABBREVIATIONS)


def _label_list(labels: list[str]) -> str:
    """At most LABELS_PER_CELL labels, then how many more: a unit late on everything would fill pages."""
    if len(labels) <= LABELS_PER_CELL:
        return ", ".join(labels)
    return ", ".join(labels[:LABELS_PER_CELL]) + f" và {len(labels) - LABELS_PER_CELL} hoạt động khác"


def _issues_appendix_table(data: YearReportData) -> Table:
    rows = [[index, issue.name, len(issue.overdue), _label_list(issue.overdue), len(issue.late),
             _label_list(issue.late)] for index, issue in enumerate(data.issues, start=1)]
    columns = [Column("STT", 9, "int"), Column("Tên cơ quan, đơn vị", 44), Column("Số hoạt động quá hạn", 16, "int"),
               Column("Các hoạt động quá hạn chưa hoàn thành", 40),
               Column("Số hoạt động hoàn thành quá hạn", 16, "int"),
               Column("Các hoạt động hoàn thành quá hạn", 40)]
    return Table("PL03", "Hoạt động quá hạn và hoàn thành quá hạn theo cơ quan, đơn vị", columns, rows,
                 numbering=_numbering(len(columns)))


def _unit_lines_table(data: YearReportData) -> Table:
    rows = []
    for line in data.unit_lines:
        when = fmt_date(line.due) + (f" ({line.period_label})" if line.period_label else "")
        rows.append([line.label, _short(line.content, 200),
                     RESPONSIBILITY_LABELS.get(line.responsibility, line.responsibility), when,
                     status_label(line.status), fmt_date(line.completed_on)])
    columns = [Column("Hoạt động", 15), Column("Nội dung", 62), Column("Vai trò", 17), Column("Thời hạn", 24),
               Column("Trạng thái", 25), Column("Ngày hoàn thành", 22)]
    return Table("PL01", "Nhiệm vụ được giao và kết quả thực hiện", columns, rows, numbering=_numbering(len(columns)))


def _rank_text(row: ScoreRow, size: int | None = None) -> str:
    if row.published_rank:
        return row.published_rank
    if row.rank is None:
        return ""
    return f"{row.rank}/{size}" if size else str(row.rank)


def _score_level_table(code: str, section: ScoreSection, level: LevelScores, with_previous: bool = True) -> Table:
    nodes = section.nodes
    has_values = any(row.values for row in level.rows)
    has_previous = with_previous and any(row.previous_total is not None for row in level.rows)
    node_columns = [Column(f"{name} ({fmt_decimal(maximum, 0)})", 12, "dec", 1) for _code, name, maximum in nodes] \
        if has_values else []
    tail = [Column("Tổng điểm", 14, "dec", 2), Column("Xếp loại", 19)]
    if has_previous:
        tail += [Column(f"Tổng điểm {section.previous_text}", 14, "dec", 2), Column("Tăng/giảm (điểm)", 13, "dec", 2)]
    used = 9 + sum(c.width for c in node_columns) + sum(c.width for c in tail)
    columns = [Column("Xếp hạng", 9), Column("Tên đơn vị", TEXT_WIDTH_MM - used)] + node_columns + tail
    rows = []
    for row in level.rows:
        cells: list = ["" if row.rank is None else str(row.rank), row.name]
        cells += [row.values.get(node_code) for node_code, _name, _max in nodes] if has_values else []
        cells += [row.total, row.band]
        if has_previous:
            change = (row.total - row.previous_total) if row.total is not None and row.previous_total is not None \
                else None
            cells += [row.previous_total, change]
        rows.append(cells)
    numbering = ["A", "B"] + [str(i) for i in range(1, len(node_columns) + 1)]
    if has_values:
        numbering.append(f"{len(node_columns) + 1}=" + "+".join(str(i) for i in range(1, len(node_columns) + 1)))
    else:
        numbering.append("1")
    numbering += ["C"] + (["D", "E"] if has_previous else [])
    return Table(code, f"Kết quả {section.framework_name} {section.period_text} của {level.subject}", columns, rows,
                 numbering=numbering)


def _province_score_table(code: str, section: ScoreSection, row: ScoreRow) -> Table:
    node_columns = [Column(name, 14, "dec", 2) for _c, name, _m in section.nodes]
    tail = [Column("Tổng điểm", 15, "dec", 2), Column("Xếp loại", 15), Column("Xếp hạng", 14),
            Column(f"Tăng/giảm so với {section.previous_text}", 16)]
    used = sum(c.width for c in node_columns) + sum(c.width for c in tail)
    columns = [Column("Tên đơn vị", TEXT_WIDTH_MM - used)] + node_columns + tail
    cells = [row.name] + [row.values.get(node_code) for node_code, _n, _m in section.nodes]
    cells += [row.total, row.band, _rank_text(row), row.rank_change]
    return Table(code, f"Kết quả {section.framework_name} {section.period_text} của {row.name}", columns, [cells])


def _lost_table(section: ScoreSection) -> Table:
    rows = [[item.name, item.max, item.average, item.max - item.average,
             "; ".join(f"{name} ({fmt_decimal(lost, 1)})" for name, lost in item.worst)] for item in section.lost]
    return Table("B3", "Bảng 3. Điểm bị mất theo nhóm chỉ số",
                 [Column("Nhóm chỉ số", 42), Column("Điểm tối đa", 16, "dec", 0),
                  Column("Điểm bình quân", 18, "dec", 2),
                  Column("Điểm mất bình quân", 18, "dec", 2), Column("Đơn vị mất nhiều điểm nhất (điểm mất)", 71)],
                 rows)


def _score_sentence(row: ScoreRow, section: ScoreSection, subject: str) -> str:
    text = (f"{section.period_text.capitalize()}, {subject} đạt {fmt_decimal(row.total)}/"
            f"{fmt_decimal(section.max_total, 0)} điểm")
    if row.band:
        text += f", xếp loại {row.band}"
    rank = _rank_text(row)
    if rank:
        text += f", xếp hạng {rank}"
    extra = []
    if row.rank_change:
        extra.append(f"{row.rank_change[0].lower()}{row.rank_change[1:]} so với {section.previous_text}")
    if row.previous_total is not None and row.total is not None:
        delta = row.total - row.previous_total
        direction = "tăng" if delta > 0 else "giảm" if delta < 0 else "không đổi"
        extra.append(f"{section.previous_text} đạt {fmt_decimal(row.previous_total)} điểm, {direction}"
                     + (f" {fmt_decimal(abs(delta))} điểm" if delta else ""))
    return text + (f" ({'; '.join(extra)})" if extra else "") + "."


def _scores_part(data: YearReportData, blocks: list[Block], appendices: list[tuple[str, list[Block]]]) -> None:
    section = data.scores
    if section is None:
        blocks.append(Block("paragraph", text=data.score_note))
        return
    if data.unit is not None:
        for level in section.levels:
            for row in level.rows:
                blocks.append(Block("paragraph", text=_score_sentence(row, section, row.name)))
    else:
        blocks.append(Block("heading", text="1. Kết quả chung của tỉnh", level=2))
        if section.province:
            blocks.append(Block("paragraph", text=_score_sentence(section.province, section, "Chỉ số của tỉnh")))
            appendices.append((f"Kết quả {section.framework_name} {section.period_text} của tỉnh",
                               [Block("table", table=_province_score_table("PL04", section, section.province))]))
        else:
            blocks.append(Block("paragraph", text=f"Chưa có kết quả chung của tỉnh {section.period_text}."))
        blocks.append(Block("heading", text="2. Kết quả của các cơ quan, đơn vị", level=2))
        for level in section.levels:
            blocks.append(Block("paragraph", text=f"{level.label}:"))
            blocks += [Block("bullet", text=phrase + ".") for _band, _count, _total, phrase in level.summary]
            totals = [row.total for row in level.rows if row.total is not None]
            previous = [row.previous_total for row in level.rows if row.previous_total is not None]
            if totals:
                sentence = f"Điểm bình quân {fmt_decimal(sum(totals) / len(totals))} điểm"
                if previous:
                    sentence += f" ({section.previous_text}: {fmt_decimal(sum(previous) / len(previous))} điểm)"
                up = sum(1 for row in level.rows if row.total is not None and row.previous_total is not None
                         and row.total > row.previous_total)
                down = sum(1 for row in level.rows if row.total is not None and row.previous_total is not None
                           and row.total < row.previous_total)
                if previous:
                    sentence += f"; {up} đơn vị tăng điểm, {down} đơn vị giảm điểm"
                blocks.append(Block("bullet", text=sentence + "."))
            code = f"PL{len(appendices) + 4:02d}"
            appendices.append((f"Kết quả {section.framework_name} {section.period_text} của {level.subject}",
                               [Block("table", table=_score_level_table(code, section, level))]))
    if section.lost:
        blocks.append(Block("heading", text="3. Điểm bị mất và đơn vị để mất điểm" if data.unit is None
                            else "Điểm bị mất theo nhóm chỉ số", level=2))
        worst = section.lost[0]
        blocks.append(Block("paragraph", text=(
            f"Nhóm chỉ số bị mất nhiều điểm nhất là «{worst.name}»: bình quân đạt {fmt_decimal(worst.average)}/"
            f"{fmt_decimal(worst.max, 0)} điểm, mất {fmt_decimal(worst.max - worst.average)} điểm.")))
        blocks.append(Block("table", table=_lost_table(section)))
        blocks.append(Block("chart", chart=Chart(
            "BD3", "Biểu đồ 3. Điểm bình quân so với điểm tối đa theo nhóm chỉ số",
            [item.name for item in section.lost],
            [("Điểm tối đa", [float(item.max) for item in section.lost]),
             ("Điểm bình quân", [float(round(item.average, 2)) for item in section.lost])])))


def _shortcomings_part(data: YearReportData, blocks: list[Block]) -> None:
    overdue_units = [issue for issue in data.issues if issue.overdue]
    late_units = [issue for issue in data.issues if issue.late]
    blocks.append(Block("heading", text="1. Nhiệm vụ quá hạn chưa hoàn thành", level=2))
    if data.totals.overdue:
        names = "; ".join(f"{issue.name} ({len(issue.overdue)} hoạt động)" for issue in overdue_units[:8])
        more = f" và {len(overdue_units) - 8} đơn vị khác" if len(overdue_units) > 8 else ""
        blocks.append(Block("paragraph", text=(
            f"Còn {fmt_int(data.totals.overdue)} lượt nhiệm vụ quá hạn chưa hoàn thành của {len(overdue_units)} "
            f"cơ quan, đơn vị; nhiều nhất: {names}{more}. Chi tiết tại Phụ lục 03.")))
    else:
        blocks.append(Block("paragraph", text="Không có nhiệm vụ quá hạn chưa hoàn thành."))
    blocks.append(Block("heading", text="2. Nhiệm vụ hoàn thành nhưng chưa đảm bảo tiến độ", level=2))
    if data.totals.done_late:
        names = "; ".join(f"{issue.name} ({len(issue.late)})" for issue in late_units[:8])
        more = f" và {len(late_units) - 8} đơn vị khác" if len(late_units) > 8 else ""
        blocks.append(Block("paragraph", text=(
            f"Có {fmt_int(data.totals.done_late)} lượt nhiệm vụ hoàn thành quá hạn của {len(late_units)} cơ quan, "
            f"đơn vị: {names}{more}.")))
    else:
        blocks.append(Block("paragraph", text="Không có nhiệm vụ hoàn thành quá hạn."))
    blocks.append(Block("heading", text="3. Đơn vị chưa cập nhật tiến độ", level=2))
    if data.stale:
        described = [f"{item.name} ({item.open_count} nhiệm vụ; "
                     + (f"cập nhật lần cuối {fmt_date(item.last_update)})" if item.last_update
                        else "chưa cập nhật lần nào)") for item in data.stale[:15]]
        more = f" và {len(data.stale) - 15} đơn vị khác" if len(data.stale) > 15 else ""
        blocks.append(Block("paragraph", text=(
            f"Có {len(data.stale)} cơ quan, đơn vị còn nhiệm vụ đang thực hiện nhưng không cập nhật tiến độ từ "
            f"{data.stale_days} ngày trở lên (tính đến ngày {fmt_date(data.as_of)}): {'; '.join(described)}{more}.")))
    else:
        blocks.append(Block("paragraph", text=(
            f"Các cơ quan, đơn vị đều cập nhật tiến độ trong {data.stale_days} ngày gần nhất.")))
    if data.bottlenecks:
        blocks.append(Block("heading", text="4. Điểm nghẽn", level=2))
        blocks.append(Block("paragraph", text=(
            "Các hoạt động có nhiều cơ quan, đơn vị quá hạn nhất (điểm nghẽn cần tập trung chỉ đạo):")))
        rows = [[item.label, _short(item.content, 160), item.units, item.overdue_units, item.overdue_periods,
                 item.late_units] for item in data.bottlenecks]
        blocks.append(Block("table", table=Table(
            "B4", "Bảng 4. Hoạt động có nhiều đơn vị quá hạn nhất",
            [Column("Hoạt động", 16), Column("Nội dung", 73), Column("Số đơn vị được giao", 19, "int"),
             Column("Số đơn vị quá hạn", 19, "int"), Column("Số lượt quá hạn (đơn vị × kỳ)", 19, "int"),
             Column("Số đơn vị hoàn thành quá hạn", 19, "int")], rows,
            note="Ghi chú: mỗi đơn vị được tính một lần; hoạt động định kỳ (hằng tháng, hằng quý, thường xuyên) "
                 "giao mỗi đơn vị một lượt cho mỗi kỳ, nên số lượt quá hạn có thể lớn hơn số đơn vị.")))


def _scope_sentence(data: YearReportData) -> str:
    """What the figures count: the plans' tree as the plan page shows it, units as distinct units, assignments
    (unit × period) as "lượt", and which activities are left out and why."""
    totals = data.totals
    if data.unit:
        return (f"Các kế hoạch, văn bản được tổng hợp gồm {data.group_count} nhóm nhiệm vụ, {data.task_count} "
                f"nhiệm vụ, {data.activity_count} hoạt động; {data.unit[1]} được giao {fmt_int(totals.total)} lượt "
                "nhiệm vụ (chủ trì hoặc phối hợp; hoạt động định kỳ tính mỗi kỳ một lượt).")
    text = (f"Các kế hoạch, văn bản được tổng hợp gồm {data.group_count} nhóm nhiệm vụ, {data.task_count} nhiệm vụ, "
            f"{data.plan_activity_count} hoạt động; giao {fmt_int(totals.total)} lượt nhiệm vụ cho {data.unit_count} "
            f"cơ quan, đơn vị ở {data.activity_count} hoạt động (mỗi đơn vị một lượt cho mỗi hoạt động, mỗi kỳ "
            "một lượt đối với hoạt động định kỳ).")
    if data.unassigned:
        text += (f" {len(data.unassigned)} hoạt động không tính vào số liệu thực hiện vì văn bản không giao cơ quan, "
                 f"đơn vị nào chủ trì thực hiện: {', '.join(data.unassigned)}.")
    return text


def _plan_sentence(data: YearReportData) -> str:
    refs = []
    for plan in data.plans:
        refs.append(f"{plan.reference} ({plan.title})" if plan.reference else plan.title)
    return "; ".join(refs)


def build_year_document(data: YearReportData, narrative: dict | None = None) -> Document:
    """The year-end report (or a unit's report) as a Document."""
    narrative = narrative or {}
    year = data.settings.year
    committee, committee_short = data.issuer.issuer, data.issuer.parent_line
    if data.unit:
        parent, issuer = committee_short, data.unit[1].upper()
        default_title = f"Kết quả thực hiện nhiệm vụ được giao năm {year} của {data.unit[1]}"
        subject = data.unit[1]
    else:
        parent, issuer = "", committee
        default_title = (f"Tổng kết thực hiện {data.plans[0].title}" if len(data.plans) == 1
                         else f"Tổng kết thực hiện các kế hoạch, văn bản chỉ đạo năm {year}")
        subject = "Ủy ban nhân dân tỉnh"
    today_year = data.as_of.year
    # a department signs with its own symbol: HG-STP → …/BC-STP
    symbol = f"…/BC-{data.unit[0].split('-')[-1]}" if data.unit else data.issuer.number()
    header = Header(parent_body=parent, issuer=issuer, number=f"Số: {_text(narrative, 'number') or symbol}",
                    place_date=place_date(data.issuer.place, _text(narrative, "doc_date"), today_year),
                    doc_type="BÁO CÁO",
                    title=_text(narrative, "title") or default_title)
    body: list[Block] = []
    body += _narrative_blocks(_text(narrative, "intro")) or [Block("paragraph", text=(
        f"Thực hiện {_plan_sentence(data)}, {subject} báo cáo kết quả thực hiện năm {year} như sau:"))]

    # I. plan execution
    totals = data.totals
    body.append(Block("heading", text="I. KẾT QUẢ THỰC HIỆN KẾ HOẠCH", level=1))
    body.append(Block("heading", text="1. Tình hình chung", level=2))
    body.append(Block("paragraph", text=_scope_sentence(data)))
    parts = [f"{label.lower()} {fmt_int(_status_count(totals, statuses))} lượt "
             f"({fmt_percent(_pct(_status_count(totals, statuses), totals.total))})"
             for statuses, label, _short in STATUS_COLUMNS if _status_count(totals, statuses)]
    body.append(Block("paragraph", text=(
        f"Tính đến ngày {fmt_date(data.as_of)}: {'; '.join(parts)}. Tỷ lệ hoàn thành đúng hạn đạt "
        f"{fmt_percent(totals.on_time_rate)}; tỷ lệ hoàn thành đạt {fmt_percent(totals.completion_rate)}.")))
    acts = data.activity_totals
    body.append(Block("paragraph", text=(
        f"Về hoạt động: {acts.done}/{acts.total} hoạt động được giao đã được tất cả các đơn vị hoàn thành "
        f"({acts.done_on_time} đúng hạn, {acts.done_late} có đơn vị hoàn thành quá hạn); {acts.overdue} hoạt động "
        f"còn đơn vị quá hạn chưa hoàn thành.")))
    for plan in data.plans:
        if plan.known_gaps:
            gaps = ", ".join(str(gap.get("number", gap)) if isinstance(gap, dict) else str(gap)
                             for gap in plan.known_gaps)
            body.append(Block("note", text=(
                f"Ghi chú: văn bản {plan.code} thiếu {len(plan.known_gaps)} mục so với số lượng công bố ({gaps}); "
                "các mục này không có trong số liệu.")))
    body.append(Block("table", table=_status_table(data)))
    body.append(Block("chart", chart=Chart(
        "BD1", "Biểu đồ 1. Số lượt nhiệm vụ theo trạng thái", [label for _s, label, _short in STATUS_COLUMNS],
        [("Số lượt", [_status_count(totals, statuses) for statuses, _label, _short in STATUS_COLUMNS])],
        kind="hbar")))
    body.append(Block("heading", text="2. Kết quả theo nhóm nhiệm vụ", level=2))
    body.append(Block("table", table=_group_table(data)))
    if len(data.groups) > 1:
        body.append(Block("chart", chart=Chart(
            "BD2", "Biểu đồ 2. Tỷ lệ hoàn thành theo nhóm nhiệm vụ (%)", [f"Nhóm {g.number}" for g in data.groups],
            [("Tỷ lệ đúng hạn", [round(g.rollup.on_time_rate, 1) for g in data.groups]),
             ("Tỷ lệ hoàn thành", [round(g.rollup.completion_rate, 1) for g in data.groups])], unit="%")))
    if not data.unit and len(data.units) > 1:
        body.append(Block("heading", text="3. Kết quả theo cơ quan, đơn vị", level=2))
        best = [u for u in data.units if u.rollup.total][:5]
        worst = sorted(data.units, key=lambda u: (u.rollup.on_time_rate, -u.rollup.overdue, u.name))[:5]
        body.append(Block("paragraph", text=(
            "Các đơn vị có tỷ lệ hoàn thành đúng hạn cao nhất: "
            + "; ".join(f"{u.name} ({fmt_percent(u.rollup.on_time_rate)})" for u in best) + ". Các đơn vị có tỷ lệ thấp"
            " nhất: " + "; ".join(f"{u.name} ({fmt_percent(u.rollup.on_time_rate)}, {u.rollup.overdue} lượt quá hạn)"
                                  for u in worst) + ". Chi tiết tại Phụ lục 02.")))
    if _text(narrative, "plan_assessment"):
        body.append(Block("heading", text="Đánh giá chung", level=3))
        body += _narrative_blocks(_text(narrative, "plan_assessment"))

    # II. indicators
    body.append(Block("heading", text="II. KẾT QUẢ CÁC CHỈ SỐ", level=1))
    score_appendices: list[tuple[str, list[Block]]] = []
    _scores_part(data, body, score_appendices)
    body += _narrative_blocks(_text(narrative, "indicators_assessment"))

    # III. shortcomings
    body.append(Block("heading", text="III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", level=1))
    _shortcomings_part(data, body)
    if _text(narrative, "causes"):
        body.append(Block("heading", text="Nguyên nhân", level=3))
        body += _narrative_blocks(_text(narrative, "causes"))
    if _text(narrative, "next_steps"):
        body.append(Block("heading", text="IV. NHIỆM VỤ, GIẢI PHÁP THỜI GIAN TỚI", level=1))
        body += _narrative_blocks(_text(narrative, "next_steps"))
    body.append(Block("paragraph", text=f"Trên đây là báo cáo kết quả thực hiện năm {year} của {subject}./."))

    cited = f"(Kèm theo Báo cáo {header.number.removeprefix('Số: ')} của {subject})"
    appendices: list[Appendix] = []
    if data.unit:
        appendices.append(Appendix("PHỤ LỤC 01", "NHIỆM VỤ ĐƯỢC GIAO VÀ KẾT QUẢ THỰC HIỆN", cited,
                                   [Block("table", table=_unit_lines_table(data))]))
    else:
        appendices.append(Appendix("PHỤ LỤC 01", "KẾT QUẢ THỰC HIỆN THEO NHÓM NHIỆM VỤ VÀ HOẠT ĐỘNG", cited,
                                   [Block("table", table=_activities_appendix_table(data))]))
        appendices.append(Appendix("PHỤ LỤC 02", "KẾT QUẢ THỰC HIỆN THEO CƠ QUAN, ĐƠN VỊ", cited,
                                   [Block("table", table=_units_appendix_table(data))]))
        appendices.append(Appendix("PHỤ LỤC 03", "HOẠT ĐỘNG QUÁ HẠN VÀ HOÀN THÀNH QUÁ HẠN THEO ĐƠN VỊ", cited,
                                   [Block("table", table=_issues_appendix_table(data))] if data.issues else
                                   [Block("paragraph", text="Không có hoạt động quá hạn hay hoàn thành quá hạn.")]))
        for index, (title, blocks) in enumerate(score_appendices, start=4):
            appendices.append(Appendix(f"PHỤ LỤC {index:02d}", title.upper(), cited, blocks))

    default_recipients = ["Văn phòng Chính phủ;", "Thường trực Tỉnh ủy;", "Thường trực HĐND tỉnh;",
                          "Chủ tịch, các PCT UBND tỉnh;", "Các sở, ban, ngành;", "UBND các huyện, thành phố;",
                          "Lưu: VT."] if not data.unit else ["UBND tỉnh (báo cáo);", "Văn phòng UBND tỉnh;", "Lưu: VT."]
    signature = Signature(
        authority=_text(narrative, "signer_authority") or ("KT. CHỦ TỊCH" if not data.unit else ""),
        position=_text(narrative, "signer_position") or (
            (data.issuer.signer_title or "PHÓ CHỦ TỊCH") if not data.unit else "THỦ TRƯỞNG ĐƠN VỊ"),
        name=_text(narrative, "signer_name") or (data.issuer.signer_name if not data.unit else ""))
    return Document(kind="year", header=header, body=body,
                    recipients=_lines(_text(narrative, "recipients")) or default_recipients, signature=signature,
                    appendices=appendices,
                    source={"settings": data.settings.to_dict(), "as_of": data.as_of.isoformat(),
                            "assignments": totals.total, "on_time_rate": round(totals.on_time_rate, 4)})


# ------------------------------------------------------------------------------------------ the notice


def band_lines(section: ScoreSection) -> list[str]:
    """"Từ 80 đến dưới 90 điểm xếp loại: Tốt", best band first."""
    unit = "%" if section.band_basis == "percent" else " điểm"
    lines = []
    previous: Decimal | None = None
    for name, minimum in section.bands:
        low = fmt_decimal(minimum, 0)
        if previous is None:
            lines.append(f"Từ {low}{unit} trở lên xếp loại: {name}.")
        elif minimum <= 0:
            lines.append(f"Dưới {fmt_decimal(previous, 0)}{unit} xếp loại: {name}.")
        else:
            lines.append(f"Từ {low} đến dưới {fmt_decimal(previous, 0)}{unit} xếp loại: {name}.")
        previous = minimum
    return lines


def build_notice_document(data: NoticeData, narrative: dict | None = None) -> Document:
    """The quarterly results notice of the provincial office (like seed 002) as a Document."""
    narrative = narrative or {}
    section = data.scores
    source = f" theo {section.framework_source}" if section.framework_source else ""
    header = Header(
        parent_body=data.issuer.parent_line, issuer="VĂN PHÒNG",
        number=f"Số: {_text(narrative, 'number') or '…/VP-KSTT'}",
        place_date=place_date(data.issuer.place, _text(narrative, "doc_date"), clock.today().year), doc_type="",
        title=_text(narrative, "title") or (f"V/v công khai kết quả {section.framework_name} "
                                            f"{section.period_text}{source}"),
        addressees=_lines(_text(narrative, "addressees")) or ["Lãnh đạo các Sở, ban, ngành tỉnh;",
                                                                  "Chủ tịch UBND các huyện, thành phố."])
    body: list[Block] = []
    body += _narrative_blocks(_text(narrative, "intro")) or [Block("paragraph", text=(
        f"Qua theo dõi kết quả đánh giá, xếp loại {section.period_text} của các cơ quan, đơn vị trên địa bàn tỉnh "
        f"trên Cổng Dịch vụ công quốc gia, Văn phòng UBND tỉnh thông báo kết quả đánh giá, xếp loại như sau:"))]
    body.append(Block("heading", text="1. Về nguồn dữ liệu và thời điểm đánh giá, xếp loại", level=2))
    body.append(Block("bullet", text="Nguồn số liệu: Cổng Dịch vụ công quốc gia; số liệu dùng để đánh giá, xếp loại là "
                                     "số liệu được công bố tại thời điểm đánh giá."))
    snapshot = _text(narrative, "snapshot")
    body.append(Block("bullet", text=f"Thời điểm đánh giá, xếp loại: {snapshot or '…'}."))
    body.append(Block("heading", text="2. Về cách tính điểm và cách xếp loại", level=2))
    max_total = fmt_decimal(section.max_total, 0)
    body.append(Block("bullet", text=f"Tổng điểm đánh giá, xếp loại là {max_total} điểm, gồm {len(section.nodes)} "
                                     "nhóm tiêu chí:"))
    body += [Block("bullet", text=f"+ {name}: {fmt_decimal(maximum, 0)}/{max_total} điểm;")
             for _code, name, maximum in section.nodes]
    body.append(Block("bullet", text=(
        "Đối với các sở, ban, ngành: Điểm chỉ tiêu thứ i = (Tỷ lệ đạt được của chỉ tiêu thứ i × Mức điểm tối đa "
        "của chỉ tiêu thứ i) / 100.")))
    body.append(Block("bullet", text=(
        "Đối với UBND cấp huyện, cấp xã: lấy tổng điểm đã được tính sẵn và công khai trên Cổng Dịch vụ công "
        "quốc gia tại thời điểm xếp loại.")))
    body.append(Block("bullet", text="Kết quả phân loại như sau:"))
    body += [Block("bullet", text=f"+ {line}") for line in band_lines(section)]
    body.append(Block("heading", text="3. Kết quả đánh giá, xếp loại", level=2))
    if section.province:
        body.append(Block("paragraph", text=_score_sentence(section.province, section, "Chỉ số chung của tỉnh")))
    appendices: list[Appendix] = []
    for index, level in enumerate(section.levels, start=1):
        body.append(Block("bullet", text=f"{level.label}:"))
        body += [Block("bullet", text=f"+ {phrase}.") for _band, _count, _total, phrase in level.summary]
        appendices.append(Appendix(
            f"PHỤ LỤC {index}", f"KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI {section.period_text.upper()} CỦA {level.subject.upper()}",
            f"(Kèm theo Văn bản {header.number.removeprefix('Số: ')} của Văn phòng UBND tỉnh)",
            [Block("table", table=_score_level_table(f"PL{index}", section, level, with_previous=False))]))
    names = ", ".join(f"{level.subject} (Phụ lục {index})" for index, level in enumerate(section.levels, start=1))
    body.append(Block("paragraph", text=f"Kèm theo các Phụ lục đánh giá, xếp loại và mức điểm cụ thể đối với {names}."))
    if _text(narrative, "requests"):
        body.append(Block("heading", text="4. Đề nghị", level=2))
        body += _narrative_blocks(_text(narrative, "requests"))
    body.append(Block("paragraph", text=(
        f"Văn phòng UBND tỉnh trân trọng thông báo kết quả đánh giá, xếp loại {section.period_text} đến các cơ quan, "
        "đơn vị biết để phát huy những kết quả đạt được và khắc phục những tiêu chí đạt tỷ lệ thấp./.")))
    signature = Signature(authority=_text(narrative, "signer_authority") or "KT. CHÁNH VĂN PHÒNG",
                          position=_text(narrative, "signer_position") or "PHÓ CHÁNH VĂN PHÒNG",
                          name=_text(narrative, "signer_name"))
    recipients = _lines(_text(narrative, "recipients")) or [
        "Như trên;", "Chủ tịch, các PCT UBND tỉnh (báo cáo);", "Chánh, Phó Văn phòng UBND tỉnh;",
        "Cổng Thông tin điện tử tỉnh (thực hiện);", "Lưu: VT, KSTT."]
    return Document(kind="notice", header=header, body=body, recipients=recipients, signature=signature,
                    appendices=appendices, source={"settings": data.settings.to_dict()})
