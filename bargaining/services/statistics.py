"""The platform's order statistics a negotiation's pay-rule positions are costed against
(bargaining/costing.py): one row per city, month, time band and weather.

    report = import_order_statistics(negotiation=n, actor=officer, data=f.read(), filename=f.name)
    report.as_dict()  # {"rows": 1200, "written": 1200, "errors": []}

The file: CSV or JSON (by its extension, else by its first character), UTF-8 with or without a
BOM, or GBK (read as its superset GB18030); column names in Chinese or English (COLUMNS). Every
row is checked; if any row is bad nothing is written and the report lists each bad field with its
line (CSV: the line in the file, the header being line 1; JSON: the record's place in the list,
from 1). A good file is written in one transaction, replacing the negotiation's earlier statistics
unless `replace=False` (then a row that repeats a stored cell is an error), and journaled.

Why rows are written while the file is still being read: a file may hold up to
WEIQUAN_ORDER_STATISTICS_MAX_ROWS (2,000,000) rows, too many to keep as objects. The rows go to
the database batch by batch inside the one transaction, writing stops at the first bad row (the
rest is still checked, so the report is complete), and a file with any bad row rolls the
transaction back: nothing half-written, ever.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass
from typing import ClassVar
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import limits
from core.row_reports import RowReport
from core.services import require_perm

from ..models import TEAM_STATES, OrderStatistic
from .common import locked, record_step

DEFAULT_MAX_ROWS = 2_000_000
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
BATCH_SIZE = 5000
# A file in which every row is bad must not make a report larger than the file: past this many
# entries the rest are counted in one last entry.
MAX_REPORTED_ERRORS = 10_000

# Column names as platforms export them -> ours. Matched after trimming, in lower case, without a
# unit in brackets ("计件单价（元/单）", "fare (yuan)") and with spaces or hyphens as underscores.
COLUMNS = {
    "city": "city", "城市": "city", "城市名称": "city",
    "month": "month", "月份": "month", "统计月份": "month",
    "time_band": "time_band", "timeband": "time_band", "时段": "time_band", "配送时段": "time_band",
    "weather": "weather", "天气": "weather",
    "orders": "orders", "order_count": "orders", "订单量": "orders", "订单数": "orders",
    "piece_rate": "piece_rate", "计件单价": "piece_rate", "单价": "piece_rate", "现行计件单价": "piece_rate",
    "avg_distance_km": "avg_distance_km", "avg_distance": "avg_distance_km", "平均距离": "avg_distance_km",
    "平均配送距离": "avg_distance_km",
    "active_workers": "active_workers", "workers": "active_workers", "在线骑手数": "active_workers",
    "骑手数": "active_workers", "在线人数": "active_workers",
    "fare": "fare", "配送费": "fare", "订单配送费": "fare",
    "commission_pct": "commission_pct", "commission": "commission_pct", "抽成比例": "commission_pct",
    "现行抽成比例": "commission_pct", "抽成": "commission_pct",
}
REQUIRED = ("city", "month", "time_band", "weather", "orders", "piece_rate", "avg_distance_km", "active_workers")
OPTIONAL = ("fare", "commission_pct")
# A JSON file: a list of records, or an object holding the list under one of these keys.
JSON_KEYS = ("order_statistics", "statistics", "rows", "data")

_UNIT = re.compile(r"\s*[（(][^）)]*[）)]\s*$")
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:月)?(?:\s*[-/.]\s*0?1\s*日?)?$")
_INTEGER_MAX = 2147483647  # PositiveIntegerField on every database
CENT = Decimal("0.01")


def max_rows() -> int:
    return getattr(settings, "WEIQUAN_ORDER_STATISTICS_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_bytes() -> int:
    return getattr(settings, "WEIQUAN_ORDER_STATISTICS_MAX_BYTES", DEFAULT_MAX_BYTES)


@dataclass
class ImportReport(RowReport):
    replaced: int = 0  # earlier statistics deleted (replace=True, good file only)
    max_reported: ClassVar[int] = MAX_REPORTED_ERRORS


# --------------------------------------------------------------------------------------------------
# Reading: bytes -> text -> (line, raw record)
# --------------------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without a BOM, else GBK (core.limits.decode_file)."""
    return limits.decode_file(data, formats=_(" CSV 或 JSON 文件"))


