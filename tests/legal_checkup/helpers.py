"""Scenario helpers for check-up tests: a checkup in any state in one line, through the services.

    c = checkup_in_state("fieldwork")                     # planned with the seeded checklist, assessments made
    c = checkup_in_state("issued", results={"07": "non_compliant"})   # every other item compliant
    auditor(); contact_of(c)
"""

from __future__ import annotations

import itertools

from django.utils import timezone

from core.models import Organisation
from core.roles import Role
from legal_checkup import services
from legal_checkup.models import Checkup, ChecklistVersion
from tests.harness import on
from tests.scenarios import make_organisation, make_user, supervisor, valid_credit_code

_seq = itertools.count(1)


def today():
    return timezone.localdate()


def auditor(**kw):
    return make_user(Role.AUDITOR, **kw)


def company(kind=Organisation.Kind.PLATFORM, credit_code=None, name=None):
    n = next(_seq)
    return make_organisation(kind=kind, name=name or f"受检平台{n}", credit_code=credit_code or valid_credit_code(9000 + n))


def contact_of(checkup):
    return make_user(Role.COMPANY_CONTACT, organisation=checkup.company)


def seeded_version():
    return ChecklistVersion.objects.get(checklist__code="platform-employment", number=1)


# Partial on a medium item, non-compliant on a low one: two findings, no cap (A on the basic profile).
DEFAULT_RESULTS = {"10": "partial", "25": "non_compliant"}


def fill(checkup, *, actor, results=None):
    results = DEFAULT_RESULTS if results is None else results
    for a in checkup.assessments.select_related("item"):
        result = results.get(a.item.code, "compliant")
        services.assess(assessment=a, actor=actor, result=result, examined="劳动合同 抽查12份/共40份",
                        not_applicable_reason="不涉及" if result == "not_applicable" else "",
                        notes="内部备注：访谈站长", interviews="访谈骑手3名")


def checkup_in_state(state, *, actor=None, lead=None, results=None, company_=None, profile="basic") -> Checkup:
    lead = lead or auditor()
    reviewer = supervisor()
    actor = actor or lead
    c = services.create_checkup(actor=actor, company=company_ or company(), reason="年度法治体检")
    if state == "requested":
        return c
    if state == "cancelled":
        return services.cancel(checkup=c, actor=actor, reason="企业申请延期")
    services.plan(checkup=c, actor=actor, checklist_version=seeded_version(), profile=profile, lead=lead)
    if state == "planned":
        return c
    c.refresh_from_db()
    services.start_fieldwork(checkup=c, actor=lead)
    if state == "fieldwork":
        return c
    c.refresh_from_db()
    fill(c, actor=lead, results=results)
    c.refresh_from_db()
    services.compile_findings(checkup=c, actor=lead)
    if state == "drafting":
        return c
    c.refresh_from_db()
    services.submit_for_review(checkup=c, actor=lead)
    if state == "review":
        return c
    c.refresh_from_db()
    services.approve(checkup=c, actor=reviewer)
    if state == "approved":
        return c
    c.refresh_from_db()
    services.issue(checkup=c, actor=reviewer)
    if state == "issued":
        return c
    c.refresh_from_db()
    services.start_rectification(checkup=c, actor=contact_of(c))
    if state == "rectifying":
        return c
    c.refresh_from_db()
    contact = contact_of(c)
    for f in c.findings.all():
        services.reply(finding=f, actor=contact, plan="修订规则并公示", responsible="人力资源部 李经理",
                       target_on=today(), done=True)
    c.refresh_from_db()
    services.follow_up(checkup=c, actor=lead)
    if state == "follow_up":
        return c
    c.refresh_from_db()
    for f in c.findings.all():
        services.reassess(finding=f, actor=lead, result="compliant", note="已整改")
    c.refresh_from_db()
    services.close(checkup=c, actor=lead)
    if state == "closed":
        return c
    raise ValueError(state)


__all__ = ["on", "supervisor"]
