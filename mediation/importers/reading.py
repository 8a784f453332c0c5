"""Reading a court's referral list: bytes -> text -> raw rows, before any rule is checked.

Why a module of its own: a court's export is untidy in ways that have nothing to do with the rules
(UTF-8 with or without a BOM, or GBK; English or Chinese column names; several claimants, respondents
or claims in one cell), and the import page previews a file with `decode()` and `parse()` alone,
without the database. Cleaning (cleaning.py) and the lookups (lookups.py) read a row's parties through
`claimant_items()`, `respondent_items()` and `claim_items()`, whatever shape the file gave them.
"""

from __future__ import annotations

import csv
import functools
import io
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import limits

MAX_ROWS = 100_000
SEPARATORS = re.compile(r"[;；|]")

# Column names a court's export may use -> ours.
COLUMN_ALIASES = {
    "court": "court", "法院": "court", "委派法院": "court", "委托法院": "court",
    "court_case_number": "court_case_number", "case_number": "court_case_number", "案号": "court_case_number",
    "法院案号": "court_case_number",
    "source": "source", "来源": "source", "调解类型": "source", "类型": "source",
    "procedure": "procedure", "程序": "procedure", "适用程序": "procedure",
    "referred_on": "referred_on", "referral_date": "referred_on", "委派日期": "referred_on",
    "委托日期": "referred_on", "转交日期": "referred_on", "日期": "referred_on",
    "title": "title", "案由": "title",
    "facts": "facts", "纠纷简要情况": "facts", "简要案情": "facts",
    "claimant_names": "claimant_names", "claimant_name": "claimant_names", "claimants": "claimants",
    "申请人": "claimant_names", "原告": "claimant_names", "申请人姓名": "claimant_names",
    "claimant_id_numbers": "claimant_id_numbers", "claimant_id_number": "claimant_id_numbers",
    "身份证号码": "claimant_id_numbers", "身份证号": "claimant_id_numbers", "申请人身份证号码": "claimant_id_numbers",
    "claimant_phones": "claimant_phones", "claimant_phone": "claimant_phones", "电话": "claimant_phones",
    "联系电话": "claimant_phones", "申请人电话": "claimant_phones",
    "occupation": "occupation", "职业": "occupation",
    "respondents": "respondents", "respondent": "respondents", "被申请人": "respondents", "被告": "respondents",
    "被申请单位": "respondents",
    "respondent_credit_codes": "respondent_credit_codes", "respondent_credit_code": "respondent_credit_codes",
    "统一社会信用代码": "respondent_credit_codes",
    "claims": "claims", "claim": "claims", "请求事项": "claims", "诉讼请求": "claims",
    "claim_amounts": "claim_amounts", "claim_amount": "claim_amounts", "amount": "claim_amounts",
    "amounts": "claim_amounts", "金额": "claim_amounts", "请求金额": "claim_amounts",
}


def alias(table: dict, text: str):
    """`table`'s entry for `text` as written or in lower case (the tables' keys are lower case or
    Chinese), or None."""
    return table.get(text) or table.get(text.lower())


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without a BOM), else GBK (core.limits.decode_file)."""
    return limits.decode_file(data, formats=_(" CSV 或 JSON 文件"))


def parse(text: str, filename: str = "") -> tuple[str, list[tuple[int, dict]]]:
    """(format, [(row number, raw row)]): row numbers as a person counts them (CSV: the header is
    row 1, so data starts at 2; JSON: the 1-based position in the list)."""
    name = (filename or "").lower()
    stripped = text.lstrip()
    is_json = name.endswith(".json") or (not name.endswith(".csv") and stripped[:1] in "[{")
    fmt, rows = ("json", _json_rows(text)) if is_json else ("csv", _csv_rows(text))
    if len(rows) > MAX_ROWS:
        raise ValidationError({"file": [_("单个文件最多 %(max)d 条记录，请拆分后导入。") % {"max": MAX_ROWS}]})
    return fmt, rows


def _json_rows(text):
    try:
        # Nesting bounded (WEIQUAN_JSON_MAX_DEPTH) before parsing: a file of 100,000 brackets is a
        # field error, not a RecursionError.
        data = limits.loads_json(text)
    except limits.JSONTooDeep as exc:
        raise ValidationError({"file": [limits.json_too_deep_message(exc.limit)]}) from None
    except ValueError as exc:
        raise ValidationError({"file": [limits.json_error_message(exc)]}) from None
    if isinstance(data, dict):
        data = data.get("referrals", data.get("rows"))
    if not isinstance(data, list):
        raise ValidationError({"file": [_("JSON 文件应为委派记录的数组，或含 referrals 数组的对象。")]})
    return [(i, _canonical_keys(r) if isinstance(r, dict) else r) for i, r in enumerate(data, start=1)]


def _csv_rows(text):
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ValidationError({"file": [_("CSV 文件没有表头行。")]})
    if not any(_column(h) for h in reader.fieldnames):
        unknown = [h for h in reader.fieldnames if h and _column(h) is None]
        raise ValidationError({"file": [_("CSV 表头无法识别：%(headers)s") % {"headers": "、".join(unknown)}]})
    rows = []
    for raw in reader:
        if not any((v or "").strip() for k, v in raw.items() if k is not None and isinstance(v, str)):
            continue  # a blank line
        rows.append((reader.line_num, _canonical_keys(raw)))
    return rows


@functools.lru_cache(maxsize=1024)  # a file's few headers, asked once per row each
def _column(header):
    return alias(COLUMN_ALIASES, (header or "").strip().lstrip("\ufeff"))


def _canonical_keys(raw: dict) -> dict:
    out = {}
    for key, value in raw.items():
        if key is None:
            continue
        name = _column(key) or str(key).strip()
        out[name] = value.strip() if isinstance(value, str) else value
    return out


# --- a row's parties and claims, as dicts whatever the file's shape ------------------------------------


def split_cell(value) -> list[str]:
    """A cell's parts ("a;b", "a；b" or "a|b"), or a list's items, stripped."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    text = str(value).strip()
    return [part.strip() for part in SEPARATORS.split(text)] if text else []


def _listed(items, key):
    """A JSON list of objects as it is; a bare item (a name, a Worker...) as {key: item}."""
    return [i if isinstance(i, dict) else {key: i} for i in items]


def claimant_items(raw) -> list[dict]:
    items = raw.get("claimants")
    if isinstance(items, list):
        return _listed(items, "worker")
    names, ids = split_cell(raw.get("claimant_names")), split_cell(raw.get("claimant_id_numbers"))
    phones = split_cell(raw.get("claimant_phones"))
    return [
        {"name": names[i] if i < len(names) else "", "id_number": ids[i] if i < len(ids) else "",
         "phone": phones[i] if i < len(phones) else "", "occupation": raw.get("occupation") or ""}
        for i in range(max(len(names), len(ids)))
    ]


def respondent_items(raw) -> list[dict]:
    items = raw.get("respondents")
    if isinstance(items, list):
        return _listed(items, "name")
    names, codes = split_cell(items), split_cell(raw.get("respondent_credit_codes"))
    return [{"name": n, "credit_code": codes[i] if i < len(codes) else ""} for i, n in enumerate(names)]


def claim_items(raw) -> list[dict]:
    items = raw.get("claims")
    if isinstance(items, list):
        return _listed(items, "description")
    descriptions, amounts = split_cell(items), split_cell(raw.get("claim_amounts"))
    if not descriptions and amounts:
        descriptions = [""] * len(amounts)
    return [{"description": d, "amount": amounts[i] if i < len(amounts) else None} for i, d in enumerate(descriptions)]