def column(header) -> str | None:
    name = _UNIT.sub("", str(header or "").strip().lstrip("\ufeff")).strip().lower()
    name = re.sub(r"[\s\-]+", "_", name)
    return COLUMNS.get(name)


def _check_columns(names):
    known = {column(n) for n in names} - {None}
    missing = [c for c in REQUIRED if c not in known]
    if missing:
        labels = "、".join(str(OrderStatistic._meta.get_field(c).verbose_name) for c in missing)
        raise ValidationError({"file": [_("缺少必填列：%(columns)s（表头可用中文或英文，如“订单量”或“orders”）。") % {
            "columns": labels}]})


def _csv_records(text):
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ValidationError({"file": [_("CSV 文件没有表头行。")]})
    _check_columns(header)
    names = [column(h) for h in header]
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
            yield reader.line_num, {"__extra__": True}
            continue
        yield reader.line_num, {n: c for n, c in zip(names, cells) if n}


def _json_records(text):
    try:
        data = limits.loads_json(text)
    except limits.JSONTooDeep as exc:
        raise ValidationError({"file": [limits.json_too_deep_message(exc.limit)]}) from None
    except ValueError as exc:
        raise ValidationError({"file": [limits.json_error_message(exc)]}) from None
    if isinstance(data, dict):
        data = next((data[k] for k in JSON_KEYS if isinstance(data.get(k), list)), None)
    if not isinstance(data, list):
        raise ValidationError({"file": [_("JSON 文件应为订单统计记录的数组，或含 order_statistics 数组的对象。")]})
    first = next((r for r in data if isinstance(r, dict)), None)
    if first is not None:
        _check_columns(first.keys())
    for n, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            yield n, None
            continue
        yield n, {column(k): v for k, v in record.items() if column(k)}


def _is_json(text, filename):
    name = (filename or "").lower()
    if name.endswith(".json"):
        return True
    if name.endswith(".csv"):
        return False
    return text.lstrip()[:1] in ("[", "{")


# --------------------------------------------------------------------------------------------------
# Checking one record
# --------------------------------------------------------------------------------------------------


