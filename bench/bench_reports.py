"""Benchmark of the year-end report at province scale: 200 units, every appendix, PDF (and Word, Excel).

    python -m bench.bench_reports                 # SQLite in a temporary folder
    python -m bench.bench_reports --units-per-activity 60

The dataset (bench.generate): about 200 units (office, 20 departments, 11 districts, 170 communes), one year of
3 plans × 60 activities, each activity assigned to --units-per-activity units (30); 766 results for every unit of
the year and the year before (a stand-in score provider, so every score appendix is printed, 170 communes
included). It prints the time spent assembling the figures (SQL + layout into a Document) against the time in
WeasyPrint's own rendering, the pages, and the peak memory. Targets (issue 5): PDF ≤ 15 s and ≤ 500 MB.
Figures go to bench/out/reports.json.
"""
import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tracker import clock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
TARGET_SECONDS = 15.0
TARGET_MB = 500.0
GROUPS = (("CKMB", 18), ("TDGQ", 20), ("MDSH", 22), ("CCDVTT", 22), ("MDHL", 18))


@dataclass
class _Unit:
    id: int
    code: str
    name: str
    kind_code: str


@dataclass
class _Result:
    """Shaped like tracker.services.score_results.UnitResult (the fields the report reads)."""

    unit: _Unit
    values: dict
    total: Decimal
    band: str
    rank: int | None = None
    peers: int = 0
    previous_total: Decimal | None = None
    previous_period: str | None = None
    rank_change_text: str = ""
    published_rank: int | None = None
    published_rank_of: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def display_rank(self):
        return self.rank

    @property
    def display_rank_of(self):
        return self.peers


