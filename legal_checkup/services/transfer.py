"""A checklist version to a file and back: JSON, CSV or XLSX (docs/legal_checkup.md, "The checklist file").

    data = export_checklist(version, format="xlsx")                       # bytes
    report = import_checklist(checklist=c, actor=supervisor, data=data, filename="清单.xlsx")
    report.as_dict()  # {"rows": 25, "written": 25, "version": {"id": 7, "number": 2}, "errors": []}

Every ChecklistItem field travels (checklists.ITEM_FIELDS); the lists (company kinds,
relationship types, profiles) are JSON arrays in JSON and "platform;agent" in a CSV or XLSX cell.
Column names are Chinese or English ("风险等级" or "severity"; the export writes both, as
"风险等级（severity）"); values are the stored codes or their Chinese labels ("H" or "高",
"platform" or "平台企业"). CSV: UTF-8 with or without a BOM, or GBK (read as GB18030); exported as
UTF-8 with a BOM, which Excel opens correctly.

Every row is checked (required code, title and legal basis; the code unique in the file; the
severity; kinds among the employer kinds, relationship types among Worker.Relationship, profiles
among basic / in_depth; lengths; no ID or phone number); the report names each bad field with its
line (CSV and XLSX: the row in the sheet, the header being row 1; JSON: the item's place in the
list, from 1) and a Chinese message. Any bad row: nothing is written. A good file becomes a NEW
unpublished version of the checklist (never a change to a published version, nor to any checkup
pinned to one), to be reviewed and published like any other (services.checklists.publish).
Checklists are reference data: not journaled, like the rest of services.checklists.
Sizes are bounded: WEIQUAN_CHECKLIST_IMPORT_MAX_ROWS items and WEIQUAN_CHECKLIST_IMPORT_MAX_BYTES
bytes (settings; defaults in checklist_file.py: 1,000 items, 5 MB).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import limits
from core.row_reports import RowReport
from core.services import require_perm

from ..models import Checklist, ChecklistItem, ChecklistVersion
from .checklist_file import (
    FORMATS,
    LABELS,
    LIST_CHOICES,
    LIST_FIELDS,
    LIST_SEPARATOR,
    MULTILINE,
    clean_record,
    csv_table,
    decode,
    detect,
    file_error,
    json_records,
    max_bytes,
    max_rows,
    rows_of,
    xlsx_table,
)
from .checklists import ITEM_FIELDS, new_version

MAX_REPORTED_ERRORS = 1000

# --------------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------------


def item_rows(version) -> list[dict]:
    return [{f: getattr(i, f) for f in ITEM_FIELDS} for i in version.items.order_by("order", "id")]


def header(name) -> str:
    return f"{LABELS[name]}（{name}）"


def _cell(name, value):
    if name in LIST_FIELDS:
        return LIST_SEPARATOR.join(value or [])
    return value if name == "order" else (value or "")


def export_checklist(version: ChecklistVersion, format: str = "json") -> bytes:  # noqa: A002 - the brief's name
    """The version's items as a file: "json" (UTF-8), "csv" (UTF-8 with a BOM) or "xlsx"."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
    rows = item_rows(version)
    if format == "json":
        checklist = version.checklist
        return json.dumps({
            "checklist": {"code": checklist.code, "name": checklist.name}, "version": version.number,
            "note": version.note, "published_at": version.published_at.isoformat() if version.published_at else None,
            "items": rows,
        }, ensure_ascii=False, indent=2).encode("utf-8")
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([header(f) for f in ITEM_FIELDS])
        for row in rows:
            writer.writerow([_cell(f, row[f]) for f in ITEM_FIELDS])
        return out.getvalue().encode("utf-8-sig")
    return _xlsx(version, rows)