class _Cleaner:
    """Checks records one by one; equal texts and months share one object (a 2,000,000-row file
    names a few dozen cities), so the cells seen so far take little memory."""

    def __init__(self):
        today = timezone.localdate()
        self.latest_month = today.replace(day=1)
        self.earliest = limits.earliest_date()
        self.texts: dict[str, str] = {}
        self.months: dict[str, object] = {}

    def clean(self, raw: dict, problems: list) -> dict | None:
        out = {}
        for name in ("city", "time_band", "weather"):
            out[name] = self.text(name, raw.get(name), problems)
        out["month"] = self.month(raw.get("month"), problems)
        out["orders"] = self.integer("orders", raw.get("orders"), problems)
        out["active_workers"] = self.integer("active_workers", raw.get("active_workers"), problems)
        out["piece_rate"] = self.amount("piece_rate", raw.get("piece_rate"), problems, digits=8)
        out["avg_distance_km"] = self.amount("avg_distance_km", raw.get("avg_distance_km"), problems, digits=6)
        out["fare"] = self.amount("fare", raw.get("fare"), problems, digits=8, required=False)
        out["commission_pct"] = self.amount("commission_pct", raw.get("commission_pct"), problems, digits=5,
                                            required=False, percent=True)
        if out["commission_pct"] is not None and out["commission_pct"] > 100:
            problems.append(("commission_pct", _("抽成比例应在 0 至 100 之间（单位：%%），现为 %(value)s。") % {
                "value": out["commission_pct"]}))
        if out["orders"] and out["active_workers"] == 0:
            problems.append(("active_workers", _("有订单（%(orders)d 单）时在线骑手数不能为 0。") % {
                "orders": out["orders"]}))
        return None if problems else out

    def text(self, name, value, problems):
        raw = "" if value is None else str(value)
        text = limits.clean_text(raw)
        if not text or not limits.has_visible(text):
            problems.append((name, _("%(field)s不能为空。") % {"field": _label(name)}))
            return ""
        if len(text) > 40:
            problems.append((name, _("%(field)s过长：最多 40 个字，现为 %(n)d 个字。") % {
                "field": _label(name), "n": len(text)}))
            return ""
        return self.texts.setdefault(text, text)

    def month(self, value, problems):
        raw = "" if value is None else str(value).strip()
        if raw in self.months:
            return self.months[raw]
        match = _MONTH.match(raw)
        day = None
        if match:
            try:
                day = datetime.date(int(match[1]), int(match[2]), 1)
            except ValueError:
                day = None
        if day is None:
            problems.append(("month", _("月份应写作“年-月”，如 2025-03，现为“%(value)s”。") % {"value": raw[:20]}))
            return None
        if day < self.earliest.replace(day=1) or day > self.latest_month:
            problems.append(("month", _("月份 %(month)s 不在 %(first)s 至本月（%(last)s）之间。") % {
                "month": f"{day:%Y-%m}", "first": f"{self.earliest:%Y-%m}", "last": f"{self.latest_month:%Y-%m}"}))
            return None
        self.months[raw] = day
        return day

    def integer(self, name, value, problems):
        if isinstance(value, bool):
            value = None
        raw = "" if value is None else str(value).strip().replace(",", "").replace("，", "")
        if raw == "":
            problems.append((name, _("%(field)s不能为空。") % {"field": _label(name)}))
            return None
        try:
            number = Decimal(raw)
            if not number.is_finite() or number != number.to_integral_value():
                raise ValueError
            number = int(number)
        except (ValueError, ArithmeticError, InvalidOperation):
            problems.append((name, _("%(field)s应为整数，现为“%(value)s”。") % {"field": _label(name), "value": raw[:20]}))
            return None
        if number < 0 or number > _INTEGER_MAX:
            problems.append((name, _("%(field)s应在 0 至 %(max)d 之间，现为 %(value)d。") % {
                "field": _label(name), "max": _INTEGER_MAX, "value": number}))
            return None
        return number

    def amount(self, name, value, problems, *, digits, required=True, percent=False):
        if isinstance(value, bool):
            value = "?"
        raw = "" if value is None else str(value).strip().replace(",", "").replace("，", "")
        if percent:
            raw = raw.removesuffix("%").removesuffix("％").strip()
        if raw == "":
            if required:
                problems.append((name, _("%(field)s不能为空。") % {"field": _label(name)}))
            return None
        try:
            number = Decimal(raw)
            if not number.is_finite():
                raise ValueError
        except (ValueError, ArithmeticError, InvalidOperation):
            problems.append((name, _("%(field)s应为数字，现为“%(value)s”。") % {"field": _label(name), "value": raw[:20]}))
            return None
        limit = Decimal(10) ** (digits - 2)
        if number < 0 or number >= limit:
            problems.append((name, _("%(field)s应在 0 至 %(max)s 之间，现为 %(value)s。") % {
                "field": _label(name), "max": limit - Decimal("0.01"), "value": raw[:20]}))
            return None
        cents = number.quantize(CENT)
        if cents != number:
            problems.append((name, _("%(field)s最多两位小数，现为 %(value)s。") % {"field": _label(name), "value": raw[:20]}))
            return None
        return cents


def _label(name) -> str:
    return str(OrderStatistic._meta.get_field(name).verbose_name)


# --------------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------------


class _Refused(Exception):
    """Raised inside the transaction to roll it back when the file had a bad row."""


