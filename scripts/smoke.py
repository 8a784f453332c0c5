"""The production run, end to end (`make smoke`; CI runs it after `make test`).

On PostgreSQL, in a database of its own (created here, dropped at the end whatever happens):
migrate, one intake officer, `collectstatic` into a temporary folder, then gunicorn with
config/gunicorn.py and production settings — DEBUG off, freshly generated SECRET_KEY and
FIELD_ENCRYPTION_KEY, ALLOWED_HOSTS, and every security default left as it is (SSL redirect, secure
cookies, HSTS). Each request carries `X-Forwarded-Proto: https`, as the TLS-terminating proxy of a
deployment sends it (gunicorn trusts it from 127.0.0.1: FORWARDED_ALLOW_IPS). Then, as a person and a
client would:

  1. plain HTTP without the proxy's header is redirected to HTTPS;
  2. sign in through the form (its CSRF token and cookie);
  3. a page of the web interface: styled (its CSS from WhiteNoise: 200, text/css, hashed name,
     cached for good), with the Content-Security-Policy and `Cache-Control: no-store`;
  4. the API: a token for user name and password, then register a worker and a company, open a
     case for them, read the case and the worker back (the ID number masked), each response
     `no-store` with the policy.

Celery runs tasks eagerly in the web process (no broker): this checks the web process; the
worker and beat are separate processes (README.md, "Running in production").

    .venv/bin/python scripts/smoke.py            # PostgreSQL at postgres://postgres@127.0.0.1:5432
    WEIQUAN_SMOKE_POSTGRES=postgres://user:pw@host:5432 .venv/bin/python scripts/smoke.py

Exit 0 when every check passed; 1 with the failed check (and gunicorn's log) otherwise.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from server_process import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
SERVER = os.environ.get("WEIQUAN_SMOKE_POSTGRES", "postgres://postgres@127.0.0.1:5432").rstrip("/")
START_TIMEOUT = float(os.environ.get("WEIQUAN_SMOKE_START_TIMEOUT", "90"))  # seconds; a busy machine is slow
REQUEST_TIMEOUT = 60
USERNAME, PASSWORD = "smoke.intake", secrets.token_urlsafe(16)


class Failed(Exception):
    pass


def say(text: str) -> None:
    print(f"smoke: {text}", flush=True)


def check(condition, what: str, detail: object = "") -> None:
    """Say `what` when it holds; fail with `what` and `detail` (a response body) when not."""
    if not condition:
        raise Failed(f"{what} {detail}".rstrip())
    say(f"ok  {what}")


# --- the database -----------------------------------------------------------------------------------


def admin_connection():
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)


def create_database(name: str) -> None:
    with admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the server -------------------------------------------------------------------------------------




def production_env(database: str, static_root: str, media_root: str, port: int) -> dict:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "SECURE_", "WEIQUAN_", "GUNICORN_", "AXES_"))
            and not k.endswith("_COOKIE_SECURE")
            and k not in ("DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "CELERY_BROKER_URL",
                          "CELERY_RESULT_BACKEND", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS")}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{SERVER}/{database}",
        "CELERY_BROKER_URL": "",
        "STATIC_ROOT": static_root,
        "MEDIA_ROOT": media_root,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict, *args: str, timeout: float = 600) -> str:
    result = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise Failed(f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from core import identifiers
from core.models import StaffProfile
user = get_user_model().objects.create_user(username={username!r}, password={password!r}, first_name="冒烟")
user.groups.add(Group.objects.get(name="intake_officer"))
StaffProfile.objects.create(user=user)
first17 = "35020319900101123"
code17 = "91350200MA0000001"
print(json.dumps({{"id_number": first17 + identifiers.resident_id_check_char(first17),
                   "credit_code": code17 + identifiers.credit_code_check_char(code17)}}))
"""






# --- the client -------------------------------------------------------------------------------------


