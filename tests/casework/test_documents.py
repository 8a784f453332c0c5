"""The document pipeline: rendering, content, idempotency, failure, verification, API permissions.

PDF text is read back with poppler's pdftotext/pdfinfo (Debian poppler-utils), as a person would
read the paper. Rendering runs eagerly in-process (no broker), after the commit of the transaction
that asked for it: `django_capture_on_commit_callbacks(execute=True)` plays that commit.
"""

import hashlib
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from casework import services
from core import amounts, checks, documents, tasks
from core.models import Document
from core.roles import Role
from tests.scenarios import PATHS, advance, case_in_state, make_case, make_user, supervisor

pytestmark = pytest.mark.django_db

# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def pdf_text(path_or_bytes, first=None, last=None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    if isinstance(path_or_bytes, bytes):
        return subprocess.run([*args, "-", "-"], input=path_or_bytes, capture_output=True, check=True).stdout.decode()
    return subprocess.run([*args, str(path_or_bytes), "-"], capture_output=True, check=True).stdout.decode()


def pdf_info(path) -> dict:
    out = subprocess.run(["pdfinfo", "-isodates", str(path)], capture_output=True, check=True, text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def flat(text: str) -> str:
    """pdftotext breaks lines where the layout does; compare without whitespace."""
    return re.sub(r"\s+", "", text)


def issue(obj, kind, django_capture_on_commit_callbacks, **kw):
    with django_capture_on_commit_callbacks(execute=True):
        document, created = documents.request(obj, kind, actor=supervisor(), **kw)
    document.refresh_from_db()
    return document, created


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "documents"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def add_evidence(case, n):
    for i in range(n):
        services.add_evidence(
            case=case, actor=supervisor(),
            file=SimpleUploadedFile(f"配送记录截图-{i + 1:02d}.png", f"evidence {i}".encode() * 50),
            description=f"骑手APP订单记录第{i + 1}页，显示应结算金额",
        )


CLAIMS = [
    {"category": "unpaid_pay", "description": "支付2025年10月至12月拖欠的配送服务费", "amount": Decimal("486000.00")},
    {"category": "unpaid_pay", "description": "支付恶劣天气补贴", "amount": Decimal("174000")},
]


# --------------------------------------------------------------------------------------------------
# Amounts in Chinese capitals
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount, expected", [
    (660000, "人民币陆拾陆万元整"),
    ("1234.56", "人民币壹仟贰佰叁拾肆元伍角陆分"),
    (0, "人民币零元整"),
    ("0.05", "人民币伍分"),
    ("0.50", "人民币伍角"),
    (10, "人民币壹拾元整"),
    (1001, "人民币壹仟零壹元整"),
    ("1000.05", "人民币壹仟元零伍分"),
    ("1409.50", "人民币壹仟肆佰零玖元伍角"),  # the PBOC's own example
    ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),  # likewise
    (100010, "人民币壹拾万零壹拾元整"),
    (40500, "人民币肆万零伍佰元整"),
    (100000000, "人民币壹亿元整"),
    (100001000, "人民币壹亿零壹仟元整"),  # cn2an 0.5.24 drops this 零
    (105000, "人民币壹拾万伍仟元整"),
    ("3200.00", "人民币叁仟贰佰元整"),
    ("0.005", "人民币壹分"),  # half up to the fen
])
def test_amount_in_capitals(amount, expected):
    assert amounts.capitals(amount) == expected


def test_amount_in_figures_and_both():
    assert amounts.figures(Decimal("660000")) == "¥660,000.00"
    assert amounts.both("1234.5") == "¥1,234.50（人民币壹仟贰佰叁拾肆元伍角）"
    with pytest.raises(ValueError):
        amounts.capitals(-1)
    with pytest.raises(ValueError):
        amounts.capitals("abc")


