"""Checking one referral: a raw row (from a file, or single entry's form) -> a CleanReferral, or a
ValidationError listing every problem found, field by field.

Why a module of its own: the bulk import and single entry (services.intake.create_referral) must
refuse exactly the same things, so the checks live once, here, apart from how a file is read and how
referrals are written. `reasons_of()` turns the errors into the per-row report's lines.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import identifiers, limits
from core import legal_figures as law
from core.models import Category, Organisation, Worker, resident_id_digest

from ..models import COURT_SOURCES, Procedure, Source
from .lookups import Lookups
from .reading import alias, claim_items, claimant_items, respondent_items

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

# The report's name for each field a reason is about (reasons_of).
FIELD_LABELS = {
    "court": gettext_lazy("法院"), "court_case_number": gettext_lazy("法院案号"), "source": gettext_lazy("调解类型"),
    "procedure": gettext_lazy("适用程序"), "referred_on": gettext_lazy("委派日期"), "claimants": gettext_lazy("申请人"),
    "respondents": gettext_lazy("被申请单位"), "claims": gettext_lazy("请求事项"), "title": gettext_lazy("案由"),
    "facts": gettext_lazy("纠纷简要情况"),
    "row": gettext_lazy("记录"), "permission": gettext_lazy("权限"),
}


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


def reason(name: str, message) -> str:
    """One line of a row's report: the field's label, then the message."""
    return _("%(field)s：%(message)s") % {"field": FIELD_LABELS.get(name, name), "message": message}


def reasons_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [reason(name, message) for name, messages in exc.message_dict.items() for message in messages]
    return list(exc.messages)


class _Errors(dict):
    """field -> [messages], in the order found."""

    def add(self, name, message):
        self.setdefault(name, []).append(message)


def _joined(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _text(value, *, multiline=False) -> tuple[str, bool]:
    """(the cell's text without control characters, whether it had characters but none visible)."""
    raw = "" if value is None else str(value)
    text = limits.clean_text(raw, multiline=multiline)
    return text, (bool(text) and not limits.has_visible(text)) or (not text and bool(raw.strip()))


def clean_referral(raw, *, lookups: Lookups, default_court=None, default_source=None) -> CleanReferral:
    """Check one referral; raise ValidationError with every problem found, field by field."""
    if not isinstance(raw, dict):
        raise ValidationError({"row": [_("记录应为一个对象（字段名: 值）。")]})
    errors = _Errors()
    source, court, number = _source_and_court(raw, errors, lookups, default_court, default_source)
    procedure = _procedure(raw, errors, source)
    referred_on = _referred_on(raw, errors)
    claimants = _claimants(raw, errors, lookups)
    respondents = _respondents(raw, errors, lookups)
    claims = _claims(raw, errors, lookups)
    title, invisible = _text(raw.get("title"))
    if invisible:
        errors.add("title", limits.invisible_message())
    title = title or (claims[0][1][:60] if claims and claims[0][1] else "劳动争议")
    if len(title) > 200:
        errors.add("title", _("案由过长（200字以内）。"))
    facts, invisible = _text(raw.get("facts"), multiline=True)
    if invisible:
        errors.add("facts", limits.invisible_message())
    if errors:
        raise ValidationError(dict(errors))
    return CleanReferral(
        source=source, court=court if source in COURT_SOURCES else None,
        court_case_number=number if source in COURT_SOURCES else "", procedure=procedure or "",
        referred_on=referred_on, title=title, facts=facts,
        claimants=claimants, respondents=respondents, claims=claims,
    )


def _source_and_court(raw, errors, lookups, default_court, default_source):
    source = raw.get("source") or default_source or (Source.COURT_PRE_SUIT if (raw.get("court") or default_court) else Source.UNION)
    source = alias(SOURCE_ALIASES, str(source).strip())
    if source is None:
        errors.add("source", _("未知的调解类型：%(value)s（诉前委派、诉中委托或工会调解）") % {"value": raw.get("source")})

    court_value = raw.get("court") if raw.get("court") not in (None, "") else default_court
    court = lookups.court(court_value)
    if court_value not in (None, "") and court is None:
        label = court_value.name if isinstance(court_value, Organisation) else court_value
        errors.add("court", _("未知的法院：%(court)s（请先登记该法院，或核对名称）") % {"court": label})
    number, invisible = _text(raw.get("court_case_number"))
    if invisible:
        errors.add("court_case_number", limits.invisible_message())
    elif source in COURT_SOURCES:
        if court_value in (None, ""):
            errors.add("court", _("法院委派或委托的调解须写明法院。"))
        if not number:
            errors.add("court_case_number", _("请填写法院案号。"))
        elif len(number) > 100:
            errors.add("court_case_number", _("法院案号过长。"))
    elif source == Source.UNION and (court is not None or number):
        errors.add("court", _("工会调解不填写法院和法院案号。"))
    return source, court, number


def _procedure(raw, errors, source):
    procedure = str(raw.get("procedure") or "").strip()
    if procedure:
        procedure = alias(PROCEDURE_ALIASES, procedure)
        if procedure is None:
            errors.add("procedure", _("未知的适用程序：%(value)s（普通程序或简易程序）") % {"value": raw.get("procedure")})
            return None
    if source == Source.COURT_IN_SUIT and not procedure:
        days = law.COURT_IN_SUIT_MEDIATION_DAYS
        errors.add("procedure", _("诉中委托调解须注明适用普通程序（%(ordinary)d日）或简易程序（%(simple)d日）。") % {
            "ordinary": days["ordinary"], "simple": days["simple"]})
    return procedure


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = _DATE.fullmatch(str(value or "").strip())
    if not match:
        raise ValueError
    return datetime.date(*(int(g) for g in match.groups()))


def _referred_on(raw, errors):
    try:
        referred_on = _date(raw.get("referred_on")) if raw.get("referred_on") not in (None, "") else timezone.localdate()
    except (ValueError, OverflowError):
        errors.add("referred_on", _("日期无法识别：%(value)s（应为 2026-01-05 格式）") % {"value": raw.get("referred_on")})
        return None
    problem = limits.date_problem(referred_on, past=True)  # the plausible range, not after today
    if problem:
        errors.add("referred_on", problem)
    return referred_on


def _plain_name(name: str) -> str:
    """A name as compared with the register: without spaces and the middle dot's variants."""
    return "".join(ch for ch in (name or "") if not ch.isspace() and ch not in "·•・.").casefold()


def _claimants(raw, errors, lookups) -> list[ClaimantSpec]:
    claimants, seen = [], set()
    items = claimant_items(raw)
    if not items:
        errors.add("claimants", _("至少需要一名申请人（姓名和身份证号码）。"))
    for i, item in enumerate(items, start=1):
        if isinstance(item.get("worker"), Worker):
            w = item["worker"]
            claimants.append(ClaimantSpec(name=w.name, digest=w.id_number_digest, worker=w))
            continue
        name, invisible = _text(item.get("name"))

        def who():
            return _("第%(n)d名申请人（%(name)s）") % {"n": i, "name": name} if name else _("第%(n)d名申请人") % {"n": i}

        if invisible:
            errors.add("claimants", _("%(who)s：姓名%(problem)s") % {"who": who(), "problem": limits.invisible_message()})
        elif not name:
            errors.add("claimants", _("%(who)s：缺少姓名。") % {"who": who()})
        try:
            id_number = identifiers.validate_resident_id(str(item.get("id_number") or ""))
        except ValidationError as exc:
            errors.add("claimants", _("%(who)s身份证号码无效：%(reasons)s") % {"who": who(), "reasons": _joined(exc)})
            continue
        digest = resident_id_digest(id_number)
        if digest in seen:
            errors.add("claimants", _("%(who)s：身份证号码与本条记录中的另一名申请人重复。") % {"who": who()})
            continue
        seen.add(digest)
        phone = str(item.get("phone") or "").strip()
        if phone:
            try:
                phone = identifiers.normalise_phone(phone)
            except ValidationError as exc:
                errors.add("claimants", _("%(who)s电话号码无效：%(reasons)s") % {"who": who(), "reasons": _joined(exc)})
        occupation = str(item.get("occupation") or "").strip() or Worker.Occupation.OTHER
        if occupation not in Worker.Occupation.values:
            occupation = {str(label): value for value, label in Worker.Occupation.choices}.get(occupation, Worker.Occupation.OTHER)
        worker = lookups.worker(digest)
        if worker is not None and lookups.identities_hidden and _plain_name(worker.name) != _plain_name(name):
            # Said without the registered name: the pair does not match, as any real-name check says.
            errors.add("claimants", _("%(who)s：姓名与身份证号码不一致，请核对；如姓名确有变更，请联系工会工作人员。")
                       % {"who": who()})
            continue
        claimants.append(ClaimantSpec(name=name, id_number=id_number, digest=digest, phone=phone,
                                      occupation=occupation, worker=worker))
    return claimants


def _respondents(raw, errors, lookups) -> list[RespondentSpec]:
    respondents = []
    items = respondent_items(raw)
    if not items:
        errors.add("respondents", _("至少需要一个被申请单位。"))
    for i, item in enumerate(items, start=1):
        if isinstance(item.get("name"), Organisation):
            respondents.append(RespondentSpec(name=item["name"].name, organisation=item["name"]))
            continue
        name, invisible = _text(item.get("name"))
        if invisible:
            errors.add("respondents", _("第%(n)d个被申请单位：名称%(problem)s") % {"n": i, "problem": limits.invisible_message()})
            continue
        if not name:
            errors.add("respondents", _("第%(n)d个被申请单位：缺少名称。") % {"n": i})
            continue
        code = str(item.get("credit_code") or "").strip() or None
        if code:
            try:
                code = identifiers.validate_credit_code_format(code)
            except ValidationError as exc:
                errors.add("respondents", _("被申请单位（%(name)s）统一社会信用代码无效：%(reasons)s") % {
                    "name": name, "reasons": _joined(exc)})
                continue
        kind = str(item.get("kind") or "").strip() or Organisation.Kind.PLATFORM
        if kind not in Organisation.EMPLOYER_KINDS:
            errors.add("respondents", _("被申请单位（%(name)s）类型应为平台、代理商、加盟商或劳务派遣单位。") % {"name": name})
            continue
        org = lookups.organisation(name, code)
        if org is not None:
            if code and org.credit_code and org.credit_code != code:
                errors.add("respondents", _("被申请单位（%(name)s）的统一社会信用代码与已登记的 %(code)s 不一致。") % {
                    "name": name, "code": org.credit_code})
                continue
            if code and org.name != name:
                errors.add("respondents", _("统一社会信用代码 %(code)s 已登记为“%(registered)s”，与“%(name)s”不一致。") % {
                    "code": code, "registered": org.name, "name": name})
                continue
        elif code and not identifiers.credit_code_checksum_ok(code):
            errors.add("respondents", _("被申请单位（%(name)s）统一社会信用代码校验码不符（GB 32100）；"
                                        "如确为早期合法代码，请由主管先行登记该单位。") % {"name": name})
            continue
        respondents.append(RespondentSpec(name=name, credit_code=code, kind=kind, organisation=org))
    return respondents


def _amount(text) -> Decimal:
    """A claim's amount as written ("72,000", "¥500元"...); InvalidOperation or ValueError unless it
    is a finite number of yuan with at most two decimals."""
    amount = Decimal(str(text).replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip())
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValueError
    return amount


def _claims(raw, errors, lookups) -> list[tuple[Category | None, str, Decimal | None]]:
    claims = []
    for i, item in enumerate(claim_items(raw), start=1):
        description, invisible = _text(item.get("description"))
        if invisible:
            errors.add("claims", _("第%(n)d项请求：%(problem)s") % {"n": i, "problem": limits.invisible_message()})
        elif not description:
            errors.add("claims", _("第%(n)d项请求：缺少请求事项。") % {"n": i})
        if len(description) > 300:
            errors.add("claims", _("第%(n)d项请求：请求事项过长（300字以内）。") % {"n": i})
        amount = item.get("amount")
        if amount in (None, ""):
            amount = None
        else:
            try:
                amount = _amount(amount)
            except (InvalidOperation, ValueError):
                errors.add("claims", _("第%(n)d项请求：金额无法识别：%(value)s") % {"n": i, "value": item.get("amount")})
                amount = None
            else:
                if amount < 0:
                    errors.add("claims", _("第%(n)d项请求（%(description)s）：金额不能为负数（%(amount)s）。") % {
                        "n": i, "description": description, "amount": amount})
        category = item.get("category")
        category = lookups.categories.get(str(category).strip()) if category else None
        if item.get("category") and category is None:
            errors.add("claims", _("第%(n)d项请求：未知的争议类别：%(value)s") % {"n": i, "value": item.get("category")})
        claims.append((category, description, amount))
    if not claims:
        errors.add("claims", _("至少需要一项请求事项。"))
    return claims
