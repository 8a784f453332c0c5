"""Reads: what a user may see, the list rows, the figures leadership asks for."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q

from core.roles import is_company_contact, organisation_of

from .models import ISSUED_STATES, Checkup, ChecklistItem, Finding, Letter
from .rules import is_union_staff


def visible_to(user):
    """Union staff see every checkup; a company contact only their own company's issued ones."""
    qs = Checkup.objects.select_related("company", "lead", "checklist_version__checklist")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_union_staff(user):
        return qs
    if is_company_contact(user):
        org = organisation_of(user)
        return qs.filter(company=org, state__in=ISSUED_STATES) if org is not None else qs.none()
    return qs.none()


def search(qs, *, state=None, company=None, grade=None, text=None):
    if state:
        qs = qs.filter(state=state)
    if company:
        qs = qs.filter(company=company)
    if grade:
        qs = qs.filter(grade=grade)
    if text:
        qs = qs.filter(Q(number__icontains=text) | Q(company__name__icontains=text))
    return qs


def most_failed_items(limit=10):
    """The checklist items found partial or non-compliant most often, across companies: one row
    per item code, whatever versions of the checklist it was found under (titled as in the latest
    one), with its findings and the companies they were found at.

    Counted in two steps, per (code, company) and then per code, so that the database hashes a
    few thousand groups instead of sorting every finding by code and title
    (benchmarks/checkup.py: 10,000 checkups, ~100,000 findings)."""
    per_company = (f"SELECT i.code AS code, c.company_id AS company_id, COUNT(*) AS n FROM {Finding._meta.db_table} f "
                   f"JOIN {ChecklistItem._meta.db_table} i ON i.id = f.item_id "
                   f"JOIN {Checkup._meta.db_table} c ON c.id = f.checkup_id GROUP BY i.code, c.company_id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT x.code, SUM(x.n), COUNT(*) FROM ({per_company}) x GROUP BY x.code "
                       "ORDER BY 2 DESC, 1 LIMIT %s", [limit])
        rows = cursor.fetchall()
    titles = {}
    for code, title in ChecklistItem.objects.filter(code__in=[r[0] for r in rows]).order_by(
            "code", "-version_id").values_list("code", "title"):
        titles.setdefault(code, title)
    return [{"item__code": code, "item__title": titles[code], "findings": int(findings), "companies": companies}
            for code, findings, companies in rows]


def figures(today=None):
    from django.utils import timezone

    today = today or timezone.localdate()
    findings = Finding.objects.filter(checkup__state__in=ISSUED_STATES)
    total = findings.count()
    rectified = findings.filter(status=Finding.Status.RECTIFIED).count()
    letters = Letter.objects.values("kind").annotate(issued=Count("id"), answered=Count("id", filter=Q(replied_on__isnull=False)))
    return {
        "by_state": dict(Checkup.objects.values_list("state").annotate(n=Count("id"))),
        "by_grade": dict(Checkup.objects.exclude(grade="").values_list("grade").annotate(n=Count("id"))),
        "most_failed": most_failed_items(),
        "rectification_rate": round(rectified / total, 3) if total else None,
        "letters": {row["kind"]: {"issued": row["issued"], "answered": row["answered"]} for row in letters},
        "overdue_findings": findings.filter(due_on__lt=today).exclude(status=Finding.Status.RECTIFIED).exclude(
            replies__done=True).distinct().count(),
    }
