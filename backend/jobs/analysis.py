"""Text analysis: counts, reading time, top terms and CSV column summaries.

Pure functions of their input, so the API (to validate an upload) and the worker (to analyse it)
run the same code.
"""

import csv
import heapq
import io
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from backend.jobs.stopwords import BY_LANGUAGE

# Letters and digits, with inner apostrophes or hyphens kept ("don't", "e-mail", "Straßen-Bahn").
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# A sentence ends at . ! ? or … followed by white space, or at a blank line (headings, lists).
SENTENCE_BREAK = re.compile(r"[.!?…]+(?=\s|$)|\n[ \t]*\n")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Silent reading speed of adults, a round figure for both languages.
WORDS_PER_MINUTE = 200
# Tried in this order; the first that splits the header and the first data row alike wins.
CSV_DELIMITERS = ",;\t|"


class CsvFormatError(ValueError):
    """The text is not a table: the message says why, for the client."""


@dataclass
class TextStats:
    word_count: int
    sentence_count: int
    char_count: int
    reading_time_minutes: int
    term_counts: Counter

    def top_terms(self, n: int) -> list[dict]:
        # Ties go alphabetically, so the same text always gives the same list.
        best = heapq.nsmallest(n, self.term_counts.items(), key=lambda item: (-item[1], item[0]))
        return [{"term": term, "count": count} for term, count in best]

    def all_terms(self) -> list[tuple[str, int]]:
        return sorted(self.term_counts.items(), key=lambda item: (-item[1], item[0]))


def analyze_text(text: str, *, language: str) -> TextStats:
    stop_words = BY_LANGUAGE[language]
    # Counted per distinct word (Counter counts in C), then filtered: far fewer distinct words
    # than words. ’ becomes ' first: both join words alike, and terms are stored with '.
    counts = Counter(map(str.lower, WORD.findall(text.replace("’", "'"))))
    words = counts.total()
    # Numbers and single letters are words for the counts, but say nothing as terms.
    terms = Counter(
        {
            term: count
            for term, count in counts.items()
            if len(term) > 1 and not term.isdigit() and term not in stop_words
        }
    )
    return TextStats(
        word_count=words,
        sentence_count=count_sentences(text),
        char_count=len(text),
        reading_time_minutes=math.ceil(words / WORDS_PER_MINUTE),
        term_counts=terms,
    )


def count_sentences(text: str) -> int:
    return sum(1 for part in SENTENCE_BREAK.split(text) if WORD.search(part))


@dataclass
class _Column:
    name: str
    empty: int = 0
    numbers: int = 0
    texts: int = 0
    minimum: float = math.inf
    maximum: float = -math.inf
    total: float = 0.0
    distinct: set = field(default_factory=set)

    def add(self, value: str, *, track_distinct: bool) -> None:
        value = value.strip()
        if not value:
            self.empty += 1
            return
        if track_distinct:
            self.distinct.add(value)
        if NUMBER.fullmatch(value):
            number = float(value)
            if math.isfinite(number):
                self.numbers += 1
                self.minimum = min(self.minimum, number)
                self.maximum = max(self.maximum, number)
                self.total += number
                return
        self.texts += 1

    def summary(self) -> dict:
        numeric = self.numbers > 0 and self.texts == 0
        kind = "numeric" if numeric else ("text" if self.texts else "empty")
        return {
            "name": self.name,
            "type": kind,
            "distinct": len(self.distinct),
            "empty": self.empty,
            "min": self.minimum if numeric else None,
            "max": self.maximum if numeric else None,
            "mean": round(self.total / self.numbers, 6) if numeric else None,
        }


def summarize_csv(text: str, *, with_columns: bool = True) -> dict:
    """Rows, columns and per-column summaries of a CSV text; CsvFormatError if it is not one.

    A CSV here has a header and at least one data row, two or more columns, one delimiter
    (, ; tab or |) and the same number of fields on every row. Without `with_columns` only the
    shape is checked, which needs no memory for distinct values (the API's validation).
    """
    lines = io.StringIO(text, newline="")
    delimiter = _find_delimiter(lines)
    lines.seek(0)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    columns: list[_Column] = []
    rows = 0
    try:
        for record in _records(reader):
            if not columns:
                columns = [
                    _Column(name=name.strip() or f"column_{index}")
                    for index, name in enumerate(record, start=1)
                ]
                continue
            if len(record) != len(columns):
                raise CsvFormatError(
                    f"line {reader.line_num} has {len(record)} fields, the header has "
                    f"{len(columns)}"
                )
            rows += 1
            if with_columns:
                for column, value in zip(columns, record, strict=True):
                    column.add(value, track_distinct=True)
    except csv.Error as exc:
        raise CsvFormatError(f"line {reader.line_num}: {exc}") from exc
    if rows == 0:
        raise CsvFormatError("it needs a header row and at least one data row")
    return {
        "rows": rows,
        "columns": len(columns),
        "delimiter": delimiter,
        "column_summaries": [column.summary() for column in columns] if with_columns else [],
    }


def _records(reader):
    """The reader's records without blank lines."""
    return (record for record in reader if record and record != [""])


def _find_delimiter(lines: io.StringIO) -> str:
    """The first delimiter that splits the header into two or more fields, and the first data
    row (if any) into as many.

    Only those two records are read, once per delimiter: linear in their length. (csv.Sniffer
    was used before; its regular expressions take time quadratic in the sample, a second of
    CPU for 16 KB of ",'".) A later row that does not fit is reported with its line number
    by the full parse.
    """
    first_error = None
    header_splits = False
    for delimiter in CSV_DELIMITERS:
        lines.seek(0)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            head = list(itertools.islice(_records(reader), 2))
        except csv.Error as exc:
            first_error = first_error or CsvFormatError(f"line {reader.line_num}: {exc}")
            continue
        if not head or len(head[0]) < 2:
            continue
        header_splits = True
        if all(len(row) == len(head[0]) for row in head):
            return delimiter
    if first_error is not None:
        raise first_error
    if not header_splits:
        raise CsvFormatError("it needs at least two columns, split by , ; tab or |")
    raise CsvFormatError(
        "no delimiter (, ; tab or |) splits its header and first data row into as many fields"
    )


def analyze(text: str, *, language: str, top_n: int, is_csv: bool) -> tuple[dict, TextStats]:
    """The result data the API returns, and the full statistics the output files are made of."""
    stats = analyze_text(text, language=language)
    data = {
        "language": language,
        "word_count": stats.word_count,
        "sentence_count": stats.sentence_count,
        "char_count": stats.char_count,
        "reading_time_minutes": stats.reading_time_minutes,
        "distinct_terms": len(stats.term_counts),
        "top_terms": stats.top_terms(top_n),
        "csv": summarize_csv(text) if is_csv else None,
    }
    return data, stats
