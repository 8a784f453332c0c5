"""The production run's headers and configuration (README.md, "Running in production").

Every page and API response carries the Content-Security-Policy (everything from this site, no
inline script, no eval) and `Cache-Control: private, no-store` (personal data stays out of browser
and proxy caches); no template of ours or of the pages we serve writes an inline script the policy
would block. scripts/smoke.py checks the same through gunicorn, with collected static files.
"""

import os
import re
import runpy
import secrets
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from core.roles import Role
from tests.core.test_settings import manage
from tests.scenarios import make_case, make_user

ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict_policy(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"], "scripts from this site only: no inline script, no eval"
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    # No directive names another origin (the site uses no CDN); data: only for images.
    for name, sources in policy.items():
        for source in sources:
            assert source.startswith("'") or (name == "img-src" and source == "data:"), (name, source)


def assert_no_store(response):
    cache_control = {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= cache_control, response.headers.get("Cache-Control")


def inline_scripts(html: str) -> list[str]:
    """The <script> elements a browser would run that have no src (data blocks are not run)."""
    found = []
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I):
        kind = re.search(r'type="([^"]+)"', attrs)
        if "src=" in attrs or (kind and kind.group(1) not in ("text/javascript", "module")):
            continue
        found.append(body.strip()[:80])
    return found


def assert_no_inline_script(response):
    html = response.content.decode()
    assert not inline_scripts(html), inline_scripts(html)
    handlers = re.findall(r"<[^>]+\son(?:click|load|change|submit|input)=", html)
    assert not handlers, handlers


@pytest.fixture
def officer(db):
    return make_user(Role.INTAKE_OFFICER)


@pytest.mark.django_db
def test_the_sign_in_page_has_the_policy_and_the_other_headers(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_strict_policy(response)
    assert_no_store(response)
    assert_no_inline_script(response)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_a_staff_page_with_personal_data_is_not_stored(client, officer):
    case = make_case()
    client.force_login(officer)
    for path in ("/work/inbox/", "/casework/cases/", f"/casework/cases/{case.pk}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_strict_policy(response)
        assert_no_store(response)
        assert_no_inline_script(response)


def test_pages_load_no_script_they_do_not_use(client, officer):
    """viewflow's shell loads vis-network (400 KB) for graphs no page of ours draws."""
    client.force_login(officer)
    for path in ("/work/inbox/", "/casework/cases/"):
        html = client.get(path).content.decode()
        assert "viewflow/js/viewflow" in html and "vis-network" not in html, path


def test_every_api_response_is_no_store_with_the_policy(officer):
    api = APIClient()
    anonymous = api.get("/api/v1/me/")
    assert anonymous.status_code == 401
    assert_no_store(anonymous)
    assert_strict_policy(anonymous)
    api.force_authenticate(officer)
    for path in ("/api/v1/me/", "/api/v1/cases/", "/api/v1/workers/", "/api/v1/schema/"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert_no_store(response)
        assert_strict_policy(response)


def test_the_api_is_no_store_even_when_a_view_asks_for_caching(officer, monkeypatch):
    from django.utils.cache import patch_cache_control
    from rest_framework.response import Response

    from core import api_extras

    def cached(self, request):
        response = Response({"user": request.user.username})
        patch_cache_control(response, public=True, max_age=3600)
        return response

    monkeypatch.setattr(api_extras.MeView, "get", cached)
    api = APIClient()
    api.force_authenticate(officer)
    response = api.get("/api/v1/me/")
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_api_docs_run_no_inline_script(client, officer):
    client.force_login(officer)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert_strict_policy(page)
    assert_no_inline_script(page)
    script_url = re.search(r'<script src="(/api/v1/docs/\?[^"]*script[^"]*)"', page.content.decode())
    assert script_url, "Swagger UI's set-up script is served from its own URL"
    script = client.get(script_url.group(1).replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_static_files_are_served_by_whitenoise(client):
    response = client.get("/static/ui/weiquan.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "Content-Security-Policy" not in response.headers  # answered before the rest of the stack
    assert b"".join(response.streaming_content)


def test_production_hashes_and_compresses_static_files():
    code = "from django.conf import settings as s; print(s.STORAGES['staticfiles']['BACKEND'], s.DEBUG)"
    keys = {"SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(32)}
    production = manage("shell", "-v", "0", "-c", code, **keys, DEBUG="false")
    assert production.stdout.split() == ["whitenoise.storage.CompressedManifestStaticFilesStorage", "False"], \
        production.stderr
    development = manage("shell", "-v", "0", "-c", code, DEBUG="true")
    assert development.stdout.split() == ["django.contrib.staticfiles.storage.StaticFilesStorage", "True"], \
        development.stderr


def test_the_gunicorn_configuration_reads_the_environment(monkeypatch):
    for name in [k for k in os.environ if k.startswith("GUNICORN_")] + ["FORWARDED_ALLOW_IPS"]:
        monkeypatch.delenv(name, raising=False)
    defaults = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    assert defaults["wsgi_app"] == "config.wsgi:application"
    assert defaults["bind"] == ["127.0.0.1:8000"]
    assert 3 <= defaults["workers"] <= 9
    assert defaults["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert defaults["accesslog"] == "-" and defaults["errorlog"] == "-"
    assert defaults["control_socket_disable"] is True
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9000")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "120")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.2")
    configured = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    assert (configured["bind"], configured["workers"], configured["timeout"], configured["forwarded_allow_ips"]) == (
        ["127.0.0.1:9000"], 3, 120, "10.0.0.2")
