"""The part header scanner of the multipart parser, fed in reads of every size: a delimiter
or a header block cut between two reads must still be seen."""

import io

import pytest

from backend.jobs.parsers import _PartHeaderScanner
from backend.jobs.tests.helpers import BOUNDARY, multipart

FILE_NAME_PROBLEM = ["File name is not valid UTF-8; the part was not read."]
# A file's content may look like part headers: without the boundary it is content.
LOOKALIKE = b'\r\n\r\nContent-Disposition: form-data; name="evil"; filename="\xe9"\r\n\r\n\xff'


def _scan(body: bytes, read_size: int) -> _PartHeaderScanner:
    scanner = _PartHeaderScanner(io.BytesIO(body))
    scanner.boundary = BOUNDARY.encode()
    passed = b"".join(iter(lambda: scanner.read(read_size), b""))
    assert passed == body  # the parser behind it gets every byte, unchanged
    return scanner


@pytest.mark.parametrize("read_size", [1, 2, 3, 5, 7, 13, 64, 1000, 1 << 16])
def test_a_file_name_that_is_not_utf8_is_found_whatever_the_reads(read_size):
    body = multipart(
        [("title", "Grüße"), ("text", "x" * 300)],
        [("notes", "Übersicht.md".encode(), LOOKALIKE), ("file", b"caf\xe9.txt", b"words")],
    )["data"]
    assert _scan(body, read_size).problems == {"file": FILE_NAME_PROBLEM}


@pytest.mark.parametrize("read_size", [1, 4, 1000])
def test_good_headers_and_odd_contents_are_no_problem(read_size):
    body = multipart(
        [("title", b"\xff not UTF-8, but a value")], [("file", "東京.txt".encode(), LOOKALIKE)]
    )["data"]
    assert _scan(body, read_size).problems == {}


def test_a_field_name_that_is_not_utf8_is_found():
    body = multipart({"tétle": "x"})["data"].replace("tétle".encode(), "tétle".encode("latin-1"))
    assert _scan(body, 10).problems == {
        "t\ufffdtle": ["Field name is not valid UTF-8; the part was not read."]
    }


def test_parts_are_found_where_djangos_parser_finds_them():
    # Django takes "--" and the boundary anywhere as a delimiter, and reads parts after the
    # closing one too: a part it would drop there is still reported.
    body = (
        multipart({"title": "t"})["data"]
        + b"x--"
        + BOUNDARY.encode()
        + b'y\r\nContent-Disposition: form-data; name="file"; filename="\xe9.txt"\r\n\r\nw'
    )
    assert _scan(body, 7).problems == {"file": FILE_NAME_PROBLEM}


def test_headers_without_an_end_are_not_buffered_without_end():
    body = multipart({"title": "t"})["data"] + b"--" + BOUNDARY.encode() + b"\xe9" * 100_000
    scanner = _scan(body, 4096)
    assert scanner.problems == {}
    assert len(scanner._pending) <= scanner.MAX_HEADER_BYTES + 4096
