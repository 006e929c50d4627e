"""The downloadable files of a finished job: term frequencies (CSV), a report (Markdown) and a
ZIP of everything. OUTPUTS is the one list of them: the result's fields, the stored names, the
download routes and the results' `files` links all read it. Written into a working directory;
the processing stores them."""

import csv
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from backend.jobs.analysis import TextStats


@dataclass(frozen=True)
class Output:
    kind: str  # its key in a result's `files`
    field: str  # the JobResult file field that holds it
    file_name: str  # its stored name, in the job's directory and inside the archive
    download_suffix: str  # what follows the job's title in the attachment's name
    content_type: str
    route: str  # its download URL below the jobs API

    @property
    def url_name(self) -> str:
        return f"download-{self.kind}"


CSV = Output(
    "csv", "terms_csv", "terms.csv", "-terms.csv", "text/csv; charset=utf-8",
    "download/<uuid:job_id>/csv/",
)  # fmt: skip
REPORT = Output(
    "report", "report_md", "report.md", "-report.md", "text/markdown; charset=utf-8",
    "download/<uuid:job_id>/report/",
)  # fmt: skip
ARCHIVE = Output(
    "archive", "archive_zip", "archive.zip", ".zip", "application/zip",
    "download-archive/<uuid:job_id>/",
)  # fmt: skip
OUTPUTS = (CSV, REPORT, ARCHIVE)
DATA_JSON = "analysis.json"  # only inside the archive


def stored_names(directory: str) -> list[str]:
    """Where a job's outputs are stored, whether or not its result row exists."""
    return [f"{directory}/{output.file_name}" for output in OUTPUTS]


def write_outputs(
    workdir: Path, *, title: str, source: str, data: dict, stats: TextStats
) -> dict[Output, Path]:
    """Write the output files into `workdir`; returns each one's path."""
    terms = workdir / CSV.file_name
    with terms.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["term", "count"])
        writer.writerows(stats.all_terms())
    report = workdir / REPORT.file_name
    report.write_text(render_report(title=title, source=source, data=data), encoding="utf-8")
    archive = workdir / ARCHIVE.file_name
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(terms, CSV.file_name)
        bundle.write(report, REPORT.file_name)
        bundle.writestr(DATA_JSON, json.dumps(data, indent=2, ensure_ascii=False))
    return {CSV: terms, REPORT: report, ARCHIVE: archive}


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
