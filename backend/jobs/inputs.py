"""An uploaded file's content as text, decoded and checked here only: by the API when the file
is submitted, and by the run that reads it back from storage (where it may have been replaced
since, in the admin say)."""

from backend.jobs.analysis import CsvFormatError, summarize_csv


class InputError(ValueError):
    """The content is not a text this app takes; the message says why, for its owner."""


class NotTextError(InputError):
    """Not UTF-8."""


def input_text(content: bytes, *, is_csv: bool) -> str:
    """The content decoded (UTF-8, with or without a byte order mark); InputError if it holds no
    text, or if `is_csv` and it is not a CSV table."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotTextError(
            f"File is not UTF-8 text (invalid byte at position {exc.start})."
        ) from exc
    if "\x00" in text:
        raise InputError("File contains NUL bytes; only text files are taken.")
    if not text.strip():
        raise InputError("File contains no text.")
    if is_csv:
        try:
            # Only the shape: no memory for distinct values, which the analysis counts later.
            summarize_csv(text, with_columns=False)
        except CsvFormatError as exc:
            raise InputError(f"Not a CSV file: {exc}.") from exc
    return text
