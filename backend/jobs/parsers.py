"""The jobs API's parsers. They refuse what DRF's and Django's take in silence, so the client
learns that its request was not taken as sent.

JSON: an object with the same key twice (json keeps the last).

Multipart, where Django
- cuts path parts and control characters off an upload's name ("../../x.txt" becomes "x.txt")
  and skips a file named "..": the name as sent is kept as `.client_name`, for the serializer
  to refuse;
- decodes field values with errors="replace" (a title in Latin-1 would be stored as "Gr��e"):
  they are decoded strictly here;
- drops, without a word, a part whose Content-Disposition header is not UTF-8 (a file name in
  Latin-1): the client would be told to upload a file. Such parts are noticed on the way
  through and refused, naming the field.
"""

import codecs
import html
import re

from django.http import QueryDict
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils import json

# Stands in for a name Django would drop, so the file still reaches the serializer's checks.
UNUSABLE_NAME = "unusable-name"
# Maps every byte to one character and back: Django's parser decodes with it, and the bytes are
# decoded again here, strictly, in the request's encoding.
LOSSLESS = "latin-1"


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSONParser, refusing an object that names a key twice."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            decoded_stream = codecs.getreader(encoding)(stream)
            parse_constant = json.strict_constant if self.strict else None
            return json.load(
                decoded_stream, parse_constant=parse_constant, object_pairs_hook=_unique_keys
            )
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f'"{key}" is given more than once in an object')
        result[key] = value
    return result


class ClientNameMultiPartParser(parsers.MultiPartParser):
    """DRF's MultiPartParser with the checks above; uploads carry `.client_name`."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _StrictMultiPartParser(
                meta, stream, request.upload_handlers, parsers.get_encoding(parser_context)
            )
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return parsers.DataAndFiles(data, files)


class _StrictMultiPartParser(DjangoMultiPartParser):
    _client_name = None

    def __init__(self, META, input_data, upload_handlers, encoding):  # noqa: N803 (Django's)
        self._headers = _PartHeaderScanner(input_data)
        super().__init__(META, self._headers, upload_handlers, LOSSLESS)
        self._headers.boundary = self._boundary
        self._strict_encoding = encoding

    def parse(self):
        post, files = super().parse()
        problems = dict(self._headers.problems)
        data = QueryDict(mutable=True)
        for key, values in post.lists():
            name = _names_bytes_as_sent(key)
            for value in values:
                try:
                    data.appendlist(name, value.encode(LOSSLESS).decode(self._strict_encoding))
                except UnicodeDecodeError as exc:
                    problems[name] = [
                        f"Not valid {_label(self._strict_encoding)} text "
                        f"(invalid byte at position {exc.start})."
                    ]
        uploads = MultiValueDict()
        for key, values in files.lists():
            uploads.setlist(_names_bytes_as_sent(key), values)
        if problems:
            for upload in (u for _, values in uploads.lists() for u in values):
                upload.close()  # a temporary file is removed when closed
            raise ValidationError(problems)
        return data, uploads

    def sanitize_file_name(self, file_name):
        file_name = _names_bytes_as_sent(file_name)
        self._client_name = html.unescape(file_name)
        return super().sanitize_file_name(file_name) or UNUSABLE_NAME

    def handle_file_complete(self, old_field_name, counters):
        super().handle_file_complete(old_field_name, counters)
        uploads = self._files.getlist(old_field_name)
        if uploads:
            uploads[-1].client_name = self._client_name


def _names_bytes_as_sent(text: str) -> str:
    # Field and file names reach the parser as UTF-8 bytes (Django has decoded the part's
    # headers as UTF-8 already, and encoded the parameters again): never invalid here.
    return text.encode(LOSSLESS).decode("utf-8")


def _label(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return "UTF-8" if name == "utf-8" else name


_CONTENT_DISPOSITION = re.compile(rb"\s*content-disposition\s*:", re.IGNORECASE)
_NAME = re.compile(rb';\s*name\s*=\s*"([^"]*)"', re.IGNORECASE)
_FILENAME = re.compile(rb";\s*filename\*?\s*=", re.IGNORECASE)


class _PartHeaderScanner:
    """The request body on its way to Django's parser, with an eye on each part's headers.

    Django decodes a part's header lines as UTF-8 and skips a line that is not; without its
    Content-Disposition the part is dropped. The scanner notes such parts in `problems`.
    It looks at the bytes once, keeping no more than a part's headers between reads.
    """

    # Django refuses part headers much longer than this (MultiPartParserError); past it the
    # scanner stops rather than buffer without end.
    MAX_HEADER_BYTES = 16 * 1024

    def __init__(self, stream):
        self._stream = stream
        self.boundary = b""  # from the Content-Type, once Django's parser has read it
        self.problems: dict[str, list[str]] = {}
        self._pending = b""
        self._in_headers = False
        self._done = False

    def read(self, size=-1):
        chunk = self._stream.read(size)
        if chunk and not self._done:
            self._scan(chunk)
        return chunk

    def _scan(self, chunk: bytes) -> None:
        # As Django's parser reads a body: a part begins wherever "--" and the boundary occur
        # (no line break needed before, anything may follow, even the closing "--"), and its
        # headers end at the first blank line.
        delimiter = b"--" + self.boundary
        data = self._pending + chunk
        position = 0
        while True:
            if not self._in_headers:
                start = data.find(delimiter, position)
                if start < 0:
                    # Keep what could be the start of a delimiter cut by this read.
                    self._pending = data[max(position, len(data) - len(delimiter) + 1) :]
                    return
                position = start + len(delimiter)
                self._in_headers = True
            end = data.find(b"\r\n\r\n", position)
            if end < 0:
                self._pending = data[position:]
                self._done = len(self._pending) > self.MAX_HEADER_BYTES
                return
            self._check(data[position:end])
            position = end + 4
            self._in_headers = False

    def _check(self, headers: bytes) -> None:
        for line in headers.split(b"\r\n"):
            try:
                line.decode()
            except UnicodeDecodeError:
                if _CONTENT_DISPOSITION.match(line):
                    self._note(line)

    def _note(self, line: bytes) -> None:
        name = _NAME.search(line)
        field = name.group(1).decode(errors="replace") if name else "detail"
        what = "File name" if _FILENAME.search(line) else "Field name"
        self.problems[field] = [f"{what} is not valid UTF-8; the part was not read."]