# --------------------------------------------------------------------------------------------------
# What the documents say
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["intake_record", "case_summary", "closing_report"])
def test_each_document_states_the_case(kind, django_capture_on_commit_callbacks, settings):
    case = case_in_state("resolved", claimants=2, claims=CLAIMS)
    workers = [c.worker for c in case.case_claimants.select_related("worker")]
    document, created = issue(case, kind, django_capture_on_commit_callbacks)

    assert created and document.status == Document.Status.READY
    data = Path(document.file.path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == document.sha256
    assert document.size == len(data) and document.pages >= 1
    text = flat(pdf_text(document.file.path))
    assert case.number in text
    assert document.number in text and document.verification_code in text
    assert case.respondents.get().name in text
    for worker in workers:
        assert worker.name in text
        assert worker.id_number_masked in text
        assert worker.id_number not in text  # never the full resident ID
    # The sum claimed, in figures and in capitals.
    assert "¥660,000.00" in text and "人民币陆拾陆万元整" in text
    if kind != "intake_record":  # resolved: the amount recovered too
        assert "¥3,200.00" in text and "人民币叁仟贰佰元整" in text
    assert settings.WEIQUAN_ISSUING_ORGANISATION in text
    assert "（盖章）" in text  # the place for a seal, left blank


def test_pdf_metadata_and_archival_variant(django_capture_on_commit_callbacks, settings):
    case = case_in_state("accepted")
    document, _ = issue(case, "case_summary", django_capture_on_commit_callbacks)
    info = pdf_info(document.file.path)
    assert info["Title"] == f"维权案件摘要 {document.number}"
    assert info["Author"] == settings.WEIQUAN_ISSUING_ORGANISATION
    assert info["Subject"].startswith("劳动争议维权案件摘要")
    assert document.verification_code in info["Keywords"]
    assert info["CreationDate"].startswith(f"{timezone.localtime(document.rendered_at):%Y}")  # Shanghai's year
    if settings.WEIQUAN_DOCUMENT_PDF_VARIANT == "pdf/a-3b":
        xmp = subprocess.run(["pdfinfo", "-meta", document.file.path], capture_output=True, check=True, text=True).stdout
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert document.pdf_variant == settings.WEIQUAN_DOCUMENT_PDF_VARIANT


def test_issuer_is_the_handlers_union(django_capture_on_commit_callbacks):
    from tests.scenarios import make_organisation

    union = make_organisation(kind="union", name="思明区总工会")
    officer = make_user(Role.INTAKE_OFFICER, organisation=union)
    case = make_case(handler=officer)
    document, _ = issue(case, "case_summary", django_capture_on_commit_callbacks)
    assert document.issuer == "思明区总工会"
    assert "思明区总工会" in flat(pdf_text(document.file.path))


def test_multi_page_summary_numbers_pages_and_repeats_table_headers(django_capture_on_commit_callbacks):
    case = make_case(claimants=11, claims=CLAIMS)
    add_evidence(case, 30)
    advance(case, *PATHS["accepted"])
    document, _ = issue(case, "case_summary", django_capture_on_commit_callbacks)

    n = int(pdf_info(document.file.path)["Pages"])
    assert n >= 3 and document.pages == n
    pages = [flat(pdf_text(document.file.path, first=p, last=p)) for p in range(1, n + 1)]
    for p, text in enumerate(pages, start=1):
        assert f"第{p}页共{n}页" in text, f"page {p} footer"
        assert document.verification_code in text and document.number in text
    # The evidence table runs over a page break; its header row is printed again on the next page.
    evidence_pages = [p for p, text in enumerate(pages, start=1) if "显示应结算金额" in text]
    assert len(evidence_pages) >= 2
    assert all("SHA-256校验值" in pages[p - 1] for p in evidence_pages)
    text = "".join(pages)
    assert all(f"配送记录截图-{i:02d}.png" in text for i in range(1, 31))
    first = case.evidence.order_by("id").first()
    assert first.sha256 in text  # hashes printed in full
    assert "仲裁时效届满日" in text  # the current deadline
    assert "受理" in text and "开始审查" in text  # the journal's timeline
    assert text.count("350203********") == 11


# --------------------------------------------------------------------------------------------------
# Idempotency, versions, states, automatic documents
# --------------------------------------------------------------------------------------------------


def test_same_object_kind_state_gives_the_same_document(django_capture_on_commit_callbacks, settings):
    case = case_in_state("screening")
    first, created = issue(case, "case_summary", django_capture_on_commit_callbacks)
    again, created_again = issue(case, "case_summary", django_capture_on_commit_callbacks)
    assert created and not created_again and again.pk == first.pk
    assert len(stored_files(settings)) == 1

    second, created = issue(case, "case_summary", django_capture_on_commit_callbacks, regenerate=True)
    assert created and second.version == 2 and second.pk != first.pk
    assert second.verification_code != first.verification_code and second.number != first.number
    first.refresh_from_db()
    assert first.status == Document.Status.READY and Path(first.file.path).exists()  # old version kept

    # Asking again now returns the newest version for this state.
    assert issue(case, "case_summary", django_capture_on_commit_callbacks)[0].pk == second.pk

    # A new state is a new document.
    advance(case, "accept")
    third, created = issue(case, "case_summary", django_capture_on_commit_callbacks)
    assert created and third.version == 3 and third.owner_state == "accepted"
    assert len(stored_files(settings)) == 3


def test_a_racing_request_for_the_same_version_returns_the_winner(monkeypatch):
    """Another request commits the same (case, kind, state) after this one has read the versions:
    this one's insert meets the unique constraint, re-reads, and returns the winner's row."""
    case = case_in_state("screening")
    real_code = documents.new_verification_code
    competitor = {}

    def code_while_a_competitor_commits():
        if not competitor:  # first call: the version has been computed, the insert is next
            competitor["row"] = Document.objects.create(
                content_type_id=documents.ContentType.objects.get_for_model(case).pk, object_id=str(case.pk),
                kind="case_summary", title="维权案件摘要", owner_state="screening", version=1,
                template_version="1", number="RACE-ZY01", verification_code="RACE234567", issuer="x",
            )
        return real_code()

    monkeypatch.setattr(documents, "new_verification_code", code_while_a_competitor_commits)
    document, created = documents.request(case, "case_summary")
    assert not created and document.pk == competitor["row"].pk
    assert Document.objects.filter(kind="case_summary").count() == 1

    # Two regenerations racing: the one that loses is answered by the winner's new version.
    def code_while_a_regeneration_commits():
        if "v2" not in competitor:
            competitor["v2"] = Document.objects.create(
                content_type_id=documents.ContentType.objects.get_for_model(case).pk, object_id=str(case.pk),
                kind="case_summary", title="维权案件摘要", owner_state="screening", version=2,
                template_version="1", number="RACE-ZY02", verification_code="RACE234568", issuer="x",
            )
        return real_code()

    monkeypatch.setattr(documents, "new_verification_code", code_while_a_regeneration_commits)
    newer, created = documents.request(case, "case_summary", regenerate=True)
    assert not created and newer.pk == competitor["v2"].pk
    assert Document.objects.filter(kind="case_summary").count() == 2


def test_kind_not_issued_in_this_state():
    case = case_in_state("accepted")
    before = Document.objects.count()
    with pytest.raises(documents.DocumentNotAllowed):
        documents.request(case, "closing_report")
    with pytest.raises(documents.UnknownDocumentKind):
        documents.request(case, "no_such_kind")
    assert Document.objects.count() == before


def test_transitions_issue_their_documents(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_in_state("closed")
    rows = {d.kind: d for d in documents.documents_for(case)}
    assert set(rows) == {"intake_record", "closing_report"}
    assert rows["intake_record"].owner_state == "accepted"
    assert rows["closing_report"].owner_state == "closed"
    assert all(d.status == Document.Status.READY for d in rows.values())


def test_issue_all_now_writes_every_document_the_state_allows(tmp_path):
    case = case_in_state("closed")
    issued = documents.issue_all_now(case, directory=tmp_path / "out")
    assert {d.kind for d in issued} == {"intake_record", "case_summary", "closing_report"}
    assert all(d.status == Document.Status.READY for d in issued)
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(f"{d.number} {d.title}.pdf" for d in issued)


def test_a_refused_transition_issues_nothing():
    case = case_in_state("screening", claimants=[])  # no claimant: accept's condition fails
    with pytest.raises(Exception):
        services.accept(case=case, actor=supervisor())
    assert not documents.documents_for(case).exists()


# --------------------------------------------------------------------------------------------------
# Failures leave nothing half-written
# --------------------------------------------------------------------------------------------------


def failing_once(monkeypatch):
    real = documents.html_to_pdf
    calls = {"n": 0}

    def flaky(html, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("renderer crashed")
        return real(html, **kw)

    monkeypatch.setattr(documents, "html_to_pdf", flaky)
    return calls


def test_a_failed_render_is_retried_and_leaves_nothing_behind(monkeypatch, django_capture_on_commit_callbacks, settings):
    case = case_in_state("accepted")
    calls = failing_once(monkeypatch)
    document, _ = issue(case, "case_summary", django_capture_on_commit_callbacks)
    assert calls["n"] == 2
    assert document.status == Document.Status.READY and document.attempts == 2
    assert stored_files(settings) == [Path(document.file.path)]  # no file from the failed attempt


def test_celery_autoretry_renders_after_a_failure(monkeypatch, settings):
    case = case_in_state("accepted")
    document, _ = documents.request(case, "case_summary")  # on_commit not played: still pending
    calls = failing_once(monkeypatch)
    tasks.render_document.apply(args=[document.pk], throw=False)  # the task as a worker runs it
    document.refresh_from_db()
    assert calls["n"] == 2 and document.status == Document.Status.READY
    assert len(stored_files(settings)) == 1


def test_a_render_that_keeps_failing_is_marked_failed_without_a_file(monkeypatch, django_capture_on_commit_callbacks, settings):
    case = case_in_state("accepted")

    def broken(html, **kw):
        raise RuntimeError("no fonts today")

    with monkeypatch.context() as patched:
        patched.setattr(documents, "html_to_pdf", broken)
        document, _ = issue(case, "case_summary", django_capture_on_commit_callbacks)
    assert document.status == Document.Status.FAILED and "no fonts today" in document.error
    assert not document.file and not document.sha256 and document.size is None
    assert document.attempts == tasks.render_document.max_retries + 1
    assert stored_files(settings) == []

    # Asking again queues the same row again, and it renders once the renderer is back.
    again, created = issue(case, "case_summary", django_capture_on_commit_callbacks)
    assert not created and again.pk == document.pk and again.status == Document.Status.READY


def test_a_failed_row_update_deletes_the_written_file(monkeypatch, settings):
    case = case_in_state("accepted")
    document, _ = documents.request(case, "case_summary")
    original_save = Document.save

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") and "sha256" in kwargs["update_fields"]:
            raise RuntimeError("database went away")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Document, "save", save)
    with pytest.raises(RuntimeError):
        documents.render_and_store(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.PENDING and not document.file
    assert stored_files(settings) == []


# --------------------------------------------------------------------------------------------------
# The public verification page
# --------------------------------------------------------------------------------------------------


def test_verify_page_for_a_genuine_code(client, django_capture_on_commit_callbacks, settings):
    document, _ = issue(case_in_state("accepted"), "case_summary", django_capture_on_commit_callbacks)
    response = client.get(f"/verify/{document.verification_code}")
    assert response.status_code == 200
    page = response.content.decode()
    for shown in (document.number, document.sha256, settings.WEIQUAN_ISSUING_ORGANISATION, "维权案件摘要", "有效"):
        assert shown in page
    assert document.owner.number not in page.replace(document.number, "")  # nothing about the case itself
    # Typed from paper: lower case, with spaces and a dash.
    typed = document.verification_code.lower()
    assert client.get(f"/verify/{typed[:5]}-{typed[5:]}").status_code == 200
    assert client.get(f"/verify/?code={typed}").status_code == 302


def test_verify_page_for_an_unknown_code(client):
    response = client.get("/verify/ABCDEFGHJK")
    assert response.status_code == 404
    assert "未找到" in response.content.decode()


def test_verify_upload_tells_genuine_from_tampered(client, django_capture_on_commit_callbacks):
    document, _ = issue(case_in_state("accepted"), "case_summary", django_capture_on_commit_callbacks)
    original = Path(document.file.path).read_bytes()

    genuine = client.post(f"/verify/{document.verification_code}",
                          {"file": SimpleUploadedFile("摘要.pdf", original, "application/pdf")})
    assert genuine.status_code == 200 and 'id="result-genuine"' in genuine.content.decode()

    middle = len(original) // 2
    tampered_bytes = original[:middle] + bytes([original[middle] ^ 0x01]) + original[middle + 1:]
    tampered = client.post(f"/verify/{document.verification_code}",
                           {"file": SimpleUploadedFile("摘要.pdf", tampered_bytes, "application/pdf")})
    page = tampered.content.decode()
    assert 'id="result-tampered"' in page and hashlib.sha256(tampered_bytes).hexdigest() in page


# --------------------------------------------------------------------------------------------------
# API: list, ask for, fetch and download; permissions are the owner's
# --------------------------------------------------------------------------------------------------


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_asks_for_a_document_and_downloads_it(django_capture_on_commit_callbacks):
    case = case_in_state("accepted")
    officer = make_user(Role.INTAKE_OFFICER)
    client = api(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/cases/{case.pk}/documents/", {"kind": "case_summary"}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "case_summary" and body["owner_type"] == "casework.case"
    assert body["owner_id"] == str(case.pk) and body["owner_state"] == "accepted" and body["version"] == 1

    detail = client.get(f"/api/v1/documents/{body['id']}/").json()
    assert detail["status"] == "ready" and len(detail["sha256"]) == 64
    assert detail["download_url"].endswith(f"/api/v1/documents/{body['id']}/download/")

    download = client.get(f"/api/v1/documents/{body['id']}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == detail["sha256"]
    assert client.get(f"/api/v1/documents/{body['id']}/download/", HTTP_ACCEPT="application/pdf").status_code == 200

    # Idempotent, then a new version on request; the list shows both.
    again = client.post(f"/api/v1/cases/{case.pk}/documents/", {"kind": "case_summary"}, format="json")
    assert again.status_code == 202 and again.json()["id"] == body["id"]
    with django_capture_on_commit_callbacks(execute=True):
        newer = client.post(f"/api/v1/cases/{case.pk}/documents/", {"kind": "case_summary", "regenerate": True}, format="json")
    assert newer.status_code == 202 and newer.json()["version"] == 2
    listed = client.get(f"/api/v1/cases/{case.pk}/documents/").json()
    assert [(d["kind"], d["version"]) for d in listed if d["kind"] == "case_summary"] == [("case_summary", 2), ("case_summary", 1)]


def test_api_refuses_unknown_kinds_and_wrong_states():
    case = case_in_state("accepted")
    client = api(make_user(Role.INTAKE_OFFICER))
    unknown = client.post(f"/api/v1/cases/{case.pk}/documents/", {"kind": "nope"}, format="json")
    assert unknown.status_code == 400 and "kind" in unknown.json()
    wrong_state = client.post(f"/api/v1/cases/{case.pk}/documents/", {"kind": "closing_report"}, format="json")
    assert wrong_state.status_code == 409
    assert wrong_state.json()["code"] == "document_not_allowed"
    assert wrong_state.json()["allowed_states"] == ["resolved", "closed"]


def test_a_pending_document_cannot_be_downloaded_yet():
    case = case_in_state("accepted")
    client = api(make_user(Role.INTAKE_OFFICER))
    response = client.post(f"/api/v1/cases/{case.pk}/documents/", {"kind": "case_summary"}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "pending"  # commit not played
    assert response.json()["download_url"] is None
    download = client.get(f"/api/v1/documents/{response.json()['id']}/download/")
    assert download.status_code == 409 and download.json()["code"] == "document_not_ready"


def test_only_those_who_may_see_the_case_see_its_documents(django_capture_on_commit_callbacks):
    from tests.scenarios import make_organisation

    case = case_in_state("legal_aid")
    document, _ = issue(case, "case_summary", django_capture_on_commit_callbacks)
    platform = case.respondents.get()
    outsiders = [
        make_user(Role.COMPANY_CONTACT, organisation=platform),  # the respondent's own contact
        make_user(Role.LEGAL_AID_VOLUNTEER),  # a volunteer not assigned to this case
        make_user(Role.COURT_LIAISON, organisation=make_organisation(kind="court")),
    ]
    for user in outsiders:
        client = api(user)
        assert client.get(f"/api/v1/documents/{document.pk}/").status_code == 404
        assert client.get(f"/api/v1/documents/{document.pk}/download/").status_code == 404
        assert client.get(f"/api/v1/cases/{case.pk}/documents/").status_code == 404
        assert client.post(f"/api/v1/cases/{case.pk}/documents/", {"kind": "case_summary"}, format="json").status_code == 404

    assert api().get(f"/api/v1/documents/{document.pk}/download/").status_code in (401, 403)

    # The lawyer the case was assigned to, and union staff, may.
    for user in (case.legal_aid_by, make_user(Role.SUPERVISOR)):
        assert api(user).get(f"/api/v1/documents/{document.pk}/download/").status_code == 200


# --------------------------------------------------------------------------------------------------
# The start-up check
# --------------------------------------------------------------------------------------------------


def test_system_check_passes_here():
    assert checks.check_pdf_dependencies() == []


def test_system_check_names_what_to_install(monkeypatch):
    monkeypatch.setattr(checks, "harfbuzz_subset_available", lambda: False)
    monkeypatch.setattr(checks, "cjk_font_families", lambda: [])
    problems = {p.id: p for p in checks.check_pdf_dependencies()}
    assert set(problems) == {"core.E103", "core.W105"}
    assert "libharfbuzz-subset0" in problems["core.W105"].hint
    assert "fonts-noto-cjk" in problems["core.E103"].hint
