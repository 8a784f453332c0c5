"""The checklist file, read and checked row by row (services/transfer.py turns it into a version).

Column names and values as docs/legal_checkup.md ("The checklist file") describes them: Chinese or
English headers, the stored codes or their Chinese labels, lists as "platform;agent". A problem
with the whole file (encoding, format, columns) is a ValidationError on "file"; a bad value is a
(field, Chinese message) problem of its row.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import limits
from core.models import Organisation, Worker

from ..models import Profile, Severity
from .checklists import ITEM_FIELDS
from .common import ID_LIKE, PHONE_LIKE

DEFAULT_MAX_ROWS = 1000
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# An XLSX file is a zip: what it unpacks to is bounded too (a small file must not unpack to gigabytes).
XLSX_UNPACKED_FACTOR = 20

FORMATS = ("json", "csv", "xlsx")
LIST_FIELDS = ("company_kinds", "relationship_types", "profiles")
LIST_SEPARATOR = ";"
_SPLIT = re.compile(r"[;；,，、\s]+")
MAX_LENGTHS = {"code": 40, "title": 300, "legal_basis": 300, "source": 200,
               "guidance": 4000, "questions": 4000, "evidence": 4000}
MULTILINE = ("guidance", "questions", "evidence")
ORDER_MAX = 32767  # PositiveSmallIntegerField on every database

# The column names the export writes (Chinese, with the English name in brackets) and reads.
LABELS = {
    "code": "编号", "title": "检查事项", "legal_basis": "法律依据", "severity": "风险等级", "guidance": "检查指引",
    "questions": "询问要点", "evidence": "查阅材料", "company_kinds": "适用企业类型",
    "relationship_types": "适用用工关系", "profiles": "适用评估", "source": "来源", "order": "排序",
}
# Header (trimmed, lower case, a trailing bracket dropped, spaces and hyphens as "_") -> field.
COLUMNS = {
    **{f: f for f in ITEM_FIELDS}, **{label: f for f, label in LABELS.items()},
    "事项编号": "code", "item_code": "code",
    "事项": "title", "检查项目": "title", "标题": "title", "name": "title",
    "依据": "legal_basis", "basis": "legal_basis", "law": "legal_basis",
    "风险": "severity", "等级": "severity", "严重程度": "severity", "risk": "severity", "level": "severity",
    "指引": "guidance", "检查方法": "guidance",
    "询问": "questions", "question": "questions",
    "材料": "evidence", "证据": "evidence", "查阅资料": "evidence",
    "企业类型": "company_kinds", "kinds": "company_kinds", "company_kind": "company_kinds",
    "用工关系": "relationship_types", "用工关系类型": "relationship_types", "relationships": "relationship_types",
    "relationship_type": "relationship_types",
    "评估类型": "profiles", "profile": "profiles", "适用评估类型": "profiles",
    "顺序": "order", "序号": "order", "sort": "order",
}
REQUIRED_COLUMNS = ("code", "title", "legal_basis", "severity")
JSON_KEYS = ("items", "checklist_items", "rows", "data")
_BRACKET = re.compile(r"\s*[（(][^）)]*[）)]\s*$")


def max_rows() -> int:
    return getattr(settings, "WEIQUAN_CHECKLIST_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_bytes() -> int:
    return getattr(settings, "WEIQUAN_CHECKLIST_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def _choices(values_and_labels):
    """{value or label, in lower case: value}."""
    out = {}
    for value, label in values_and_labels:
        out[str(value).lower()] = value
        out[str(label).lower()] = value
    return out


SEVERITIES = {**_choices(Severity.choices), "high": "H", "medium": "M", "low": "L", "高风险": "H", "中风险": "M",
              "低风险": "L"}
KINDS = _choices((k, Organisation.Kind(k).label) for k in Organisation.EMPLOYER_KINDS)
RELATIONSHIPS = _choices(Worker.Relationship.choices)
PROFILES = {**_choices(Profile.choices), "基础": "basic", "深度": "in_depth", "in-depth": "in_depth"}
LIST_CHOICES = {"company_kinds": (KINDS, [(k, Organisation.Kind(k).label) for k in Organisation.EMPLOYER_KINDS]),
                "relationship_types": (RELATIONSHIPS, Worker.Relationship.choices),
                "profiles": (PROFILES, Profile.choices)}


# --------------------------------------------------------------------------------------------------
# Reading: bytes -> (line, raw record)
# --------------------------------------------------------------------------------------------------


def file_error(message):
    return ValidationError({"file": [message]})


def decode(data: bytes) -> tuple[str, str]:
    return limits.decode_file(data, formats=_(" CSV 文件，或 XLSX 文件"))


def column(name) -> str | None:
    text = _BRACKET.sub("", str(name or "").strip().lstrip("\ufeff")).strip().lower()
    return COLUMNS.get(re.sub(r"[\s\-]+", "_", text))


def _columns(names) -> list[str | None]:
    """Each header's field (None for an empty header); unknown or repeated columns refuse the file:
    an item silently applying to every company because its kinds column was misspelt is worse."""
    fields, unknown, seen = [], [], {}
    for name in names:
        shown = str(name or "").strip()
        if not shown:
            fields.append(None)
            continue
        f = column(shown)
        if f is None:
            unknown.append(shown)
        elif f in seen:
            raise file_error(_("“%(a)s”和“%(b)s”是同一列（%(label)s），请删去其一。") % {
                "a": seen[f], "b": shown, "label": LABELS[f]})
        else:
            seen[f] = shown
        fields.append(f)
    if unknown:
        raise file_error(_("不认识的列：%(columns)s。可用的列：%(known)s（中文或英文均可）。") % {
            "columns": "、".join(f"“{u[:30]}”" for u in unknown[:10]),
            "known": "、".join(f"{LABELS[f]}/{f}" for f in ITEM_FIELDS)})
    missing = [f for f in REQUIRED_COLUMNS if f not in seen]
    if missing:
        raise file_error(_("缺少必填列：%(columns)s。") % {"columns": "、".join(f"{LABELS[f]}（{f}）" for f in missing)})
    return fields


def rows_of(table):
    """(line, record) from a header row and data rows (CSV or XLSX)."""
    header_row = next(table, None)
    if header_row is None or not any(str(c or "").strip() for c in header_row[1]):
        raise file_error(_("文件没有表头行（第一行应为列名，如“编号”“检查事项”）。"))
    names = _columns(header_row[1])
    for line, cells in table:
        if not any(str(c if c is not None else "").strip() for c in cells):
            continue
        if len(cells) > len(names) and any(str(c if c is not None else "").strip() for c in cells[len(names):]):
            yield line, {"__extra__": True}
            continue
        yield line, {n: c for n, c in zip(names, cells) if n}


def csv_table(text):
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise file_error(_("CSV 格式错误（第 %(line)d 行）：%(error)s") % {"line": reader.line_num, "error": exc}) from None
        yield line, cells  # the row's first line (a quoted cell may span several)
        line = reader.line_num + 1


def xlsx_table(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile:
        raise file_error(_("不是有效的 XLSX 文件：请用 Excel 或 WPS 另存为 .xlsx 后再导入。")) from None
    if unpacked > max_bytes() * XLSX_UNPACKED_FACTOR:
        raise file_error(_("XLSX 文件解压后过大，请删去多余的工作表或格式后再导入。"))
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception:  # noqa: BLE001 - whatever openpyxl makes of a broken file
        raise file_error(_("无法读取该 XLSX 文件：请用 Excel 或 WPS 另存为 .xlsx 后再导入。")) from None
    rows = sheet.iter_rows(values_only=True)
    n = 0
    try:
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001
                raise file_error(_("无法读取该 XLSX 文件：请用 Excel 或 WPS 另存为 .xlsx 后再导入。")) from None
            n += 1
            yield n, [_xlsx_value(c) for c in cells]
    finally:
        book.close()


def _xlsx_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def json_records(text):
    try:
        data = limits.loads_json(text)
    except limits.JSONTooDeep as exc:
        raise file_error(limits.json_too_deep_message(exc.limit)) from None
    except ValueError as exc:
        raise file_error(limits.json_error_message(exc)) from None
    if isinstance(data, dict):
        data = next((data[k] for k in JSON_KEYS if isinstance(data.get(k), list)), None)
    if not isinstance(data, list):
        raise file_error(_("JSON 文件应为清单事项的数组，或含 items 数组的对象（即导出的格式）。"))
    for n, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            yield n, None
            continue
        out, unknown = {}, []
        for key, value in record.items():
            f = column(key)
            if f is None:
                unknown.append(str(key)[:30])
            else:
                out[f] = value
        if unknown:
            out["__unknown__"] = unknown
        yield n, out


def detect(data: bytes, filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise file_error(_("不支持旧版 .xls 文件：请另存为 .xlsx 或 CSV 后再导入。"))
    for fmt in FORMATS:
        if name.endswith(f".{fmt}"):
            return fmt
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{") else "csv"


# --------------------------------------------------------------------------------------------------
# Checking one record
# --------------------------------------------------------------------------------------------------


def _text(name, value, problems, *, required=False):
    if isinstance(value, (list, dict, bool)):
        problems.append((name, _("%(field)s应为文字。") % {"field": LABELS[name]}))
        return ""
    raw = "" if value is None else str(value)
    text = limits.clean_text(raw, multiline=name in MULTILINE)
    if text and not limits.has_visible(text) or (not text and raw.strip()):
        problems.append((name, _("%(field)s只含不可见字符，没有可见的文字。") % {"field": LABELS[name]}))
        return ""
    if not text:
        if required:
            problems.append((name, _("%(field)s不能为空。") % {"field": LABELS[name]}))
        return ""
    if len(text) > MAX_LENGTHS[name]:
        problems.append((name, _("%(field)s过长：最多 %(max)d 个字，现为 %(n)d 个字。") % {
            "field": LABELS[name], "max": MAX_LENGTHS[name], "n": len(text)}))
        return ""
    if ID_LIKE.search(text):
        problems.append((name, _("%(field)s不得包含身份证号码（清单内容会写入体检报告）。") % {"field": LABELS[name]}))
        return ""
    if PHONE_LIKE.search(text):
        problems.append((name, _("%(field)s不得包含手机号码（清单内容会写入体检报告）。") % {"field": LABELS[name]}))
        return ""
    return text


def _severity(value, problems):
    raw = limits.clean_text("" if value is None else str(value))
    severity = SEVERITIES.get(raw.lower())
    if severity is None:
        problems.append(("severity", _("风险等级应为 H（高）、M（中）或 L（低），现为“%(value)s”。") % {"value": raw[:20]}
                         if raw else _("风险等级不能为空：填 H（高）、M（中）或 L（低）。")))
    return severity


def _list(name, value, problems):
    lookup, allowed = LIST_CHOICES[name]
    if value is None or value == "":
        return []
    if isinstance(value, list):
        tokens = [limits.clean_text(str(v)) for v in value if not isinstance(v, (list, dict))]
        if len(tokens) != len(value):
            problems.append((name, _("%(field)s应为文字的列表。") % {"field": LABELS[name]}))
            return []
    elif isinstance(value, str):
        tokens = _SPLIT.split(limits.clean_text(value))
    else:
        problems.append((name, _("%(field)s应为以“;”分隔的文字。") % {"field": LABELS[name]}))
        return []
    out, unknown = [], []
    for token in (t for t in tokens if t):
        code = lookup.get(token.lower())
        if code is None:
            unknown.append(token[:30])
        elif code not in out:
            out.append(str(code))
    if unknown:
        problems.append((name, _("%(field)s不认识“%(values)s”；可填：%(allowed)s（以“;”分隔，留空表示全部适用）。") % {
            "field": LABELS[name], "values": "、".join(unknown[:5]),
            "allowed": "、".join(f"{v}（{label}）" for v, label in allowed)}))
        return []
    return out


def _order(value, default, problems):
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    raw = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d+(\.0+)?", raw) or int(raw.split(".")[0]) > ORDER_MAX:
        problems.append(("order", _("排序应为 0 至 %(max)d 的整数，现为“%(value)s”。") % {"max": ORDER_MAX, "value": raw[:20]}))
        return default
    return int(raw.split(".")[0])


def clean_record(raw: dict, position: int, problems: list) -> dict | None:
    out = {
        "code": _text("code", raw.get("code"), problems, required=True),
        "title": _text("title", raw.get("title"), problems, required=True),
        "legal_basis": _text("legal_basis", raw.get("legal_basis"), problems, required=True),
        "severity": _severity(raw.get("severity"), problems),
    }
    for name in ("guidance", "questions", "evidence", "source"):
        out[name] = _text(name, raw.get(name), problems)
    for name in LIST_FIELDS:
        out[name] = _list(name, raw.get(name), problems)
    out["order"] = _order(raw.get("order"), position, problems)
    return None if problems else out


