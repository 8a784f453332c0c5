"""The check-up API contract: /api/v1/checkups/ — every transition (allowed, and refused with the 409
shape), the team, assessments with evidence, findings, the company's replies, the supervision
letters, the score's computation; checklists and their versions; offered clauses; the figures;
and who sees what (a company contact: their own company's issued checkups, never the assessors'
notes or interviews, never a draft)."""

import datetime
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core import documents, journal
from core.models import Document
from core.roles import Role
from legal_checkup import services
from legal_checkup.models import ChecklistVersion, Checkup, Finding, OfferedClause
from legal_checkup.rules import score
from tests.harness import on
from tests.legal_checkup.helpers import auditor, checkup_in_state, company, contact_of, seeded_version, today
from tests.scenarios import make_organisation, make_user, make_worker, supervisor, valid_resident_id

pytestmark = pytest.mark.django_db

URL = "/api/v1/checkups/"
NOTES, INTERVIEWS = "内部备注：访谈站长", "访谈骑手3名"  # what tests/legal_checkup/helpers.py fill() writes
REVIEW_SECRET = "审核内部意见：第10项证据偏弱QX7"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def url(c, tail=""):
    return f"{URL}{c.pk}/{tail}"


def transition(user, c, name, body=None):
    return client_for(user).post(url(c, f"transitions/{name}/"), body or {}, format="json")


def ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def assert_refused(user, c, name, body=None):
    """409 `transition_not_allowed` with the state and what this user may do instead; nothing moved."""
    before = Checkup.objects.get(pk=c.pk).state
    response = transition(user, c, name, body)
    assert response.status_code == 409, (name, response.content.decode())
    data = response.json()
    assert data["code"] == "transition_not_allowed" and data["detail"]
    assert data["state"] == before
    assert data["allowed"] == ok(client_for(user).get(url(c)))["allowed_transitions"]
    assert name not in data["allowed"]
    assert Checkup.objects.get(pk=c.pk).state == before
    return data


