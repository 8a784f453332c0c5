"""Referral intake: a court's referral list in bulk (CSV or JSON, UTF-8 or GBK), and the checks
single entry shares with it.

    report = import_referrals(actor=user, data=open("list.csv", "rb").read(), filename="list.csv",
                              court=court, progress=lambda done, total, report: ...)

- Idempotent on (court, court case number): the unique constraint `unique_court_referral` decides,
  so a list imported twice, or by two people at once, creates each referral once.
- Each row is checked on its own and reported: `created` (with the new mediation number),
  `duplicate` (already registered, or an earlier row of the same file) or `refused` with reasons
  (unknown court, invalid ID number, negative amount...). Good rows are kept whatever the others do.
- Nothing is half-written: rows are written in batches, each batch in one transaction; if a batch
  fails (someone else registered the same referral or worker at that moment) it is rolled back and
  its rows are written again one by one, each in its own transaction.
- `progress(done, total, report)` is called after each batch: the import page's progress bar, the
  command's progress line.

Rows, CSV (a header row; English or Chinese column names, see COLUMN_ALIASES; several claimants,
respondents or claims in one cell separated by ";"):

    court,court_case_number,source,procedure,referred_on,claimant_names,claimant_id_numbers,
    claimant_phones,respondents,respondent_credit_codes,claims,claim_amounts,title,facts

JSON: a list of objects (or {"referrals": [...]}) with the same keys, where `claimants`,
`respondents` and `claims` may be lists of objects ({name, id_number, phone}, {name, credit_code,
kind}, {description, amount, category}).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from core import identifiers, journal
from core.models import Category, Organisation, Worker, resident_id_digest

from .models import COURT_SOURCES, Mediation, MediationClaim, Procedure, Source

MAX_ROWS = 100_000
BATCH_SIZE = 500
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
SOURCE_ALIASES = {
    "court_pre_suit": Source.COURT_PRE_SUIT, "pre_suit": Source.COURT_PRE_SUIT, "委派": Source.COURT_PRE_SUIT,
    "诉前": Source.COURT_PRE_SUIT, "诉前调解": Source.COURT_PRE_SUIT, "委派调解": Source.COURT_PRE_SUIT,
    "court_in_suit": Source.COURT_IN_SUIT, "in_suit": Source.COURT_IN_SUIT, "委托": Source.COURT_IN_SUIT,
    "诉中": Source.COURT_IN_SUIT, "诉中调解": Source.COURT_IN_SUIT, "委托调解": Source.COURT_IN_SUIT,
    "union": Source.UNION, "工会": Source.UNION, "工会调解": Source.UNION,
}
PROCEDURE_ALIASES = {
    "ordinary": Procedure.ORDINARY, "普通": Procedure.ORDINARY, "普通程序": Procedure.ORDINARY,
    "simple": Procedure.SIMPLE, "简易": Procedure.SIMPLE, "简易程序": Procedure.SIMPLE,
}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


# --------------------------------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without a BOM), else GBK (read as its superset GB18030)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise ValidationError({"file": ["无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV 或 JSON。"]}) from None


def parse(text: str, filename: str = "") -> tuple[str, list[tuple[int, dict]]]:
    """(format, [(row number, raw row)]): row numbers as a person counts them (CSV: the header is
    row 1, so data starts at 2; JSON: the 1-based position in the list)."""
    name = (filename or "").lower()
    stripped = text.lstrip()
    is_json = name.endswith(".json") or (not name.endswith(".csv") and stripped[:1] in "[{")
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError({"file": [f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}"]}) from None
        if isinstance(data, dict):
            data = data.get("referrals", data.get("rows"))
        if not isinstance(data, list):
            raise ValidationError({"file": ["JSON 文件应为委派记录的数组，或含 referrals 数组的对象。"]})
        rows = [(i, _canonical_keys(r) if isinstance(r, dict) else r) for i, r in enumerate(data, start=1)]
        fmt = "json"
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise ValidationError({"file": ["CSV 文件没有表头行。"]})
        unknown = [h for h in reader.fieldnames if h and _column(h) is None]
        if len([h for h in reader.fieldnames if _column(h)]) == 0:
            raise ValidationError({"file": [f"CSV 表头无法识别：{'、'.join(unknown)}"]})
        rows = []
        for raw in reader:
            if not any((v or "").strip() for k, v in raw.items() if k is not None and isinstance(v, str)):
                continue  # a blank line
            rows.append((reader.line_num, _canonical_keys(raw)))
        fmt = "csv"
    if len(rows) > MAX_ROWS:
        raise ValidationError({"file": [f"单个文件最多 {MAX_ROWS} 条记录，请拆分后导入。"]})
    return fmt, rows


def _column(header):
    key = (header or "").strip().lstrip("\ufeff")
    return COLUMN_ALIASES.get(key) or COLUMN_ALIASES.get(key.lower())


def _canonical_keys(raw: dict) -> dict:
    out = {}
    for key, value in raw.items():
        if key is None:
            continue
        name = _column(key) or str(key).strip()
        out[name] = value.strip() if isinstance(value, str) else value
    return out


# --------------------------------------------------------------------------------------------------
# Cleaning one referral
# --------------------------------------------------------------------------------------------------


@dataclass
class ClaimantSpec:
    name: str
    id_number: str = ""
    digest: str = ""
    phone: str = ""
    occupation: str = Worker.Occupation.OTHER
    worker: Worker | None = None


@dataclass
class RespondentSpec:
    name: str
    credit_code: str | None = None
    kind: str = Organisation.Kind.PLATFORM
    organisation: Organisation | None = None


@dataclass
class CleanReferral:
    source: str
    court: Organisation | None
    court_case_number: str
    procedure: str
    referred_on: datetime.date
    title: str
    facts: str
    claimants: list[ClaimantSpec] = field(default_factory=list)
    respondents: list[RespondentSpec] = field(default_factory=list)
    claims: list[tuple[Category | None, str, Decimal | None]] = field(default_factory=list)

    @property
    def key(self):
        return (self.court.pk if self.court else None, self.court_case_number)


class Lookups:
    """What cleaning and writing look up, read in bulk per batch and kept for the whole import."""

    def __init__(self):
        self.courts = {o.name: o for o in Organisation.objects.filter(kind=Organisation.Kind.COURT)}
        self.categories = {}
        for c in Category.objects.all():
            self.categories[c.code] = c
            self.categories[c.name] = c
        self.workers: dict[str, Worker] = {}
        self.orgs_by_name: dict[str, Organisation] = {}
        self.orgs_by_code: dict[str, Organisation] = {}
        self.referrals: dict[tuple, str] = {}
        # What has been looked for already (found or not), so a miss costs one query per import.
        self._digests_seen: set[str] = set()
        self._names_seen: set[str] = set()
        self._codes_seen: set[str] = set()
        self._keys_seen: set[tuple] = set()

    def court(self, value):
        if isinstance(value, Organisation):
            return value if value.kind == Organisation.Kind.COURT else None
        if value in (None, ""):
            return None
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return next((c for c in self.courts.values() if c.pk == int(value)), None)
        return self.courts.get(str(value).strip())

    def prefetch(self, raws: list[dict], default_court=None):
        """Read, in a few queries, the workers, organisations and referrals these rows mention."""
        digests, names, codes, keys = set(), set(), set(), set()
        for raw in raws:
            if not isinstance(raw, dict):
                continue
            for c in _claimant_items(raw):
                try:
                    digests.add(resident_id_digest(identifiers.validate_resident_id(str(c.get("id_number") or ""))))
                except ValidationError:
                    pass
            for r in _respondent_items(raw):
                if r.get("name"):
                    names.add(str(r["name"]).strip())
                if r.get("credit_code"):
                    codes.add(str(r["credit_code"]).strip().upper())
            court = self.court(raw.get("court")) or default_court
            if court is not None and raw.get("court_case_number"):
                keys.add((court.pk, str(raw["court_case_number"]).strip()))
        digests -= self._digests_seen
        self._digests_seen |= digests
        if digests:
            for w in Worker.objects.filter(id_number_digest__in=digests).only("pk", "name", "id_number_digest"):
                self.workers[w.id_number_digest] = w
        names -= self._names_seen
        codes -= self._codes_seen
        self._names_seen |= names
        self._codes_seen |= codes
        if names or codes:
            for o in Organisation.objects.filter(models_q(name__in=names) | models_q(credit_code__in=codes)):
                self._remember_org(o)
        keys -= self._keys_seen
        self._keys_seen |= keys
        if keys:
            numbers = {n for _c, n in keys}
            courts = {c for c, _n in keys}
            for court_id, number, mediation in Mediation.objects.filter(
                court_id__in=courts, court_case_number__in=numbers
            ).values_list("court_id", "court_case_number", "number"):
                self.referrals[(court_id, number)] = mediation

    def _remember_org(self, org):
        self.orgs_by_name[org.name] = org
        if org.credit_code:
            self.orgs_by_code[org.credit_code] = org

    def worker(self, digest):
        if digest not in self._digests_seen:
            self._digests_seen.add(digest)
            w = Worker.objects.filter(id_number_digest=digest).only("pk", "name", "id_number_digest").first()
            if w is not None:
                self.workers[digest] = w
        return self.workers.get(digest)

    def organisation(self, name, code):
        if name not in self._names_seen or (code and code not in self._codes_seen):
            self.prefetch([{"respondents": [{"name": name, "credit_code": code}]}])
        return (self.orgs_by_code.get(code) if code else None) or self.orgs_by_name.get(name)

    def existing_referral(self, court, number):
        if court is None or not number:
            return None
        key = (court.pk, number)
        if key not in self._keys_seen:
            self._keys_seen.add(key)
            found = Mediation.objects.filter(court=court, court_case_number=number).values_list("number", flat=True).first()
            if found:
                self.referrals[key] = found
        return self.referrals.get(key)

    def remember(self, mediations, written: list[CleanReferral]):
        """After a batch committed: what it created is there for the next batches."""
        for m, row in zip(mediations, written):
            if row.court is not None:
                self.referrals[row.key] = m.number
            for c in row.claimants:
                if c.worker is not None:
                    self.workers[c.digest] = c.worker
            for r in row.respondents:
                if r.organisation is not None:
                    self._remember_org(r.organisation)


def models_q(**kw):
    from django.db.models import Q

    return Q(**kw)


def _split(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    text = str(value).strip()
    return [part.strip() for part in SEPARATORS.split(text)] if text else []


def _claimant_items(raw) -> list[dict]:
    items = raw.get("claimants")
    if isinstance(items, list):
        return [i if isinstance(i, dict) else {"worker": i} for i in items]
    names, ids, phones = _split(raw.get("claimant_names")), _split(raw.get("claimant_id_numbers")), _split(raw.get("claimant_phones"))
    count = max(len(names), len(ids))
    return [
        {"name": names[i] if i < len(names) else "", "id_number": ids[i] if i < len(ids) else "",
         "phone": phones[i] if i < len(phones) else "", "occupation": raw.get("occupation") or ""}
        for i in range(count)
    ]


def _respondent_items(raw) -> list[dict]:
    items = raw.get("respondents")
    if isinstance(items, list):
        return [i if isinstance(i, dict) else {"name": i} for i in items]
    names, codes = _split(items), _split(raw.get("respondent_credit_codes"))
    return [{"name": n, "credit_code": codes[i] if i < len(codes) else ""} for i, n in enumerate(names)]


def _claim_items(raw) -> list[dict]:
    items = raw.get("claims")
    if isinstance(items, list):
        return [i if isinstance(i, dict) else {"description": i} for i in items]
    descriptions, amounts = _split(items), _split(raw.get("claim_amounts"))
    if not descriptions and amounts:
        descriptions = [""] * len(amounts)
    return [{"description": d, "amount": amounts[i] if i < len(amounts) else None} for i, d in enumerate(descriptions)]


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = _DATE.fullmatch(str(value or "").strip())
    if not match:
        raise ValueError
    return datetime.date(*(int(g) for g in match.groups()))


def clean_referral(raw, *, lookups: Lookups, default_court=None, default_source=None) -> CleanReferral:
    """Check one referral; raise ValidationError with every problem found, field by field."""
    from django.utils import timezone

    if not isinstance(raw, dict):
        raise ValidationError({"row": ["记录应为一个对象（字段名: 值）。"]})
    errors: dict[str, list[str]] = {}

    def err(name, message):
        errors.setdefault(name, []).append(message)

    source = raw.get("source") or default_source or (Source.COURT_PRE_SUIT if (raw.get("court") or default_court) else Source.UNION)
    source = SOURCE_ALIASES.get(str(source).strip().lower(), SOURCE_ALIASES.get(str(source).strip()))
    if source is None:
        err("source", f"未知的调解类型：{raw.get('source')}（诉前委派、诉中委托或工会调解）")

    court_value = raw.get("court") if raw.get("court") not in (None, "") else default_court
    court = lookups.court(court_value)
    if court_value not in (None, "") and court is None:
        label = court_value.name if isinstance(court_value, Organisation) else court_value
        err("court", f"未知的法院：{label}（请先登记该法院，或核对名称）")
    number = str(raw.get("court_case_number") or "").strip()
    if source in COURT_SOURCES:
        if court_value in (None, ""):
            err("court", "法院委派或委托的调解须写明法院。")
        if not number:
            err("court_case_number", "请填写法院案号。")
        elif len(number) > 100:
            err("court_case_number", "法院案号过长。")
    elif source == Source.UNION and (court is not None or number):
        err("court", "工会调解不填写法院和法院案号。")

    procedure = str(raw.get("procedure") or "").strip()
    if procedure:
        procedure = PROCEDURE_ALIASES.get(procedure.lower(), PROCEDURE_ALIASES.get(procedure))
        if procedure is None:
            err("procedure", f"未知的适用程序：{raw.get('procedure')}（普通程序或简易程序）")
    if source == Source.COURT_IN_SUIT and not procedure and "procedure" not in errors:
        err("procedure", "诉中委托调解须注明适用普通程序（15日）或简易程序（7日）。")

    referred_on = None
    try:
        referred_on = _date(raw.get("referred_on")) if raw.get("referred_on") not in (None, "") else timezone.localdate()
        if referred_on > timezone.localdate():
            err("referred_on", "委派日期不能晚于今天。")
    except ValueError:
        err("referred_on", f"日期无法识别：{raw.get('referred_on')}（应为 2026-01-05 格式）")

    claimants, seen = [], set()
    items = _claimant_items(raw)
    if not items:
        err("claimants", "至少需要一名申请人（姓名和身份证号码）。")
    for i, item in enumerate(items, start=1):
        if isinstance(item.get("worker"), Worker):
            w = item["worker"]
            claimants.append(ClaimantSpec(name=w.name, digest=w.id_number_digest, worker=w))
            continue
        name = str(item.get("name") or "").strip()
        who = f"第{i}名申请人{('（' + name + '）') if name else ''}"
        if not name:
            err("claimants", f"{who}：缺少姓名。")
        try:
            id_number = identifiers.validate_resident_id(str(item.get("id_number") or ""))
        except ValidationError as exc:
            err("claimants", f"{who}身份证号码无效：{'；'.join(exc.messages)}")
            continue
        digest = resident_id_digest(id_number)
        if digest in seen:
            err("claimants", f"{who}：身份证号码与本条记录中的另一名申请人重复。")
            continue
        seen.add(digest)
        phone = str(item.get("phone") or "").strip()
        if phone:
            try:
                phone = identifiers.normalise_phone(phone)
            except ValidationError as exc:
                err("claimants", f"{who}电话号码无效：{'；'.join(exc.messages)}")
        occupation = str(item.get("occupation") or "").strip() or Worker.Occupation.OTHER
        if occupation not in Worker.Occupation.values:
            occupation = {str(label): value for value, label in Worker.Occupation.choices}.get(occupation, Worker.Occupation.OTHER)
        claimants.append(ClaimantSpec(name=name, id_number=id_number, digest=digest, phone=phone,
                                      occupation=occupation, worker=lookups.worker(digest)))

    respondents = []
    items = _respondent_items(raw)
    if not items:
        err("respondents", "至少需要一个被申请单位。")
    for i, item in enumerate(items, start=1):
        if isinstance(item, Organisation):
            respondents.append(RespondentSpec(name=item.name, organisation=item))
            continue
        if isinstance(item.get("name"), Organisation):
            respondents.append(RespondentSpec(name=item["name"].name, organisation=item["name"]))
            continue
        name = str(item.get("name") or "").strip()
        if not name:
            err("respondents", f"第{i}个被申请单位：缺少名称。")
            continue
        code = str(item.get("credit_code") or "").strip() or None
        if code:
            try:
                code = identifiers.validate_credit_code_format(code)
            except ValidationError as exc:
                err("respondents", f"被申请单位（{name}）统一社会信用代码无效：{'；'.join(exc.messages)}")
                continue
        kind = str(item.get("kind") or "").strip() or Organisation.Kind.PLATFORM
        if kind not in Organisation.EMPLOYER_KINDS:
            err("respondents", f"被申请单位（{name}）类型应为平台、代理商、加盟商或劳务派遣单位。")
            continue
        org = lookups.organisation(name, code)
        if org is not None:
            if code and org.credit_code and org.credit_code != code:
                err("respondents", f"被申请单位（{name}）的统一社会信用代码与已登记的 {org.credit_code} 不一致。")
                continue
            if code and org.name != name:
                err("respondents", f"统一社会信用代码 {code} 已登记为“{org.name}”，与“{name}”不一致。")
                continue
        elif code and not identifiers.credit_code_checksum_ok(code):
            err("respondents", f"被申请单位（{name}）统一社会信用代码校验码不符（GB 32100）；如确为早期合法代码，请由主管先行登记该单位。")
            continue
        respondents.append(RespondentSpec(name=name, credit_code=code, kind=kind, organisation=org))

    claims = []
    for i, item in enumerate(_claim_items(raw), start=1):
        description = str(item.get("description") or "").strip()
        if not description:
            err("claims", f"第{i}项请求：缺少请求事项。")
        if len(description) > 300:
            err("claims", f"第{i}项请求：请求事项过长（300字以内）。")
        amount = item.get("amount")
        if amount in (None, ""):
            amount = None
        else:
            try:
                amount = Decimal(str(amount).replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip())
                if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                err("claims", f"第{i}项请求：金额无法识别：{item.get('amount')}")
                amount = None
            else:
                if amount < 0:
                    err("claims", f"第{i}项请求（{description}）：金额不能为负数（{amount}）。")
        category = item.get("category")
        category = lookups.categories.get(str(category).strip()) if category else None
        if item.get("category") and category is None:
            err("claims", f"第{i}项请求：未知的争议类别：{item.get('category')}")
        claims.append((category, description, amount))
    if not claims:
        err("claims", "至少需要一项请求事项。")

    title = str(raw.get("title") or "").strip() or (claims[0][1][:60] if claims and claims[0][1] else "劳动争议")
    if len(title) > 200:
        err("title", "案由过长（200字以内）。")
    if errors:
        raise ValidationError(errors)
    return CleanReferral(
        source=source, court=court if source in COURT_SOURCES else None,
        court_case_number=number if source in COURT_SOURCES else "", procedure=procedure or "",
        referred_on=referred_on, title=title, facts=str(raw.get("facts") or "").strip(),
        claimants=claimants, respondents=respondents, claims=claims,
    )


# --------------------------------------------------------------------------------------------------
# Writing referrals (one or a batch, inside the caller's transaction)
# --------------------------------------------------------------------------------------------------


def write_referrals(rows: list[CleanReferral], *, actor, lookups: Lookups, comment="") -> list[Mediation]:
    """Create the mediations (state `referred`) with their parties and claims, and journal them.

    Bulk statements for the whole batch: new workers, new organisations, the numbers (one block per
    year from the sequence), the mediations, their links, claims and journal events. Runs inside the
    caller's transaction; an IntegrityError means someone else registered the same thing first.
    """
    from core.services import next_numbers

    from .services.intake import NUMBER_PREFIX

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("write_referrals() runs inside a transaction")
    if not rows:
        return []
    # Workers and organisations not registered yet (the same person in two rows is one worker).
    new_workers = {}
    for row in rows:
        for c in row.claimants:
            if c.worker is None and c.digest not in new_workers:
                new_workers[c.digest] = Worker(
                    name=c.name, id_number=c.id_number, id_number_digest=c.digest, phone=c.phone,
                    occupation=c.occupation,
                )
    if new_workers:
        Worker.objects.bulk_create(list(new_workers.values()), batch_size=500)
    new_orgs = {}
    for row in rows:
        for r in row.respondents:
            if r.organisation is None and r.name not in new_orgs:
                new_orgs[r.name] = Organisation(name=r.name, kind=r.kind, credit_code=r.credit_code)
    if new_orgs:
        Organisation.objects.bulk_create(list(new_orgs.values()), batch_size=500)
    for row in rows:
        for c in row.claimants:
            c.worker = c.worker or new_workers[c.digest]
        for r in row.respondents:
            r.organisation = r.organisation or new_orgs[r.name]

    numbers = {}
    for year in sorted({row.referred_on.year for row in rows}):
        count = sum(1 for row in rows if row.referred_on.year == year)
        numbers[year] = iter(next_numbers(NUMBER_PREFIX, year, count))
    mediations = [
        Mediation(
            number=next(numbers[row.referred_on.year]), source=row.source, procedure=row.procedure,
            title=row.title, facts=row.facts, court=row.court, court_case_number=row.court_case_number,
            referred_on=row.referred_on, created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        for row in rows
    ]
    Mediation.objects.bulk_create(mediations, batch_size=500)
    Claimants = Mediation.claimants.through
    Respondents = Mediation.respondents.through
    Claimants.objects.bulk_create(
        [Claimants(mediation_id=m.pk, worker_id=c.worker.pk) for m, row in zip(mediations, rows) for c in row.claimants],
        batch_size=1000,
    )
    Respondents.objects.bulk_create(
        [Respondents(mediation_id=m.pk, organisation_id=r.organisation.pk)
         for m, row in zip(mediations, rows) for r in {r.organisation.pk: r for r in row.respondents}.values()],
        batch_size=1000,
    )
    MediationClaim.objects.bulk_create(
        [MediationClaim(mediation_id=m.pk, category=cat, description=d, amount=a)
         for m, row in zip(mediations, rows) for cat, d, a in row.claims],
        batch_size=1000,
    )
    journal.record_many(
        ((Mediation, m.pk, "create", "", m.state, {
            "number": m.number, "source": m.source, "court": row.court.name if row.court else None,
            "court_case_number": row.court_case_number, "claimants": len(row.claimants),
        }) for m, row in zip(mediations, rows)),
        actor=actor, comment=comment,
    )
    return mediations


# --------------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------------


@dataclass
class RowResult:
    row: int
    status: str  # created | duplicate | refused
    court_case_number: str = ""
    mediation: str = ""  # the mediation number (created, or the one it duplicates)
    mediation_id: int | None = None
    reasons: list[str] = field(default_factory=list)

    def as_dict(self):
        return {"row": self.row, "status": self.status, "court_case_number": self.court_case_number,
                "mediation": self.mediation, "mediation_id": self.mediation_id, "reasons": self.reasons}


@dataclass
class ImportReport:
    filename: str = ""
    format: str = ""
    encoding: str = ""
    total: int = 0
    rows: list[RowResult] = field(default_factory=list)

    def count(self, status) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def refused(self) -> int:
        return self.count("refused")

    @property
    def done(self) -> int:
        return len(self.rows)

    def as_dict(self):
        return {
            "filename": self.filename, "format": self.format, "encoding": self.encoding, "total": self.total,
            "created": self.created, "duplicates": self.duplicates, "refused": self.refused,
            "rows": [r.as_dict() for r in sorted(self.rows, key=lambda r: r.row)],
        }


FIELD_LABELS = {
    "court": "法院", "court_case_number": "法院案号", "source": "调解类型", "procedure": "适用程序",
    "referred_on": "委派日期", "claimants": "申请人", "respondents": "被申请单位", "claims": "请求事项",
    "title": "案由", "row": "记录", "permission": "权限",
}


def reasons_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{FIELD_LABELS.get(name, name)}：{message}" for name, messages in exc.message_dict.items() for message in messages]
    return list(exc.messages)


def import_referrals(*, actor, data: bytes, filename: str = "", court=None, source=None, progress=None,
                     batch_size: int = BATCH_SIZE, comment: str = "") -> ImportReport:
    """Import a court's referral list; return the per-row report (see the module docstring)."""
    if not actor.has_perm("mediation.import_referrals"):
        raise PermissionDenied("You may not import referrals.")
    if court is not None and court.kind != Organisation.Kind.COURT:
        raise ValidationError({"court": ["请选择一家人民法院。"]})
    if source is not None and source not in Source.values:
        raise ValidationError({"source": [f"未知的调解类型：{source}"]})
    from .services import check_intake_court, intake_court_of

    restricted_to = intake_court_of(actor)
    text, encoding = decode(data)
    fmt, records = parse(text, filename)
    report = ImportReport(filename=filename, format=fmt, encoding=encoding, total=len(records))
    lookups = Lookups()
    in_file: dict[tuple, int] = {}
    if progress:
        progress(0, report.total, report)
    for start in range(0, len(records), batch_size):
        batch = records[start:start + batch_size]
        lookups.prefetch([raw for _n, raw in batch], default_court=court)
        ready: list[tuple[int, CleanReferral]] = []
        for rownum, raw in batch:
            number = str(raw.get("court_case_number") or "").strip() if isinstance(raw, dict) else ""
            try:
                row = clean_referral(raw, lookups=lookups, default_court=court, default_source=source)
                check_intake_court(actor, row.court, row.source, restricted_to=restricted_to)
            except ValidationError as exc:
                report.rows.append(RowResult(rownum, "refused", number, reasons=reasons_of(exc)))
                continue
            except PermissionDenied as exc:
                report.rows.append(RowResult(rownum, "refused", number, reasons=[f"权限：{exc}"]))
                continue
            existing = lookups.existing_referral(row.court, row.court_case_number)
            if existing:
                report.rows.append(RowResult(rownum, "duplicate", number, mediation=existing,
                                             reasons=[f"该法院案号已登记为调解 {existing}。"]))
                continue
            if row.court is not None and row.key in in_file:
                report.rows.append(RowResult(rownum, "duplicate", number,
                                             reasons=[f"与本文件第 {in_file[row.key]} 行的法院案号重复。"]))
                continue
            if row.court is not None:
                in_file[row.key] = rownum
            ready.append((rownum, row))
        _write_batch(ready, actor=actor, lookups=lookups, report=report, comment=comment)
        report.rows.sort(key=lambda r: r.row)
        if progress:
            progress(report.done, report.total, report)
    return report