def import_order_statistics(*, negotiation, actor, data: bytes, filename: str = "", replace: bool = True,
                            comment: str = "") -> ImportReport:
    """Check and store a platform's order statistics for `negotiation` (see the module's docstring).
    A file-wide problem (encoding, header, size, JSON shape) is a ValidationError on "file"; bad
    rows are the report's errors, and then nothing is written."""
    require_perm(actor, "bargaining.change_negotiation", negotiation)
    if negotiation.state not in TEAM_STATES:
        raise ValidationError({"__all__": [_("当前状态（%(state)s）下不能再导入订单统计。") % {
            "state": negotiation.get_state_display()}]})
    if len(data) > max_bytes():
        raise ValidationError({"file": [_("文件过大（%(size)s）：订单统计文件最大 %(max)s，请拆分后导入。") % {
            "size": _human(len(data)), "max": _human(max_bytes())}]})
    text, encoding = decode(data)
    if not text.strip():
        raise ValidationError({"file": [_("文件是空的。")]})
    fmt = "json" if _is_json(text, filename) else "csv"
    records = _json_records(text) if fmt == "json" else _csv_records(text)
    report = ImportReport(format=fmt, encoding=encoding, filename=filename or "")
    try:
        with transaction.atomic():
            locked(negotiation)
            _write(negotiation, records, report, replace=replace)
            if not report.ok:
                raise _Refused
            if not report.rows:
                raise ValidationError({"file": [_("文件中没有订单统计记录。")]})
            record_step(negotiation, "import_order_statistics", actor=actor, comment=comment, payload={
                "filename": report.filename, "format": fmt, "encoding": encoding, "rows": report.rows,
                "written": report.written, "replaced": report.replaced})
    except _Refused:
        report.written = report.replaced = 0
    return report


def _write(negotiation, records, report: ImportReport, *, replace: bool):
    limit = max_rows()
    cleaner = _Cleaner()
    seen: dict[tuple, int] = {}
    stored: set[tuple] = set()
    if replace:
        report.replaced, _by_model = OrderStatistic.objects.filter(negotiation=negotiation).delete()
    else:
        stored = {(c, m, t, w) for c, m, t, w in OrderStatistic.objects.filter(negotiation=negotiation)
                  .values_list("city", "month", "time_band", "weather").iterator(chunk_size=10_000)}
    batch: list[OrderStatistic] = []
    for line, raw in records:
        report.rows += 1
        if report.rows > limit:
            raise ValidationError({"file": [_("单个文件最多 %(max)d 条订单统计记录，请拆分后导入。") % {"max": limit}]})
        if raw is None:
            report.add(line, "row", _("这一条记录应为对象（含城市、月份等字段）。"))
            continue
        if raw.get("__extra__"):
            report.add(line, "row", _("这一行的列数多于表头（是否有未加引号的逗号？）。"))
            continue
        problems: list[tuple[str, str]] = []
        row = cleaner.clean(raw, problems)
        if row is None:
            for name, message in problems:
                report.add(line, name, message)
            continue
        key = (row["city"], row["month"], row["time_band"], row["weather"])
        if key in seen:
            report.add(line, "row", _("与第 %(line)d 行重复：同一城市、月份、时段和天气只能有一条记录。") % {"line": seen[key]})
            continue
        seen[key] = line
        if key in stored:
            report.add(line, "row", _("已导入过同一城市、月份、时段和天气的记录（不替换导入时不能重复）。"))
            continue
        if report.error_count:
            continue  # the file will be refused: only the checks go on
        batch.append(OrderStatistic(negotiation=negotiation, **row))
        if len(batch) >= BATCH_SIZE:
            report.written += len(OrderStatistic.objects.bulk_create(batch))
            batch = []
    if batch and not report.error_count:
        report.written += len(OrderStatistic.objects.bulk_create(batch))


def _human(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{n / 1024:.0f} KB"
