"""A failed render says so and offers a retry (issue 12, item 2): on the object's page, in plain
Chinese words (never the exception), with a button that asks again; in the API, the row's status
and `failure_reason`, and POST …/documents/ {"kind": …} renders the same row again."""

import pytest
from django.template.base import VariableDoesNotExist
from rest_framework.test import APIClient

from core import documents
from core.models import Document
from mediation import services
from tests.mediation.helpers import mediation_in_state
from tests.scenarios import case_in_state, supervisor

pytestmark = pytest.mark.django_db

KIND = "confirmation_application"


def broken_template(monkeypatch):
    """The template fails as the union application's did (a lookup on a missing court)."""
    def render_to_string(*args, **kwargs):
        raise VariableDoesNotExist("Failed lookup for key [%s] in %r", ("name", None))

    monkeypatch.setattr(documents, "render_to_string", render_to_string)


def renders_at_once(monkeypatch):
    """As a request runs in production with no broker: outside any outer transaction, the render
    queued by documents.request() runs when request()'s own transaction commits, before the view
    reads the row again (a test's transaction would hold it until the test ends)."""
    def schedule(document):
        try:
            documents.enqueue_render(document.pk)
        except Exception:  # robust, as transaction.on_commit(..., robust=True) is
            pass

    monkeypatch.setattr(documents, "_schedule", schedule)


def page_of(m):
    return f"/mediation/mediations/{m.pk}/"


def test_the_page_shows_a_failed_document_in_plain_words_and_retries_it(client, monkeypatch):
    m = mediation_in_state("agreed", source="union")
    client.force_login(m.mediator)
    renders_at_once(monkeypatch)
    with monkeypatch.context() as patched:
        broken_template(patched)
        answer = client.post(f"{page_of(m)}documents/", {"kind": KIND}, follow=True)
    document = documents.documents_for(m, KIND).get()
    assert document.status == Document.Status.FAILED and "VariableDoesNotExist" in document.error

    page = answer.content.decode()  # the page the request lands on says so at once
    assert "文书生成失败：司法确认申请书。系统未能用本记录的信息填写文书模板" in page
    for page in (page, client.get(page_of(m)).content.decode()):  # and the page, later
        assert f"{document.number} · 生成失败" in page and "司法确认申请书生成失败" in page
        assert f"（已尝试 {document.attempts} 次）" in page
        assert "程序缺陷" in page and "请联系系统管理员" in page
        assert "VariableDoesNotExist" not in page and "Failed lookup" not in page and "Traceback" not in page
        assert f'<input type="hidden" name="kind" value="{KIND}">' in page and "重新生成" in page

    # The template fixed, the button asks again: the same row (number, code) is rendered.
    answer = client.post(f"{page_of(m)}documents/", {"kind": KIND}, follow=True)
    assert f"文书已生成：司法确认申请书 {document.number}" in answer.content.decode()
    again = documents.documents_for(m, KIND).get()
    assert again.pk == document.pk and again.number == document.number and again.status == Document.Status.READY
    page = client.get(page_of(m)).content.decode()
    assert f"/api/v1/documents/{again.pk}/download/" in page and "生成失败" not in page


def test_a_transient_failure_asks_to_try_again_later(client, monkeypatch):
    case = case_in_state("accepted")
    client.force_login(supervisor())
    renders_at_once(monkeypatch)

    def no_storage(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(documents, "html_to_pdf", no_storage)
        answer = client.post(f"/casework/cases/{case.pk}/documents/", {"kind": "case_summary"}, follow=True)
    page = answer.content.decode()
    assert "文书生成失败：维权案件摘要。文件存储或数据库暂时不可用。请稍后重新生成。" in page
    assert "No space left" not in page and "重新生成" in page


def test_a_failed_document_no_longer_offered_in_the_state_says_so_without_a_button(
        client, monkeypatch, django_capture_on_commit_callbacks):
    m = mediation_in_state("in_progress", source="union")
    with monkeypatch.context() as patched:
        broken_template(patched)
        with django_capture_on_commit_callbacks(execute=True):
            documents.request(m, "acceptance_notice", actor=supervisor(), regenerate=True)
    assert documents.documents_for(m, "acceptance_notice").filter(status=Document.Status.FAILED).exists()
    services.fail(mediation=m, actor=supervisor(), reason="双方分歧过大")  # acceptance notices end here
    client.force_login(supervisor())
    page = client.get(page_of(m)).content.decode()
    assert "调解受理通知书生成失败" in page and "当前状态下不再提供此文书" in page
    assert 'name="kind" value="acceptance_notice"' not in page


def test_the_api_lists_the_failure_and_a_post_renders_it_again(monkeypatch):
    m = mediation_in_state("agreed", source="union")
    renders_at_once(monkeypatch)
    api = APIClient()
    api.force_authenticate(m.mediator)
    url = f"/api/v1/mediations/{m.pk}/documents/"
    with monkeypatch.context() as patched:
        broken_template(patched)
        answer = api.post(url, {"kind": KIND}, format="json")
    assert answer.status_code == 202
    failed = answer.json()
    assert failed["status"] == "failed" and failed["download_url"] is None
    assert "程序缺陷" in failed["failure_reason"] and failed["error"].startswith("VariableDoesNotExist")

    listed = {row["id"]: row for row in api.get(url).json()}
    assert listed[failed["id"]]["status"] == "failed"
    assert listed[failed["id"]]["failure_reason"] == failed["failure_reason"]

    answer = api.post(url, {"kind": KIND}, format="json")
    assert answer.status_code == 202
    ready = answer.json()
    assert (ready["id"], ready["number"], ready["status"]) == (failed["id"], failed["number"], "ready")
    assert ready["failure_reason"] is None and ready["error"] == "" and ready["download_url"]
    assert api.get(ready["download_url"]).status_code == 200