class ScoresStandIn:
    """unit_results / band_summary over synthetic 766 results of every unit."""

    def __init__(self, units: list[tuple[int, str, str, str]], year: int, seed: int = 11) -> None:
        from tracker.domain.scoring import band_counts, band_for, count_phrase, rank
        from tracker.services.frameworks import by_code, domain_framework

        self._band_counts, self._phrase = band_counts, count_phrase
        self.framework = domain_framework(by_code("766-2022"))  # reports read frameworks from the database
        rng = random.Random(seed)
        self.period = str(year)
        self.results: list[_Result] = []
        for unit_id, code, name, kind in units:
            values = {c: Decimal(str(round(rng.uniform(0.45, 1.0) * m, 2))) for c, m in GROUPS}
            total = sum(values.values(), Decimal(0))
            previous = total + Decimal(str(round(rng.uniform(-8, 8), 2)))
            band = band_for(total, self.framework)
            self.results.append(_Result(_Unit(unit_id, code, name, kind), values, total, band.name,
                                        previous_total=previous, previous_period=str(year - 1)))
        for kind in {r.unit.kind_code for r in self.results}:
            peers = [r for r in self.results if r.unit.kind_code == kind]
            ranks = rank({r.unit.id: r.total for r in peers})
            for r in peers:
                r.rank, r.peers = ranks[r.unit.id], len(peers)

    def unit_results(self, framework_code, period_label, kind=None):
        """Results of the period (the stand-in has one)."""
        if period_label != self.period:
            return []
        return [r for r in self.results if kind is None or r.unit.kind_code == kind]

    def band_summary(self, framework_code, period_label, kind):
        """(band, count, total, phrase) per band."""
        chosen = {r.unit.id: next(b for b in self.framework.bands if b.name == r.band)
                  for r in self.unit_results(framework_code, period_label, kind)}
        return [(line.band, line.count, line.total, self._phrase(line.count, line.total, line.band.name))
                for line in self._band_counts(chosen, self.framework.bands)]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Generate, assemble, render; print the figures and write bench/out/reports.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # bench.generate's province scale: 3 plans × 60 activities, each assigned to 30 of the ~200 units
    parser.add_argument("--units-per-activity", type=int, default=30)
    parser.add_argument("--skip-office-formats", action="store_true", help="PDF only")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="dondoc-bench-reports-")
    from models import Unit, UnitKind, db
    from tracker import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench",
                      "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
                      "REPORT_FOLDER": folder})
    from sqlalchemy import select

    from bench.generate import generate
    from tracker.reports.build import build_year_document
    from tracker.reports.docx import render_docx
    from tracker.reports.pdf import render_pdf
    from tracker.reports.xlsx import render_xlsx
    from tracker.services import reports as service

    today = clock.today()
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        info = generate(years=1, plans_per_year=3, activities_per_plan=60, units_per_activity=args.units_per_activity,
                        updates_per_assignment=0, today=today)
        generate_s = time.perf_counter() - started
        from tracker.services.frameworks import load_shipped_frameworks

        load_shipped_frameworks()
        db.session.commit()
        units = db.session.execute(select(Unit.id, Unit.code, Unit.name, UnitKind.code).join(UnitKind)).all()
        scores = ScoresStandIn([tuple(u) for u in units], today.year)
        peak_before = _peak_mb()
        # warm-up: imports and WeasyPrint's first-use set-up happen once per worker process, not per report
        render_pdf(build_year_document(service.assemble_year(service.YearSettings(year=today.year), today, scores)))

        started = time.perf_counter()
        data = service.assemble_year(service.YearSettings(year=today.year), today, scores)
        queried = time.perf_counter()
        document = build_year_document(data, {"signer_name": "Nguyễn Văn A"})
        assembled = time.perf_counter()
        cpu = time.process_time()
        pdf = render_pdf(document)
        rendered = time.perf_counter()
        weasyprint_cpu = time.process_time() - cpu
        figures = {
            "units": info["units"], "assignments": data.totals.total, "activities": data.activity_count,
            "generate_s": round(generate_s, 1),
            "assemble_sql_s": round(queried - started, 2), "assemble_layout_s": round(assembled - queried, 2),
            "weasyprint_s": round(rendered - assembled, 2), "weasyprint_cpu_s": round(weasyprint_cpu, 2),
            "pdf_total_s": round(rendered - started, 2), "load_average": round(os.getloadavg()[0], 2),
            "pdf_bytes": len(pdf), "appendices": len(document.appendices),
            "table_rows": sum(len(t.rows) for t in document.tables()),
        }
        import io

        from pypdf import PdfReader

        figures["pdf_pages"] = len(PdfReader(io.BytesIO(pdf)).pages)
        figures["peak_mb_before_reports"] = round(peak_before, 1)
        figures["peak_mb_after_pdf"] = round(_peak_mb(), 1)
        if not args.skip_office_formats:
            started = time.perf_counter()
            figures["docx_bytes"] = len(render_docx(document))
            figures["docx_s"] = round(time.perf_counter() - started, 2)
            started = time.perf_counter()
            figures["xlsx_bytes"] = len(render_xlsx(document))
            figures["xlsx_s"] = round(time.perf_counter() - started, 2)
        figures["peak_mb"] = round(_peak_mb(), 1)
    (OUT / "reports.pdf").write_bytes(pdf)
    total = figures["pdf_total_s"]
    share = figures["weasyprint_s"] / total * 100 if total else 0
    print(f"Dataset: {figures['units']} units, {figures['activities']} activities, {figures['assignments']:,} "
          f"assignments (generated in {figures['generate_s']} s)")
    print(f"Year-end report PDF: {figures['pdf_pages']} pages, {figures['appendices']} appendices, "
          f"{figures['table_rows']:,} table rows, {figures['pdf_bytes'] / 1024:.0f} KB")
    print(f"  assembling figures (SQL)      {figures['assemble_sql_s']:>7.2f} s")
    print(f"  laying out the document       {figures['assemble_layout_s']:>7.2f} s")
    print(f"  WeasyPrint rendering          {figures['weasyprint_s']:>7.2f} s  ({share:.0f}% of the PDF time)")
    print(f"  PDF total                     {total:>7.2f} s  (target ≤ {TARGET_SECONDS:.0f} s; WeasyPrint CPU "
          f"{figures['weasyprint_cpu_s']:.2f} s, machine load {figures['load_average']})")
    print(f"  peak memory after the PDF     {figures['peak_mb_after_pdf']:>7.1f} MB (target ≤ {TARGET_MB:.0f} MB; "
          f"{figures['peak_mb_before_reports']:.1f} MB before any report: data generation and imports)")
    if "docx_s" in figures:
        print(f"  Word {figures['docx_s']:.2f} s ({figures['docx_bytes'] / 1024:.0f} KB), "
              f"Excel {figures['xlsx_s']:.2f} s ({figures['xlsx_bytes'] / 1024:.0f} KB); "
              f"peak memory {figures['peak_mb']:.1f} MB")
    ok = total <= TARGET_SECONDS and figures["peak_mb_after_pdf"] <= TARGET_MB
    figures["within_targets"] = ok
    print("Within targets." if ok else "OUTSIDE TARGETS.")
    (OUT / "reports.json").write_text(json.dumps(figures, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
