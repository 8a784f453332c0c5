"""The API's JSON parser (settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): DRF's, with the
bounds of core/limits.py. A body is read up to DATA_UPLOAD_MAX_MEMORY_SIZE and no further (413
beyond it; core.middleware already refuses a larger Content-Length before the view runs), and one
nested deeper than WEIQUAN_JSON_MAX_DEPTH is a 400 before Python's parser recurses into it (a body
of 100,000 brackets used to raise RecursionError, a 500)."""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from . import limits


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            from .errors import RequestTooLarge  # core.errors imports DRF's views, which import this

            raise RequestTooLarge(limits.size_message(len(raw), limit))
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(limits.undecodable_message(encoding)) from None
        try:
            return limits.loads_json(text)
        except limits.JSONTooDeep as exc:
            raise ParseError(limits.json_too_deep_message(exc.limit)) from None
        except ValueError as exc:
            raise ParseError(limits.json_error_message(exc)) from None