def _xlsx(version, rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("清单事项"))
    sheet.append([header(f) for f in ITEM_FIELDS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, row in enumerate(rows, start=2):
        for col, name in enumerate(ITEM_FIELDS, start=1):
            cell = sheet.cell(row=n, column=col, value=_cell(name, row[name]))
            if name != "order":
                cell.data_type = "s"  # a text beginning with "=" stays text, "01" stays "01"
                cell.number_format = "@"
            if name in MULTILINE or name == "title":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = {"code": 8, "title": 48, "legal_basis": 32, "severity": 10, "guidance": 40, "questions": 30,
              "evidence": 30, "company_kinds": 22, "relationship_types": 22, "profiles": 16, "source": 16, "order": 8}
    for col, name in enumerate(ITEM_FIELDS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = widths[name]
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(str(_("填写说明")))
    notes.append([str(_("列")), str(_("可填写的值"))])
    notes.append([header("severity"), str(_("H（高）、M（中）、L（低）"))])
    for name in LIST_FIELDS:
        allowed = "、".join(f"{v}（{label}）" for v, label in LIST_CHOICES[name][1])
        notes.append([header(name), _("以“;”分隔多项，留空表示全部适用：%(allowed)s") % {"allowed": allowed}])
    notes.append([header("order"), str(_("整数，留空按行的先后"))])
    notes.append(["", f"{version.checklist.name} v{version.number}"])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------


@dataclass
class ImportReport(RowReport):
    version: ChecklistVersion | None = None
    max_reported: ClassVar[int] = MAX_REPORTED_ERRORS

    def as_dict(self):
        version = None if self.version is None else {"id": self.version.pk, "number": self.version.number}
        return {"rows": self.rows, "written": self.written, "version": version, "errors": self.error_dicts()}


# --------------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------------


def import_checklist(*, checklist: Checklist, actor, data: bytes, filename: str = "", note: str = "") -> ImportReport:
    """Check a checklist file and make it a new unpublished version of `checklist` (see the
    module's docstring). A file-wide problem (size, encoding, format, columns, an unpublished
    version already waiting) is a ValidationError; bad rows are the report's errors, and then
    nothing is written."""
    require_perm(actor, "legal_checkup.manage_checklists")
    if len(data) > max_bytes():
        raise file_error(_("文件过大（%(size)d KB）：清单文件最大 %(max)d KB。") % {
            "size": len(data) // 1024, "max": max_bytes() // 1024})
    _no_draft(checklist)
    fmt = detect(data, filename)
    encoding = ""
    if fmt == "xlsx":
        records = rows_of(xlsx_table(data))
    else:
        text, encoding = decode(data)
        if not text.strip():
            raise file_error(_("文件是空的。"))
        records = json_records(text) if fmt == "json" else rows_of(csv_table(text))
    report = ImportReport(format=fmt, encoding=encoding, filename=filename or "")
    items = _check(records, report)
    if not report.ok:
        return report
    if not items:
        raise file_error(_("文件中没有清单事项。"))
    note = limits.clean_text(note) or _("由文件 %(name)s 导入") % {"name": (filename or fmt)[:100]}
    with transaction.atomic():
        Checklist.objects.select_for_update().get(pk=checklist.pk)  # two imports at once: one waits, then is told
        version = new_version(checklist=checklist, actor=actor, note=note[:200])
        version.items.all().delete()  # new_version copies the last version; the file replaces that copy
        ChecklistItem.objects.bulk_create([ChecklistItem(version=version, **item) for item in items])
    report.version, report.written = version, len(items)
    return report


def _no_draft(checklist):
    last = checklist.versions.order_by("-number").first()
    if last is not None and not last.published:
        raise ValidationError({"checklist": [_(
            "已有未发布的版本 v%(n)d：请先发布或删除它，再导入新版本。") % {"n": last.number}]})


def _check(records, report: ImportReport) -> list[dict]:
    limit = max_rows()
    seen: dict[str, int] = {}
    items = []
    for line, raw in records:
        report.rows += 1
        if report.rows > limit:
            raise file_error(_("一个清单文件最多 %(max)d 个事项。") % {"max": limit})
        if raw is None:
            report.add(line, "row", _("这一条应为对象（含编号、检查事项等字段）。"))
            continue
        if raw.get("__extra__"):
            report.add(line, "row", _("这一行的列数多于表头（是否有未加引号的逗号？）。"))
            continue
        for key in raw.pop("__unknown__", ()):
            report.add(line, key, _("不认识的字段“%(key)s”。") % {"key": key})
        problems: list[tuple[str, str]] = []
        item = clean_record(raw, report.rows, problems)
        code = item["code"] if item else limits.clean_text(str(raw.get("code") or ""))
        if code and code in seen:
            problems.append(("code", _("编号“%(code)s”与第 %(line)d 行重复：同一清单版本中编号不能重复。") % {
                "code": code[:40], "line": seen[code]}))
        elif code:
            seen[code] = line
        for name, message in problems:
            report.add(line, name, message)
        if not problems and item is not None:
            items.append(item)
    return items