def _write_batch(ready, *, actor, lookups, report, comment):
    if not ready:
        return
    rows = [row for _n, row in ready]
    try:
        with transaction.atomic():
            mediations = write_referrals(rows, actor=actor, lookups=lookups, comment=comment)
    except DatabaseError:
        # Someone registered one of these referrals, workers or organisations meanwhile: write the
        # rows one by one, each in its own transaction, looking everything up afresh.
        for rownum, row in ready:
            _write_one(rownum, row, actor=actor, lookups=lookups, report=report, comment=comment)
        return
    lookups.remember(mediations, rows)
    for (rownum, row), m in zip(ready, mediations):
        report.rows.append(RowResult(rownum, "created", row.court_case_number, mediation=m.number, mediation_id=m.pk))


def _write_one(rownum, row, *, actor, lookups, report, comment):
    for c in row.claimants:
        if c.worker is not None and (c.worker.pk is None or not Worker.objects.filter(pk=c.worker.pk).exists()):
            c.worker = None  # created by the batch that was rolled back
        if c.worker is None:
            c.worker = Worker.objects.filter(id_number_digest=c.digest).first()
    for r in row.respondents:
        if r.organisation is not None and not Organisation.objects.filter(pk=r.organisation.pk, name=r.organisation.name).exists():
            r.organisation = None
        if r.organisation is None:
            r.organisation = (Organisation.objects.filter(credit_code=r.credit_code).first() if r.credit_code else None) \
                or Organisation.objects.filter(name=r.name).first()
    existing = Mediation.objects.filter(court=row.court, court_case_number=row.court_case_number).values_list(
        "number", flat=True).first() if row.court is not None else None
    if existing:
        report.rows.append(RowResult(rownum, "duplicate", row.court_case_number, mediation=existing,
                                     reasons=[f"该法院案号已登记为调解 {existing}。"]))
        return
    try:
        with transaction.atomic():
            (m,) = write_referrals([row], actor=actor, lookups=lookups, comment=comment)
    except DatabaseError as exc:
        existing = Mediation.objects.filter(court=row.court, court_case_number=row.court_case_number).values_list(
            "number", flat=True).first() if row.court is not None else None
        if existing:
            report.rows.append(RowResult(rownum, "duplicate", row.court_case_number, mediation=existing,
                                         reasons=[f"该法院案号已登记为调解 {existing}。"]))
        else:
            report.rows.append(RowResult(rownum, "refused", row.court_case_number,
                                         reasons=[f"写入失败，请稍后重新导入该行：{type(exc).__name__}"]))
        return
    lookups.remember([m], [row])
    report.rows.append(RowResult(rownum, "created", row.court_case_number, mediation=m.number, mediation_id=m.pk))
