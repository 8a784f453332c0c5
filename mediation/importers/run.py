"""The import itself: a file in, a per-row report out (see the package's docstring for what it
guarantees).

Why a module of its own: this is where the guarantees are kept, not the checks or the writes: rows
are cleaned batch by batch, duplicates (registered already, or earlier in the same file) are reported
instead of written, each batch is one transaction, and a batch that meets a concurrent import is
rolled back and written again row by row, each in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from core import limits
from core.models import Organisation, Worker

from ..models import Source
from .cleaning import CleanReferral, clean_referral, reason, reasons_of
from .lookups import Lookups, registered_as
from .reading import decode, parse
from .writing import write_referrals

BATCH_SIZE = 500


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


def _created(rownum, row: CleanReferral, mediation) -> RowResult:
    return RowResult(rownum, "created", row.court_case_number, mediation=mediation.number, mediation_id=mediation.pk)


def _duplicate(rownum, number, existing) -> RowResult:
    return RowResult(rownum, "duplicate", number, mediation=existing,
                     reasons=[_("该法院案号已登记为调解 %(number)s。") % {"number": existing}])


def import_referrals(*, actor, data: bytes, filename: str = "", court=None, source=None, progress=None,
                     batch_size: int = BATCH_SIZE, comment: str = "") -> ImportReport:
    """Import a court's referral list; return the per-row report (see the package's docstring)."""
    if not actor.has_perm("mediation.import_referrals"):
        raise PermissionDenied(_("您没有权限导入委派清单。"))
    if court is not None and court.kind != Organisation.Kind.COURT:
        raise ValidationError({"court": [_("请选择一家人民法院。")]})
    if source is not None and source not in Source.values:
        raise ValidationError({"source": [_("未知的调解类型：%(source)s") % {"source": source}]})
    from ..services import check_intake_court, intake_court_of

    restricted_to = intake_court_of(actor)
    text, encoding = decode(data)
    fmt, records = parse(text, filename)
    report = ImportReport(filename=filename, format=fmt, encoding=encoding, total=len(records))
    lookups = Lookups(identities_hidden=not actor.has_perm("core.view_worker"))
    in_file: dict[tuple, int] = {}
    if progress:
        progress(0, report.total, report)
    for start in range(0, len(records), batch_size):
        batch = records[start:start + batch_size]
        lookups.prefetch([raw for _n, raw in batch], default_court=court)
        ready: list[tuple[int, CleanReferral]] = []
        for rownum, raw in batch:
            number = limits.clean_text(raw.get("court_case_number")) if isinstance(raw, dict) else ""
            try:
                row = clean_referral(raw, lookups=lookups, default_court=court, default_source=source)
                check_intake_court(actor, row.court, row.source, restricted_to=restricted_to)
            except ValidationError as exc:
                report.rows.append(RowResult(rownum, "refused", number, reasons=reasons_of(exc)))
                continue
            except PermissionDenied as exc:
                report.rows.append(RowResult(rownum, "refused", number, reasons=[reason("permission", exc)]))
                continue
            existing = lookups.existing_referral(row.court, row.court_case_number)
            if existing:
                report.rows.append(_duplicate(rownum, number, existing))
                continue
            if row.court is not None and row.key in in_file:
                report.rows.append(RowResult(rownum, "duplicate", number, reasons=[
                    _("与本文件第 %(row)d 行的法院案号重复。") % {"row": in_file[row.key]}]))
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
    report.rows.extend(_created(rownum, row, m) for (rownum, row), m in zip(ready, mediations))


def _write_one(rownum, row, *, actor, lookups, report, comment):
    _look_up_parties_afresh(row)
    existing = registered_as(row.court, row.court_case_number)
    if existing:
        report.rows.append(_duplicate(rownum, row.court_case_number, existing))
        return
    try:
        with transaction.atomic():
            (m,) = write_referrals([row], actor=actor, lookups=lookups, comment=comment)
    except DatabaseError as exc:
        existing = registered_as(row.court, row.court_case_number)
        report.rows.append(_duplicate(rownum, row.court_case_number, existing) if existing else RowResult(
            rownum, "refused", row.court_case_number,
            reasons=[_("写入失败，请稍后重新导入该行：%(error)s") % {"error": type(exc).__name__}]))
        return
    lookups.remember([m], [row])
    report.rows.append(_created(rownum, row, m))


def _look_up_parties_afresh(row: CleanReferral):
    """After a rolled-back batch: forget the workers and organisations it created, and find those
    registered meanwhile by someone else."""
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
