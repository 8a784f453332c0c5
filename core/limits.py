"""What any input must be, whoever sent it: one rule each for dates, texts, JSON nesting and body
sizes (docs/input-limits.md). The API, the pages, the admin, file imports and the demo all reach the
services, and the services check their inputs with these; the API's and the pages' fields use the
same functions (core/serializers.py, core/inputs.py), so a field error says the same thing on every
path and nothing out of range reaches the legal calendar or the database.

- **Dates**: none before `settings.WEIQUAN_EARLIEST_DATE` (1950-01-01: no labour dispute this
  system records began earlier; 0001-01-01 is a typing slip, not a date); a date that says when
  something happened (received, known, interrupted, ended, accepted, consented, signed, paid,
  ruled) is not after today; a date that may lie ahead (an instalment's due date, an agreement's
  effective date) is at most `settings.WEIQUAN_LATEST_YEARS_AHEAD` years after today, so no
  deadline counted from it runs past the calendar's last year.
- **Texts**: control and format characters (Unicode Cc, Cf, Cs: zero-width spaces and joiners,
  bidirectional overrides, byte-order marks, lone surrogates) are removed, except a line break and a
  tab in multi-line text; a value that had characters but has nothing visible left is refused
  with a field error.
- **JSON**: at most `settings.WEIQUAN_JSON_MAX_DEPTH` levels of arrays/objects (the deepest body
  the API takes is three levels); deeper is refused before Python's parser recurses into it.
- **Bodies**: `body_limit()` is the largest request body a path takes; core.middleware refuses
  a larger `Content-Length` with 413 before anything reads the body.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------


def earliest_date() -> datetime.date:
    return settings.WEIQUAN_EARLIEST_DATE


def latest_date(today: datetime.date | None = None) -> datetime.date:
    """The last day a date that may lie ahead can be: WEIQUAN_LATEST_YEARS_AHEAD years from today."""
    today = today or timezone.localdate()
    years = settings.WEIQUAN_LATEST_YEARS_AHEAD
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def _fmt(day) -> str:
    return day.isoformat()  # strftime writes year 1 as "1-01-01"


def date_problem(day, *, past: bool = True, not_before=None, not_before_label: str = "",
                 today: datetime.date | None = None) -> str | None:
    """Why `day` is refused, or None when it is fine (None itself is fine: required is the caller's).

    past: the date says when something happened, so it is not after today. Else it may lie ahead,
    up to latest_date(). not_before (with its label): the earliest day this date may be here (the
    referral before its acceptance, the agreement before its payments).
    """
    if day is None:
        return None
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    today = today or timezone.localdate()
    if day < earliest_date():
        return _("日期 %(day)s 过早：不能早于 %(earliest)s，请核对年份。") % {
            "day": _fmt(day), "earliest": _fmt(earliest_date())}
    if past and day > today:
        return _("日期 %(day)s 晚于今天（%(today)s）：此处应填写已经发生的日期。") % {
            "day": _fmt(day), "today": _fmt(today)}
    if not past and day > latest_date(today):
        return _("日期 %(day)s 过晚：不能晚于 %(latest)s（今天起%(years)d年内），请核对年份。") % {
            "day": _fmt(day), "latest": _fmt(latest_date(today)), "years": settings.WEIQUAN_LATEST_YEARS_AHEAD}
    if not_before is not None and day < not_before:
        return _("日期 %(day)s 不能早于%(what)s（%(before)s）。") % {
            "day": _fmt(day), "what": not_before_label, "before": _fmt(not_before)}
    return None


def check_date(field: str, day, **kwargs) -> None:
    """A 400 field error on `field` unless `day` passes date_problem()."""
    problem = date_problem(day, **kwargs)
    if problem:
        raise ValidationError({field: [problem]})


def happened_on(field: str, day, *, not_before=None, not_before_label: str = "") -> datetime.date:
    """The day an action happened (core.inputs.HappenedOn): `day` (a date, or ISO text from a form
    or a file), or today (the local date) when it is left out. A 400 field error on `field` when it
    is not a date, not in the plausible range, after today, or before `not_before` (the object's
    previous step: its date, or the local date of its moment, named by `not_before_label`)."""
    if day is None or day == "":
        day = timezone.localdate()
    elif isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    elif not isinstance(day, datetime.date):
        try:
            day = datetime.date.fromisoformat(str(day))
        except ValueError:
            raise ValidationError({field: [_("请填写日期（如 2026-03-01）。")]}) from None
    if isinstance(not_before, datetime.datetime):
        not_before = timezone.localtime(not_before).date() if timezone.is_aware(not_before) else not_before.date()
    check_date(field, day, past=True, not_before=not_before, not_before_label=not_before_label)
    return day


def check_dates(errors: dict, days: dict, **kwargs) -> None:
    """date_problem() of each {field: day}, added to `errors` (field -> [messages])."""
    for field, day in days.items():
        problem = date_problem(day, **kwargs)
        if problem:
            errors.setdefault(field, []).append(problem)


# --------------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------------

# Letters and symbols that render as nothing (Hangul fillers, the blank Braille pattern): kept inside
# a text, but they do not make a text visible.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_LINE_SEPARATORS = {"\u2028", "\u2029", "\x85"}


def clean_text(value, *, multiline: bool = False) -> str:
    """`value` without control and format characters (Unicode Cc, Cf, Cs), trimmed.

    Multi-line text keeps its line breaks (any of CR LF, CR, U+2028/2029 becomes LF) and tabs;
    single-line text has them turned into a space."""
    if value is None:
        return ""
    text = str(value)
    if text.isascii() and text.isprintable():  # the usual case, at C speed
        return text.strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch in _LINE_SEPARATORS:
            ch = "\n"
        if ch in "\n\t":
            out.append(ch if multiline else " ")
        elif unicodedata.category(ch) not in ("Cc", "Cf", "Cs"):
            out.append(ch)
    return "".join(out).strip()


def has_visible(text: str) -> bool:
    """Whether `text` shows anything: a character that is not a space, a combining mark alone or
    a blank-looking letter."""
    return any(
        not ch.isspace() and ch not in _BLANK_LOOKING and unicodedata.category(ch) not in ("Mn", "Me", "Zs")
        for ch in text
    )


def invisible_message() -> str:
    return _("只含不可见字符（零宽字符、方向控制符等），没有可见的文字：请填写可以看到的文字。")


def visible_text(field: str, value, *, required_message=None, multiline: bool = False,
                 max_length: int | None = None) -> str:
    """The cleaned text, or a 400 field error on `field`: when nothing visible is left of a value
    that had characters; when it is blank and `required_message` says it must not be; when longer
    than `max_length`."""
    raw = "" if value is None else str(value)
    text = clean_text(raw, multiline=multiline)
    if text and not has_visible(text) or (not text and raw.strip()):
        raise ValidationError({field: [invisible_message()]})
    if not text and required_message:
        raise ValidationError({field: [required_message]})
    if max_length is not None and len(text) > max_length:
        raise ValidationError({field: [_("内容过长：最多 %(max)d 个字，现为 %(length)d 个字。") % {
            "max": max_length, "length": len(text)}]})
    return text


def collect_text(errors: dict, field: str, value, **kwargs) -> str:
    """visible_text(), with its error added to `errors` instead of raised (the raw value returned)."""
    try:
        return visible_text(field, value, **kwargs)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.message_dict[field])
        return "" if value is None else str(value)


# --------------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class JSONTooDeep(ValueError):
    def __init__(self, limit):
        self.limit = limit
        super().__init__(f"JSON nested deeper than {limit} levels")


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether `text` nests arrays/objects deeper than `limit` (brackets inside strings do not count).
    Linear and without recursion, so it is safe on any input."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for ch in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if ch in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _no_constants(name):
    raise ValueError(f"{name} is not valid JSON")


def loads_json(text: str, *, max_depth: int | None = None):
    """json.loads, refusing NaN/Infinity and nesting deeper than `max_depth` (default
    WEIQUAN_JSON_MAX_DEPTH) with JSONTooDeep before parsing. Other errors: json's ValueError."""
    limit = max_depth if max_depth is not None else settings.WEIQUAN_JSON_MAX_DEPTH
    if json_depth_exceeds(text, limit):
        raise JSONTooDeep(limit)
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:  # cannot happen after the check; a last guard all the same
        raise JSONTooDeep(limit) from None


def json_too_deep_message(limit: int) -> str:
    return _("JSON 嵌套过深：最多 %(max)d 层数组或对象，请检查数据结构。") % {"max": limit}


def json_error_message(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return _("JSON 格式错误（第 %(line)d 行第 %(column)d 列）：%(error)s") % {
            "line": exc.lineno, "column": exc.colno, "error": exc.msg}
    return _("JSON 格式错误：%(error)s") % {"error": exc}


def decode_file(data: bytes, *, formats: str) -> tuple[str, str]:
    """(text, encoding) of an uploaded data file: UTF-8 with or without a BOM, else GBK (read as
    its superset GB18030) — what Chinese spreadsheets save; a 400 on `file` naming `formats` else."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的%(formats)s。") % {
            "formats": formats}]}) from None


def undecodable_message(encoding: str) -> str:
    return _("请求内容不是有效的 %(encoding)s 编码文本。") % {"encoding": encoding}


# --------------------------------------------------------------------------------------------------
# Request bodies (core.middleware.RequestSizeLimitMiddleware)
# --------------------------------------------------------------------------------------------------


def body_limit(path: str, content_type: str) -> int:
    """The largest body a request to `path` with `content_type` may send (bytes).

    Uploads (multipart) up to WEIQUAN_UPLOAD_MAX_BYTES (evidence, referral lists), the public
    verification page's PDF up to WEIQUAN_VERIFY_UPLOAD_MAX_BYTES, anything else (JSON, forms) up
    to DATA_UPLOAD_MAX_MEMORY_SIZE."""
    if path.startswith("/verify/"):
        return settings.WEIQUAN_VERIFY_UPLOAD_MAX_BYTES + MULTIPART_SLACK
    if content_type.lower().startswith("multipart/"):
        return settings.WEIQUAN_UPLOAD_MAX_BYTES + MULTIPART_SLACK
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


# Room for a multipart body's boundaries, part headers and small fields around its file.
MULTIPART_SLACK = 64 * 1024


def size_message(size: int, limit: int) -> str:
    return _("请求内容过大（%(size)s）：上限为 %(limit)s。") % {"size": _human(size), "limit": _human(limit)}


def _human(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"
