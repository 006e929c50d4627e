"""The downloadable files of a finished job: term frequencies (CSV), a report (Markdown) and a
ZIP of everything. Written into a working directory; the service stores them."""

import csv
import json
import zipfile
from pathlib import Path

from backend.jobs.analysis import TextStats

TERMS_CSV = "terms.csv"
REPORT_MD = "report.md"
DATA_JSON = "analysis.json"
ARCHIVE_ZIP = "archive.zip"


def write_outputs(
    workdir: Path, *, title: str, source: str, data: dict, stats: TextStats
) -> dict[str, Path]:
    """Write the three output files into `workdir`; returns them by kind (csv, report, archive)."""
    terms = workdir / TERMS_CSV
    with terms.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["term", "count"])
        writer.writerows(stats.all_terms())
    report = workdir / REPORT_MD
    report.write_text(render_report(title=title, source=source, data=data), encoding="utf-8")
    archive = workdir / ARCHIVE_ZIP
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(terms, TERMS_CSV)
        bundle.write(report, REPORT_MD)
        bundle.writestr(DATA_JSON, json.dumps(data, indent=2, ensure_ascii=False))
    return {"csv": terms, "report": report, "archive": archive}


def render_report(*, title: str, source: str, data: dict) -> str:
    lines = [
        f"# {_inline(title)}",
        "",
        f"Source: {_inline(source)}; language hint: {data['language']}.",
        "",
        "| Measure | Value |",
        "| --- | ---: |",
        f"| Words | {data['word_count']} |",
        f"| Sentences | {data['sentence_count']} |",
        f"| Characters | {data['char_count']} |",
        f"| Reading time (minutes) | {data['reading_time_minutes']} |",
        f"| Distinct terms | {data['distinct_terms']} |",
        "",
        "## Top terms",
        "",
    ]
    if data["top_terms"]:
        lines += ["| Term | Count |", "| --- | ---: |"]
        lines += [f"| {_cell(t['term'])} | {t['count']} |" for t in data["top_terms"]]
    else:
        lines.append("No terms (the text has no words outside the stop words).")
    table = data["csv"]
    if table:
        lines += [
            "",
            "## CSV",
            "",
            f"{table['rows']} rows, {table['columns']} columns.",
            "",
            "| Column | Type | Distinct | Empty | Min | Max | Mean |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for column in table["column_summaries"]:
            numbers = [_number(column[key]) for key in ("min", "max", "mean")]
            lines.append(
                f"| {_cell(column['name'])} | {column['type']} | {column['distinct']} "
                f"| {column['empty']} | " + " | ".join(numbers) + " |"
            )
    return "\n".join(lines) + "\n"


def _inline(text: str) -> str:
    # A title or file name is the client's: keep it on one line so it cannot start new blocks.
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _inline(text).replace("\\", "\\\\").replace("|", "\\|")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"