class Client:
    """HTTP to 127.0.0.1:port as the TLS proxy forwards it: cookies kept by hand (they are Secure)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.origin = f"https://127.0.0.1:{port}"

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                proxy: bool = True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        sent = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "zh-hans", **(headers or {})}
        if proxy:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response, data

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post_form(self, path: str, fields: dict, *, referer: str):
        return self.request("POST", path, body=urlencode(fields).encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Referer": referer, "Origin": self.origin})

    def api(self, method: str, path: str, token: str | None = None, payload: dict | None = None):
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        body = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        saved, self.cookies = self.cookies, {}  # a client of the API, not the signed-in browser
        try:
            response, data = self.request(method, path, body=body, headers=headers)
        finally:
            self.cookies = saved
        return response, (json.loads(data) if data else None)


def private(response) -> bool:
    return "no-store" in (response.headers.get("Cache-Control") or "")


def policy(response) -> str:
    return response.headers.get("Content-Security-Policy") or ""


def strict(csp: str) -> bool:
    """default-src and script-src 'self' only: no inline script, no eval, no other origin."""
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    return directives.get("default-src") == ["'self'"] and directives.get("script-src") == ["'self'"]


# --- the walk ---------------------------------------------------------------------------------------


def walk(client: Client, facts: dict) -> None:
    response, _ = client.get("/accounts/login/", proxy=False)
    check(response.status == 301 and response.headers["Location"].startswith("https://"),
          f"plain HTTP is redirected to HTTPS ({response.status} → {response.headers.get('Location')})")

    response, html = client.get("/accounts/login/")
    check(response.status == 200, f"sign-in page: {response.status}")
    check("Strict-Transport-Security" in response.headers, "HSTS on HTTPS")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    check(token and "csrftoken" in client.cookies, "sign-in form has its CSRF token and cookie")
    response, _ = client.post_form("/accounts/login/", {
        "csrfmiddlewaretoken": token.group(1).decode(), "username": USERNAME, "password": PASSWORD, "next": "/",
    }, referer=f"{client.origin}/accounts/login/")
    check(response.status == 302 and "sessionid" in client.cookies,
          f"signed in through the form ({response.status} → {response.headers.get('Location')})")

    response, html = client.get("/")
    path = "/"
    while response.status in (301, 302):
        location = urlsplit(urljoin(path, response.headers["Location"]))
        path = location.path + (f"?{location.query}" if location.query else "")
        response, html = client.get(path)
    check(response.status == 200 and "冒烟".encode() in html, f"the web interface, signed in: {path} {response.status}")
    check(strict(policy(response)), f"page CSP: {policy(response)}")
    check(private(response), f"page Cache-Control: {response.headers.get('Cache-Control')}")
    check(response.headers.get("X-Content-Type-Options") == "nosniff"
          and response.headers.get("X-Frame-Options") == "DENY"
          and response.headers.get("Referrer-Policy") == "same-origin"
          and "camera=()" in (response.headers.get("Permissions-Policy") or ""),
          "nosniff, X-Frame-Options, Referrer-Policy, Permissions-Policy")
    sheets = re.findall(rb'<link href="(/static/[^"]+\.css)" rel="stylesheet"', html)
    ours = [s.decode() for s in sheets if b"/static/ui/weiquan." in s]
    check(ours and re.fullmatch(r"/static/ui/weiquan\.[0-9a-f]{12}\.css", ours[0]),
          f"the page links the project's stylesheet under its hashed name ({ours[:1]})")
    for sheet in [ours[0], *[s.decode() for s in sheets if s.decode() != ours[0]]]:
        response, css = client.get(sheet, headers={"Accept-Encoding": "gzip"})
        check(response.status == 200 and response.headers.get("Content-Type", "").startswith("text/css")
              and "immutable" in (response.headers.get("Cache-Control") or "") and len(css) > 100,
              f"{sheet}: {response.status} {response.headers.get('Content-Type')}, "
              f"{response.headers.get('Content-Encoding', 'identity')}, {response.headers.get('Cache-Control')}")

    scripts = [x.decode() for x in re.findall(rb'<script src="(/static/ui/[^"]+\.js)"', html)]
    check(scripts, "the page links the project's scripts", html[:2000])
    for script in scripts:
        response, js = client.get(script)
        check(response.status == 200 and "javascript" in response.headers.get("Content-Type", "") and js,
              f"{script}: {response.status} {response.headers.get('Content-Type')}")

    response, body = client.api("POST", "/api/v1/auth/token/", payload={"username": USERNAME, "password": PASSWORD})
    check(response.status == 200 and body.get("token"), f"API token for user name and password: {response.status}")
    check(private(response) and strict(policy(response)), "the token's response: no-store, CSP")
    token = body["token"]
    response, worker = client.api("POST", "/api/v1/workers/", token, {
        "name": "冒烟测试骑手", "id_number": facts["id_number"], "occupation": "rider", "phone": "13800138000"})
    check(response.status == 201, f"POST /api/v1/workers/: {response.status}", worker)
    response, company = client.api("POST", "/api/v1/organisations/", token, {
        "name": "冒烟测试配送有限公司", "kind": "platform", "credit_code": facts["credit_code"]})
    check(response.status == 201, f"POST /api/v1/organisations/: {response.status}", company)
    response, case = client.api("POST", "/api/v1/cases/", token, {
        "title": "拖欠配送费", "channel": "walk_in", "claimants": [worker["id"]], "respondents": [company["id"]],
        "categories": ["unpaid_pay"]})
    check(response.status == 201, f"POST /api/v1/cases/: {response.status}, {case.get('number')}", case)
    response, read = client.api("GET", f"/api/v1/cases/{case['id']}/", token)
    check(response.status == 200 and read["id"] == case["id"] and read["state"] == "received",
          f"GET /api/v1/cases/{case['id']}/: {response.status}, state {read.get('state')}, number {read.get('number')}")
    check(private(response) and strict(policy(response)),
          f"the case's response: Cache-Control {response.headers.get('Cache-Control')}, CSP")
    response, person = client.api("GET", f"/api/v1/workers/{worker['id']}/", token)
    check(response.status == 200 and facts["id_number"] not in json.dumps(person)
          and person.get("id_number_masked", "").startswith(facts["id_number"][:2]),
          f"GET /api/v1/workers/{worker['id']}/: {response.status}, ID number masked "
          f"({person.get('id_number_masked')}), no-store: {private(response)}")
    check(private(response), "the worker's response: no-store")


def main() -> int:
    database = f"weiquan_smoke_{os.getpid()}_{secrets.token_hex(3)}"
    workdir = tempfile.mkdtemp(prefix="weiquan-smoke-")
    process = log = None
    created = False
    # `kill` (CI's time-out, a supervisor) still drops the database and stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    try:
        create_database(database)
        created = True
        port = free_port()
        env = production_env(database, f"{workdir}/static", f"{workdir}/media", port)
        say(f"database {database} on {SERVER}; DEBUG=false, generated keys, port {port}")
        manage(env, "migrate", "--no-input", "-v", "0")
        say("migrated")
        facts = json.loads(manage(env, "shell", "-v", "0", "-c",
                                  SETUP.format(username=USERNAME, password=PASSWORD)).strip().splitlines()[-1])
        out = manage(env, "collectstatic", "--no-input")
        say(f"collectstatic: {out.strip().splitlines()[-1]}")
        manage(env, "check", "--deploy", "--fail-level", "WARNING")
        say("check --deploy: no issues")
        log = open(f"{workdir}/gunicorn.log", "w+")
        process = subprocess.Popen([PY, "-m", "gunicorn", "-c", "config/gunicorn.py"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        say(f"gunicorn answered after {wait_for_port(port, process, timeout=START_TIMEOUT, error=Failed):.1f} s (pid {process.pid})")
        walk(Client(port), facts)
        stop(process)
        check(process.returncode == 0, f"gunicorn stopped cleanly (exit {process.returncode})")
        say(f"passed in {time.monotonic() - started:.0f} s")
        return 0
    except (Failed, subprocess.TimeoutExpired, OSError) as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        if log is not None:
            log.flush()
            log.seek(0)
            print("smoke: gunicorn's log:\n" + log.read()[-8000:], file=sys.stderr, flush=True)
        return 1
    finally:
        stop(process)
        if log is not None:
            log.close()
        if created:
            try:
                drop_database(database)
                say(f"dropped {database}")
            except Exception as exc:  # noqa: BLE001 - say so, but the result stands
                print(f"smoke: could not drop {database}: {exc}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
