"""A multipart parser that keeps each upload's file name as the client sent it.

Django quietly cuts path parts and control characters off an upload's name ("../../x.txt"
becomes "x.txt") and skips a file named "..". The jobs API refuses such names instead, so the
client learns its upload was not taken as sent.
"""

import html

from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.utils.encoding import force_str
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Stands in for a name Django would drop, so the file still reaches the serializer's checks.
UNUSABLE_NAME = "unusable-name"


class _ClientNameMultiPartParser(DjangoMultiPartParser):
    _client_name = None

    def sanitize_file_name(self, file_name):
        self._client_name = html.unescape(file_name)
        return super().sanitize_file_name(file_name) or UNUSABLE_NAME

    def handle_file_complete(self, old_field_name, counters):
        super().handle_file_complete(old_field_name, counters)
        name = force_str(old_field_name, self._encoding, errors="replace")
        uploads = self._files.getlist(name)
        if uploads:
            uploads[-1].client_name = self._client_name


class ClientNameMultiPartParser(parsers.MultiPartParser):
    """DRF's MultiPartParser with the parser above; uploads carry `.client_name`."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _ClientNameMultiPartParser(
                meta, stream, request.upload_handlers, parsers.get_encoding(parser_context)
            )
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return parsers.DataAndFiles(data, files)