def upload(name="合同抽查.pdf", content=b"%PDF-1.4 evidence"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def labor_bureau():
    return make_organisation(kind="labor_bureau", name="测试人力资源和社会保障局")


# --- list, filters, creation ----------------------------------------------------------------------


def test_list_filters_by_state_company_grade_and_search():
    lead = auditor()
    food = company(name="测试外卖平台有限公司")
    a = services.create_checkup(actor=lead, company=food, reason="年度体检")
    b = checkup_in_state("drafting", lead=lead)  # A: a partial medium and a non-compliant low item
    c = checkup_in_state("drafting", lead=lead, results={"07": "non_compliant"})  # capped at C
    client = client_for(lead)

    def ids(**params):
        return {row["id"] for row in ok(client.get(URL, params))["results"]} & {a.pk, b.pk, c.pk}

    assert ids() == {a.pk, b.pk, c.pk}
    assert ids(state="requested") == {a.pk}
    assert ids(state=["drafting", "requested"]) == {a.pk, b.pk, c.pk}
    assert ids(company=food.pk) == {a.pk}
    assert ids(grade="A") == {b.pk} and ids(grade="C") == {c.pk} and ids(grade=["A", "C"]) == {b.pk, c.pk}
    assert ids(search="外卖") == {a.pk}
    assert ids(search=c.number) == {c.pk}
    row = next(r for r in ok(client.get(URL, {"company": food.pk}))["results"])
    assert row["company"] == {"id": food.pk, "name": food.name, "kind": "platform"}
    assert "allowed_transitions" not in row and "notes" not in row


def test_create_registers_a_request_and_refuses_bad_input():
    lead = auditor()
    firm = company()
    created = ok(client_for(lead).post(URL, {"company": firm.pk, "reason": "骑手投诉较多"}, format="json"), 201)
    assert created["state"] == "requested" and created["number"].startswith("TJC")
    assert created["allowed_transitions"] == ["plan", "cancel"]
    assert [e.transition for e in journal.events_for(Checkup.objects.get(pk=created["id"]))] == ["create"]
    union = make_organisation(kind="union", name="测试总工会")
    refused = client_for(lead).post(URL, {"company": union.pk}, format="json")
    assert refused.status_code == 400 and set(refused.json()) == {"company"}
    assert client_for(lead).post(URL, {}, format="json").status_code == 400
    contact = make_user(Role.COMPANY_CONTACT, organisation=firm)
    assert client_for(contact).post(URL, {"company": firm.pk}, format="json").status_code == 403


# --- every transition through the API, each allowed once, refused with the 409 shape ----------------


def test_a_checkup_walks_every_transition_by_the_api():
    lead, reviewer = auditor(), supervisor()
    client = client_for(lead)
    body = ok(client.post(URL, {"company": company().pk, "reason": "年度法治体检"}, format="json"), 201)
    c = Checkup.objects.get(pk=body["id"])

    # requested
    assert_refused(lead, c, "start_fieldwork")
    missing = transition(lead, c, "plan", {"profile": "basic"})
    assert missing.status_code == 400 and {"checklist_version", "lead"} <= set(missing.json())
    planned = ok(transition(lead, c, "plan", {"checklist_version": seeded_version().pk, "profile": "basic",
                                              "lead": lead.pk, "scope": "劳动合同、工时与休息、报酬支付"}))
    assert planned["state"] == "planned" and planned["lead"]["id"] == lead.pk
    assert planned["checklist_version"]["number"] == 1

    # planned: the team, then the fieldwork
    member = make_user(Role.LEGAL_AID_VOLUNTEER)
    team = ok(client.post(url(c, "team/"), {"member": member.pk}, format="json"), 201)
    assert [u["id"] for u in team] == [lead.pk, member.pk]
    assert_refused(lead, c, "compile_findings")
    assert ok(transition(lead, c, "start_fieldwork"))["state"] == "fieldwork"

    # fieldwork: compile refused until every item is assessed (with the unmet rule)
    assessments = ok(client.get(url(c, "assessments/")))
    assert len(assessments) == c.assessments.count() > 0
    assert assert_refused(lead, c, "compile_findings")["unmet_conditions"]
    results = {"10": "partial", "25": "non_compliant"}
    for row in assessments:
        result = results.get(row["item"]["code"], "compliant")
        ok(client.patch(url(c, f"assessments/{row['id']}/"), {
            "result": result, "examined": "劳动合同 抽查12份/共40份", "notes": NOTES, "interviews": INTERVIEWS},
            format="json"))
    live = ok(client.get(url(c, "score/")))
    assert live["initial"]["assessed"] == live["initial"]["items"] == len(assessments)
    assert ok(transition(lead, c, "compile_findings"))["state"] == "drafting"

    # drafting: findings, their text edited, then review
    findings = ok(client.get(url(c, "findings/")))
    assert sorted(f["item"]["code"] for f in findings) == ["10", "25"]
    ten = next(f for f in findings if f["item"]["code"] == "10")
    edited = ok(client.patch(url(c, f"findings/{ten['id']}/"), {"risk": "存在被认定未足额支付报酬的风险"},
                             format="json"))
    assert edited["risk"] == "存在被认定未足额支付报酬的风险" and edited["found"] == ten["found"]
    assert_refused(lead, c, "approve")
    assert ok(transition(lead, c, "submit_for_review"))["state"] == "review"

    # review: sent back with comments per finding, then approved by someone else
    assert_refused(reviewer, c, "issue")
    back = ok(transition(reviewer, c, "return_for_changes", {
        "comment_text": "请补充抽查依据", "finding_comments": [{"item": "10", "comment": "写明抽查的合同份数"}]}))
    assert back["state"] == "drafting" and back["review_comment"] == "请补充抽查依据"
    assert ok(client.get(url(c, f"findings/{ten['id']}/")))["review_comment"] == "写明抽查的合同份数"
    ok(transition(lead, c, "submit_for_review"))
    approved = ok(transition(reviewer, c, "approve"))
    assert approved["state"] == "approved" and approved["approved_by"]["id"] == reviewer.pk

    # approved -> issued: due dates per finding
    assert_refused(reviewer, c, "start_rectification")
    issued = ok(transition(reviewer, c, "issue"))
    assert issued["state"] == "issued" and issued["issued_on"] == today().isoformat()
    assert all(f["due_on"] for f in ok(client.get(url(c, "findings/"))))

    # issued -> rectifying by the company's contact; replies per finding
    contact = contact_of(c)
    assert_refused(lead, c, "follow_up")
    assert ok(transition(contact, c, "start_rectification"))["state"] == "rectifying"
    target = (today() + datetime.timedelta(days=20)).isoformat()
    for f in findings:
        ok(client_for(contact).post(url(c, f"findings/{f['id']}/replies/"), {
            "plan": "修订计件规则并公示", "responsible": "人力资源部", "target_on": target, "done": True},
            format="json"), 201)

    # rectifying -> follow_up -> closed (refused until every finding is re-assessed)
    assert_refused(lead, c, "close")
    assert ok(transition(lead, c, "follow_up"))["state"] == "follow_up"
    assert assert_refused(lead, c, "close")["unmet_conditions"]
    for f in findings:
        body = ok(client.post(url(c, f"findings/{f['id']}/reassess/"), {"result": "compliant", "note": "已整改"},
                              format="json"))
        assert body["status"] == "rectified"
    closed = ok(transition(lead, c, "close"))
    assert closed["state"] == "closed" and closed["final_grade"] == "A" and closed["final_score"] == "100.0"
    assert closed["final_score_explanation"].startswith("得分 = 100 ×")
    assert closed["allowed_transitions"] == []
    assert_refused(lead, c, "close")

    events = [e["transition"] for e in ok(client.get(url(c, "events/")))]
    assert {"create", "plan", "add_team_member", "start_fieldwork", "assess", "compile_findings", "edit_finding",
            "submit_for_review", "return_for_changes", "approve", "issue", "start_rectification", "reply",
            "follow_up", "reassess", "close"} <= set(events)
    assert transition(lead, c, "no_such_thing").status_code == 404


def test_cancel_from_requested_and_planned_and_nowhere_else():
    lead = auditor()
    for state in ("requested", "planned"):
        c = checkup_in_state(state, lead=lead)
        missing = transition(lead, c, "cancel", {})
        assert missing.status_code == 400 and "reason" in missing.json()
        body = ok(transition(lead, c, "cancel", {"reason": "企业申请延期"}))
        assert body["state"] == "cancelled" and body["cancel_reason"] == "企业申请延期"
        assert_refused(lead, c, "plan", {"checklist_version": seeded_version().pk, "profile": "basic", "lead": lead.pk})
    assert_refused(lead, checkup_in_state("fieldwork", lead=lead), "cancel", {"reason": "x"})


def test_the_drafter_may_not_approve_their_own_report():
    boss = make_user(Role.SUPERVISOR)
    c = checkup_in_state("review", lead=boss)  # submitted for review by its lead, a supervisor
    response = transition(boss, c, "approve")
    assert response.status_code == 403
    assert response.json()["detail"] == "报告须由起草人以外的人员审核。"
    assert Checkup.objects.get(pk=c.pk).state == "review"
    assert ok(transition(make_user(Role.SUPERVISOR), c, "approve"))["state"] == "approved"


def test_a_transition_the_user_may_not_run_is_403():
    c = checkup_in_state("fieldwork")
    outsider = auditor()  # check-up staff, not on this team
    assert ok(client_for(outsider).get(url(c)))["allowed_transitions"] == []
    assert transition(outsider, c, "compile_findings").status_code == 403
    row = c.assessments.first()
    assert client_for(outsider).patch(url(c, f"assessments/{row.pk}/"), {"result": "compliant"},
                                      format="json").status_code == 403
    assert transition(make_user(Role.MEDIATOR), c, "compile_findings").status_code == 403


# --- field errors -------------------------------------------------------------------------------------


def test_an_id_number_or_phone_in_a_findings_text_is_a_400_field_error():
    c = checkup_in_state("drafting")
    lead = c.lead
    finding = c.findings.first()
    before = finding.found
    route = url(c, f"findings/{finding.pk}/")
    refused = client_for(lead).patch(route, {"found": f"骑手（身份证 {valid_resident_id(7)}）未签订书面协议"},
                                     format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["found"]
    assert "身份证" in refused.json()["found"][0]
    phone = client_for(lead).patch(route, {"recommendation": "联系站长 138 0013 8000"}, format="json")
    assert phone.status_code == 400 and list(phone.json()) == ["recommendation"]
    assert Finding.objects.get(pk=finding.pk).found == before
    assert client_for(lead).patch(url(c, "findings/999999/"), {"found": "x"}, format="json").status_code == 404


def test_a_reply_without_a_plan_is_a_400_field_error():
    c = checkup_in_state("rectifying")
    contact = contact_of(c)
    finding = c.findings.first()
    route = url(c, f"findings/{finding.pk}/replies/")
    refused = client_for(contact).post(route, {"responsible": "人力资源部"}, format="json")
    assert refused.status_code == 400 and {"plan", "target_on"} <= set(refused.json())
    assert not finding.replies.exists()
    early = client_for(contact).post(route, {"plan": "整改", "responsible": "人力资源部",
                                             "target_on": (c.issued_on - datetime.timedelta(days=1)).isoformat()},
                                     format="json")
    assert early.status_code == 400 and "target_on" in early.json()


def test_assessing_outside_the_fieldwork_and_not_applicable_without_reason_are_400():
    c = checkup_in_state("fieldwork")
    row = c.assessments.first()
    route = url(c, f"assessments/{row.pk}/")
    refused = client_for(c.lead).post(route, {"result": "not_applicable"}, format="json")
    assert refused.status_code == 400 and "not_applicable_reason" in refused.json()
    assert client_for(c.lead).patch(route, {"result": "maybe"}, format="json").status_code == 400
    assert client_for(c.lead).patch(url(c, "assessments/999999/"), {"result": "compliant"},
                                    format="json").status_code == 404
    done = checkup_in_state("drafting")
    late = client_for(done.lead).patch(url(done, f"assessments/{done.assessments.first().pk}/"),
                                       {"result": "compliant"}, format="json")
    assert late.status_code == 400 and "result" in late.json()


# --- assessments, evidence, the score ----------------------------------------------------------------


def test_a_patch_keeps_what_it_leaves_out_and_evidence_is_kept_with_its_sha256():
    c = checkup_in_state("fieldwork")
    client = client_for(c.lead)
    row = c.assessments.select_related("item").first()
    route = url(c, f"assessments/{row.pk}/")
    ok(client.patch(route, {"result": "partial", "examined": "工资表 抽查10份/共30份", "notes": NOTES,
                            "sample_checked": 10, "sample_total": 30}, format="json"))
    body = ok(client.patch(route, {"interviews": INTERVIEWS}, format="json"))
    assert (body["result"], body["examined"], body["notes"], body["interviews"], body["sample_total"]) == (
        "partial", "工资表 抽查10份/共30份", NOTES, INTERVIEWS, 30)
    assert body["assessed_by"]["id"] == c.lead.pk

    content = b"%PDF-1.4 payroll sample"
    evidence = ok(client.post(url(c, f"assessments/{row.pk}/evidence/"), {"file": upload(content=content)},
                              format="multipart"), 201)
    assert evidence["sha256"] == hashlib.sha256(content).hexdigest() and evidence["size"] == len(content)
    assert evidence["uploaded_at"] and evidence["name"] == "合同抽查.pdf"
    listed = ok(client.get(url(c, f"assessments/{row.pk}/evidence/")))
    assert [e["sha256"] for e in listed] == [evidence["sha256"]]
    assert ok(client.get(route))["evidence"][0]["id"] == evidence["id"]
    download = client.get(evidence["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == content
    assert download["X-Evidence-SHA256"] == evidence["sha256"]
    empty = client.post(url(c, f"assessments/{row.pk}/evidence/"), {}, format="multipart")
    assert empty.status_code == 400 and "file" in empty.json()


def test_the_score_and_its_computation():
    c = checkup_in_state("issued", results={"07": "non_compliant"})
    detail = ok(client_for(c.lead).get(url(c)))
    expected = score((a.item.severity, a.result) for a in c.assessments.select_related("item"))
    assert detail["score"] == str(expected.value) and detail["grade"] == "C" and detail["grade_capped"] is True
    assert detail["score_explanation"] == expected.explain() and "封顶为C" in detail["score_explanation"]
    computed = ok(client_for(c.lead).get(url(c, "score/")))
    assert computed["initial"]["score"] == str(expected.value)
    assert computed["initial"]["earned"] == f"{expected.earned:.1f}"
    assert computed["initial"]["possible"] == expected.possible
    assert computed["initial"]["explanation"] == expected.explain()
    assert computed["final"] is None
    assert ok(client_for(c.lead).get(url(checkup_in_state("requested"))))["score_explanation"] == ""


def test_the_whole_checklist_is_reassessed_at_the_follow_up():
    c = checkup_in_state("follow_up")
    item = c.assessments.filter(finding__isnull=True).first()
    body = ok(client_for(c.lead).post(url(c, f"assessments/{item.pk}/reassess/"), {"result": "partial"},
                                      format="json"))
    assert body["reassessed_result"] == "partial"
    final = ok(client_for(c.lead).get(url(c, "score/")))["final"]
    assert final is not None and final["items"] == c.assessments.count()


# --- escalation and the letters ------------------------------------------------------------------------


def test_an_overdue_finding_escalates_to_a_letter_the_company_answers():
    labor_bureau()
    with on(today() - datetime.timedelta(days=200)):
        c = checkup_in_state("rectifying", results={"10": "partial"})
    finding = c.findings.get()
    lead, contact = c.lead, contact_of(c)
    route = url(c, f"findings/{finding.pk}/escalate/")
    with on(finding.due_on):
        early = client_for(lead).post(route, {}, format="json")
        assert early.status_code == 400 and "kind" in early.json()
    with on(finding.due_on + datetime.timedelta(days=1)):
        assert client_for(contact).post(route, {}, format="json").status_code == 403
        letter = ok(client_for(lead).post(route, {"comment": "逾期未整改"}, format="json"), 201)
        assert letter["kind"] == "reminder" and letter["item"] == "10" and letter["handed_over"] is False
        assert letter["addressee"]["id"] == c.company_id
        assert ok(client_for(lead).get(url(c, f"findings/{finding.pk}/")))["letters"] == ["reminder"]
        assert ok(client_for(contact).get(url(c, f"findings/{finding.pk}/")))["overdue"] is True

        listed = ok(client_for(contact).get(url(c, "letters/")))
        assert [row["id"] for row in listed] == [letter["id"]]
        missing = client_for(contact).post(url(c, f"letters/{letter['id']}/reply/"), {}, format="json")
        assert missing.status_code == 400 and "reply_text" in missing.json()
        answered = ok(client_for(contact).post(url(c, f"letters/{letter['id']}/reply/"),
                                               {"reply_text": "已安排专人整改，月底前完成"}, format="json"))
        assert answered["replied_on"] == (finding.due_on + datetime.timedelta(days=1)).isoformat()
        docs = ok(client_for(lead).get(f"/api/v1/checkup-letters/{letter['id']}/documents/"))
        assert [d["kind"] for d in docs] == ["reminder_letter"]
        assert client_for(contact).post(f"/api/v1/checkup-letters/{letter['id']}/documents/",
                                        {"kind": "reminder_letter"}, format="json").status_code == 403
    assert client_for(lead).post(url(c, "letters/999999/reply/"), {"reply_text": "x"}, format="json").status_code == 404


# --- the company contact's view -------------------------------------------------------------------------


def _issued_with_review_comments(found=None, **kw):
    """An issued checkup whose report was sent back once, with the reviewer's comments (and item
    10's finding rewritten as `found`)."""
    c = checkup_in_state("review", **kw)
    reviewer = supervisor()
    services.return_for_changes(checkup=c, actor=reviewer, comment_text=REVIEW_SECRET,
                                finding_comments=[{"item": "10", "comment": REVIEW_SECRET}])
    c.refresh_from_db()
    if found:
        services.edit_finding(finding=c.findings.get(item__code="10"), actor=c.lead, found=found)
        c.refresh_from_db()
    services.submit_for_review(checkup=c, actor=c.lead)
    c.refresh_from_db()
    services.approve(checkup=c, actor=reviewer)
    c.refresh_from_db()
    services.issue(checkup=c, actor=reviewer)
    c.refresh_from_db()
    return c


def _fake_ready(document):
    """The PDF as the pipeline would have stored it (rendering is another test's business)."""
    document.file.save(f"{document.number}.pdf", ContentFile(b"%PDF-1.4 report"), save=False)
    document.status, document.sha256, document.size = Document.Status.READY, "0" * 64, 15
    document.save()
    return document


def _every_read(client, c):
    """Every GET a user of the checkup may reach."""
    paths = [URL, f"{URL}?company={c.company_id}", url(c), url(c, "events/"), url(c, "documents/"),
             url(c, "score/"), url(c, "team/"), url(c, "assessments/"), url(c, "findings/"), url(c, "letters/")]
    for a in c.assessments.all():
        paths += [url(c, f"assessments/{a.pk}/"), url(c, f"assessments/{a.pk}/evidence/")]
    for f in c.findings.all():
        paths += [url(c, f"findings/{f.pk}/"), url(c, f"findings/{f.pk}/replies/")]
    return {path: client.get(path) for path in paths}


def test_a_company_contact_reads_their_issued_checkups_and_never_the_assessors_notes():
    firm = company()
    make_worker(name="张小明")
    c = _issued_with_review_comments(company_=firm, found="骑手张小明反映：规则调整未提前公示。")
    evidence = services.add_evidence(actor=c.lead, file=upload("站点排班表.pdf"), assessment=c.assessments.first())
    draft = checkup_in_state("drafting", company_=firm)
    other = checkup_in_state("issued")
    contact = contact_of(c)
    client = client_for(contact)

    # only their company's issued checkups
    listed = ok(client.get(URL))
    assert [row["id"] for row in listed["results"]] == [c.pk]
    for hidden in (draft, other):
        for path in ("", "events/", "documents/", "score/", "team/", "assessments/", "findings/", "letters/"):
            assert client.get(url(hidden, path)).status_code == 404, (hidden.state, path)
        assert transition(contact, hidden, "start_rectification").status_code == 404

    bodies = _every_read(client, c)
    reached = {path for path, r in bodies.items() if r.status_code == 200}
    assert {url(c), url(c, "assessments/"), url(c, "findings/"), url(c, "events/"), url(c, "documents/")} <= reached
    # the fieldwork's files are not theirs: the route is not there
    assert all(bodies[url(c, f"assessments/{a.pk}/evidence/")].status_code == 404 for a in c.assessments.all())
    for path, response in bodies.items():
        text = response.content.decode()
        for secret in (NOTES, INTERVIEWS, REVIEW_SECRET, '"notes"', '"interviews"', '"review_comment"',
                       '"evidence":[{', evidence.sha256, "站点排班表"):
            assert secret not in text, (path, secret)
    # a registered worker's name reads 某某, as in the report
    finding = next(f for f in ok(client.get(url(c, "findings/"))) if f["item"]["code"] == "10")
    assert finding["found"] == "骑手某某反映：规则调整未提前公示。"
    assert "张小明" not in "".join(r.content.decode() for r in bodies.values())
    # the journal starts at the issue: nothing of the drafting and review
    events = [e["transition"] for e in ok(client.get(url(c, "events/")))]
    assert events[0] == "issue" and "return_for_changes" not in events and "assess" not in events
    assert client.get(url(c, f"evidence/{evidence.pk}/download/")).status_code == 404

    # the union staff's bodies do have them (the search above finds what is there)
    staff_text = "".join(r.content.decode() for r in _every_read(client_for(c.lead), c).values())
    assert NOTES in staff_text and INTERVIEWS in staff_text and REVIEW_SECRET in staff_text and "张小明" in staff_text
    assert evidence.sha256 in staff_text


def test_a_company_contact_downloads_the_issued_report_and_never_a_drafts_document():
    firm = company()
    c = checkup_in_state("issued", company_=firm)
    draft = checkup_in_state("drafting", company_=firm)
    contact = contact_of(c)
    client = client_for(contact)
    report = _fake_ready(documents.documents_for(c).get(kind="report"))
    notice = _fake_ready(documents.documents_for(draft).get(kind="engagement_notice"))

    kinds = {d["kind"] for d in ok(client.get(url(c, "documents/")))}
    assert "report" in kinds and "rectification_notice" in kinds
    download = client.get(f"/api/v1/documents/{report.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert client.get(f"/api/v1/documents/{notice.pk}/download/").status_code == 404
    assert client.get(f"/api/v1/documents/{notice.pk}/").status_code == 404
    assert client.get(url(draft, "documents/")).status_code == 404
    # staff download both
    assert client_for(draft.lead).get(f"/api/v1/documents/{notice.pk}/download/").status_code == 200
    # asking for a document is the union's
    assert client.post(url(c, "documents/"), {"kind": "report", "regenerate": True}, format="json").status_code == 403


def test_a_company_contact_acknowledges_replies_with_evidence_and_does_nothing_else():
    labor_bureau()
    with on(today() - datetime.timedelta(days=200)):
        c = checkup_in_state("issued")
    contact = contact_of(c)
    client = client_for(contact)
    finding = c.findings.select_related("item").first()
    assessment = c.assessments.first()
    assert ok(client.get(url(c)))["allowed_transitions"] == ["start_rectification"]

    # before acknowledging: no reply yet (400 with why), then acknowledge
    early = client.post(url(c, f"findings/{finding.pk}/replies/"), {
        "plan": "修订规则", "responsible": "人力资源部", "target_on": today().isoformat()}, format="json")
    assert early.status_code == 400
    body = ok(transition(contact, c, "start_rectification"))
    assert body["state"] == "rectifying" and body["allowed_transitions"] == []
    assert "drafted_by" not in body and "review_comment" not in body and NOTES not in str(body)
    assert journal.events_for(c).last().actor_id == contact.pk

    reply = ok(client.post(url(c, f"findings/{finding.pk}/replies/"), {
        "plan": "修订计件规则并公示", "responsible": "人力资源部 李经理",
        "target_on": (today() + datetime.timedelta(days=10)).isoformat()}, format="json"), 201)
    assert reply["done"] is False and reply["created_by"]["id"] == contact.pk
    content = b"%PDF-1.4 rules as published"
    evidence = ok(client.post(url(c, f"findings/{finding.pk}/replies/{reply['id']}/evidence/"),
                              {"file": upload("公示截图.pdf", content)}, format="multipart"), 201)
    assert evidence["sha256"] == hashlib.sha256(content).hexdigest()
    replies = ok(client.get(url(c, f"findings/{finding.pk}/replies/")))
    assert replies[0]["evidence"][0]["sha256"] == evidence["sha256"]
    download = client.get(evidence["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == content
    assert ok(client.get(url(c, f"findings/{finding.pk}/")))["status"] == "replied"
    other_reply = client.post(url(c, f"findings/{finding.pk}/replies/999999/evidence/"), {"file": upload()},
                              format="multipart")
    assert other_reply.status_code == 404

    # nothing else: transitions and every write of the union's (403, before the body is read)
    assert transition(contact, c, "follow_up").status_code == 403
    writes = [
        ("post", "team/", {"member": contact.pk}), ("patch", f"assessments/{assessment.pk}/", {"result": "compliant"}),
        ("post", f"assessments/{assessment.pk}/", {}), ("post", f"assessments/{assessment.pk}/reassess/", {}),
        ("patch", f"findings/{finding.pk}/", {"found": "x"}), ("post", f"findings/{finding.pk}/reassess/", {}),
        ("post", f"findings/{finding.pk}/escalate/", {}), ("post", "documents/", {"kind": "report"}),
    ]
    for method, path, data in writes:
        response = getattr(client, method)(url(c, path), data, format="json")
        assert response.status_code == 403, (path, response.content)
    uploaded = client.post(url(c, f"assessments/{assessment.pk}/evidence/"), {"file": upload()}, format="multipart")
    assert uploaded.status_code == 403
    assert not assessment.evidence.exists()

    # and the union's registers are not theirs
    for path in ("/api/v1/checklists/", "/api/v1/checklists/1/versions/", "/api/v1/offered-clauses/",
                 "/api/v1/checkup-figures/"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/api/v1/checklists/{seeded_version().checklist_id}/new_version/", {},
                       format="json").status_code == 403


# --- checklists and offered clauses -------------------------------------------------------------------


def test_checklist_versions_a_published_one_never_changes():
    boss = supervisor()
    client = client_for(boss)
    v1 = seeded_version()
    checklists = ok(client.get("/api/v1/checklists/"))["results"]
    seeded = next(row for row in checklists if row["id"] == v1.checklist_id)
    assert [(v["number"], v["published"]) for v in seeded["versions"]] == [(1, True)]
    base = f"/api/v1/checklists/{v1.checklist_id}/"
    one = ok(client.get(f"{base}versions/1/"))
    assert len(one["items"]) == 25 and {"code", "legal_basis", "severity", "guidance"} <= set(one["items"][0])

    item = {"code": "26", "title": "外卖骑手恶劣天气补贴", "legal_basis": "集体合同", "severity": "M"}
    refused = client.post(f"{base}versions/1/set_item/", item, format="json")
    assert refused.status_code == 400 and "version" in refused.json()
    assert v1.items.count() == 25

    v2 = ok(client.post(f"{base}new_version/", {"note": "增加恶劣天气补贴"}, format="json"), 201)
    assert v2["number"] == 2 and v2["published"] is False and len(v2["items"]) == 25
    again = client.post(f"{base}new_version/", {}, format="json")
    assert again.status_code == 400 and "checklist" in again.json()
    added = ok(client.post(f"{base}versions/2/set_item/", item, format="json"))
    assert added["code"] == "26" and added["severity"] == "M"
    bad = client.post(f"{base}versions/2/set_item/", {**item, "title": "", "severity": "X"}, format="json")
    assert bad.status_code == 400 and "severity" in bad.json()
    published = ok(client.post(f"{base}versions/2/publish/", {}, format="json"))
    assert published["published"] is True and len(published["items"]) == 26
    assert client.post(f"{base}versions/2/set_item/", item, format="json").status_code == 400
    assert client.post(f"{base}versions/2/publish/", {}, format="json").status_code == 400
    assert client.get(f"{base}versions/9/").status_code == 404
    assert [v["number"] for v in ok(client.get(f"{base}versions/"))] == [2, 1]

    # check-up staff read checklists; only supervisors keep them
    lead = auditor()
    assert client_for(lead).get(f"{base}versions/").status_code == 200
    assert client_for(lead).post(f"{base}new_version/", {}, format="json").status_code == 403
    assert client_for(lead).post(f"{base}versions/2/set_item/", item, format="json").status_code == 403


def test_offered_clauses_become_items_of_a_new_version():
    boss = supervisor()
    client = client_for(boss)
    employer = company()
    offer = OfferedClause.objects.create(source_label="bargaining.negotiation", source_id=1, source_number="XS2025-0001",
                                         title="恶劣天气补贴", text="暴雨、高温天气每单加价1元。", offered_on=today())
    offer.employers.set([employer])
    rows = ok(client.get("/api/v1/offered-clauses/"))["results"]
    assert [(r["id"], r["used_in"]) for r in rows] == [(offer.pk, None)]
    assert rows[0]["employers"] == [{"id": employer.pk, "name": employer.name, "kind": employer.kind}]
    base = f"/api/v1/checklists/{seeded_version().checklist_id}/"
    ok(client.post(f"{base}new_version/", {}, format="json"), 201)
    assert client.post(f"{base}versions/2/include_offered_clauses/", {"offers": []}, format="json").status_code == 400
    items = ok(client.post(f"{base}versions/2/include_offered_clauses/", {"offers": [offer.pk]}, format="json"), 201)
    assert len(items) == 1 and "恶劣天气补贴" in items[0]["title"] and items[0]["source"] == "bargaining.negotiation:1"
    version = ChecklistVersion.objects.get(checklist=seeded_version().checklist, number=2)
    assert ok(client.get("/api/v1/offered-clauses/", {"used": "true"}))["results"][0]["used_in"] == version.pk
    assert ok(client.get("/api/v1/offered-clauses/", {"used": "false"}))["results"] == []
    assert client_for(auditor()).post(f"{base}versions/2/include_offered_clauses/", {"offers": [offer.pk]},
                                      format="json").status_code == 403


# --- figures ------------------------------------------------------------------------------------------


def test_figures_for_leadership():
    checkup_in_state("issued", results={"07": "non_compliant", "10": "partial"})
    checkup_in_state("closed")
    checkup_in_state("requested")
    body = ok(client_for(supervisor()).get("/api/v1/checkup-figures/"))
    assert set(body) == {"by_state", "by_grade", "most_failed", "rectification_rate", "letters", "overdue_findings",
                         "today"}
    states = {row["key"]: row["count"] for row in body["by_state"]}
    assert set(states) == {s for s, _label in Checkup._meta.get_field("state").choices}
    assert states["issued"] == states["closed"] == states["requested"] == 1 and states["cancelled"] == 0
    assert {row["key"]: row["count"] for row in body["by_grade"]} == {"A": 1, "B": 0, "C": 1, "D": 0}
    assert body["most_failed"][0] == {"code": "10", "title": body["most_failed"][0]["title"], "findings": 2,
                                      "companies": 2}
    assert 0 < body["rectification_rate"] < 1
    assert [(row["kind"], row["issued"], row["share_answered"]) for row in body["letters"]] == [
        ("reminder", 0, None), ("opinion", 0, None), ("recommendation", 0, None)]
    assert body["overdue_findings"] == 0 and body["today"] == today().isoformat()
    assert client_for(make_user(Role.MEDIATOR)).get("/api/v1/checkup-figures/").status_code == 200
    assert client_for(make_user()).get("/api/v1/checkup-figures/").status_code == 403
