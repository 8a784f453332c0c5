"""The API fuzzed against its own OpenAPI schema (`make fuzz-api`; CI runs it).

In a scratch database of its own (PostgreSQL `weiquan_fuzz_<pid>_…` when PostgreSQL answers, as the
rest of the test tooling prefers; else an SQLite file in a temporary folder): migrate, `manage.py
demo` (every role's account with its API token, and every machine walked through its paths, so
there are objects in every state to fuzz), then gunicorn (config/gunicorn.py) on a free port with
the throttles raised, and `schemathesis run --checks all` against /api/v1/schema/ with a bounded
number of examples per operation, once as the supervisor (zheng.li: sees and may do the most) and
once as a company contact (liu.yang: the outside user, sees little, refused most). The server is
stopped and the database dropped whatever happens (also on SIGTERM).

Excluded, and why:
  - DELETE /api/v1/auth/token/ revokes the token the fuzzer signs in with: every request after it
    would be a 401 (it is covered by tests/core/test_api_extras*.py).
  - POST /api/v1/auth/token/ takes user names and passwords: the fuzzer would lock the demo
    accounts out (django-axes) and finds nothing a test does not (tests/core/).
Everything else is fuzzed, the multipart uploads too (schemathesis generates multipart bodies).

    .venv/bin/python scripts/fuzz_api.py                       # both runs
    WEIQUAN_FUZZ_EXAMPLES=20 .venv/bin/python scripts/fuzz_api.py --role supervisor
    .venv/bin/python scripts/fuzz_api.py -- --include-path-regex '/cases/'   # extra schemathesis args

Settings (environment):
  WEIQUAN_FUZZ_POSTGRES   server URL without a database (postgres://postgres@127.0.0.1:5432), or "off"
  WEIQUAN_FUZZ_EXAMPLES   examples per operation and phase (default 5)
  WEIQUAN_FUZZ_SEED       schemathesis' seed (default fixed, so CI's run is repeatable)
  WEIQUAN_FUZZ_REPORT     folder for the JUnit reports and the server's log (default: a temporary
                          one, kept only when a run failed)

Exit 0 when schemathesis found nothing in every run; 1 otherwise (its report says what, and the
server's log is printed); 3 when the set-up failed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from server_process import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SCHEMATHESIS = str(Path(PY).with_name("schemathesis"))
POSTGRES = os.environ.get("WEIQUAN_FUZZ_POSTGRES", "postgres://postgres@127.0.0.1:5432").rstrip("/")
EXAMPLES = int(os.environ.get("WEIQUAN_FUZZ_EXAMPLES", "5"))
SEED = os.environ.get("WEIQUAN_FUZZ_SEED", "20261201")
START_TIMEOUT = 90  # seconds; a busy machine is slow
HIGH = "1000000/minute"

# The demo's accounts (core/demo_data.py STAFF) the runs sign in as.
ROLES = {"supervisor": "zheng.li", "company_contact": "liu.yang"}

# Both operations of /api/v1/auth/token/ (see the docstring): DELETE revokes the fuzzer's own token,
# POST guesses passwords.
EXCLUDED_PATHS = ["/api/v1/auth/token/"]
CONFIG = ROOT / "scripts" / "fuzz_api.toml"


class SetupFailed(Exception):
    pass


def say(text: str) -> None:
    print(f"fuzz-api: {text}", flush=True)


# --- the database -----------------------------------------------------------------------------------


def postgres_answers() -> bool:
    if POSTGRES.lower() == "off":
        return False
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "use SQLite"
        return False


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


# --- the server -------------------------------------------------------------------------------------




def server_env(database_url: str, workdir: str, port: int) -> dict:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "WEIQUAN_THROTTLE_", "GUNICORN_", "AXES_"))
            and k not in ("DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "MEDIA_ROOT")}
    return {
        **keep,
        # Development settings (DEBUG, the published development keys): the fuzzer speaks plain HTTP.
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url,
        # Eager Celery: a document asked for is rendered in the request, as in the test suite.
        "CELERY_BROKER_URL": "",
        "MEDIA_ROOT": f"{workdir}/media",
        # The fuzzer sends thousands of requests a minute from one address with one token.
        "WEIQUAN_THROTTLE_ANON": HIGH,
        "WEIQUAN_THROTTLE_USER": HIGH,
        "WEIQUAN_THROTTLE_IDENTITY_LOOKUP": HIGH,
        "WEIQUAN_THROTTLE_VERIFY": HIGH,
        "AXES_FAILURE_LIMIT": "1000000",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_TIMEOUT": "120",
        "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict, *args: str, timeout: float = 900) -> str:
    result = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise SetupFailed(f"manage.py {' '.join(args)} exited {result.returncode}:\n"
                          f"{result.stdout[-4000:]}{result.stderr[-4000:]}")
    return result.stdout


TOKENS = """
import json
from rest_framework.authtoken.models import Token
print(json.dumps(dict(Token.objects.filter(user__username__in={names!r}).values_list("user__username", "key"))))
"""






# --- the fuzzer -------------------------------------------------------------------------------------


def exclusions() -> list[str]:
    return [arg for path in EXCLUDED_PATHS for arg in ("--exclude-path", path)]


def still_signed_in(port: int, token: str) -> bool:
    """The token still works after the run: a run that lost it would have seen only 401s."""
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/me/",
                                     headers={"Authorization": f"Token {token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200
    except OSError:
        return False


def fuzz(port: int, role: str, token: str, report_dir: Path, extra: list[str]) -> int:
    command = [
        SCHEMATHESIS, "--config-file", str(CONFIG), "run", f"http://127.0.0.1:{port}/api/v1/schema/",
        "--checks", "all",
        "--header", f"Authorization: Token {token}",
        "--max-examples", str(EXAMPLES),
        "--seed", SEED,
        "--generation-database", "none",
        "--workers", "2",
        "--request-timeout", "60",
        "--no-color",
        "--report", "junit",
        "--report-junit-path", str(report_dir / f"junit-{role}.xml"),
        *exclusions(),
        *extra,
    ]
    say(f"schemathesis as {role} ({ROLES[role]}), {EXAMPLES} examples per operation, seed {SEED}")
    started = time.monotonic()
    result = subprocess.run(command, cwd=report_dir, env={**os.environ, "NO_COLOR": "1"})
    say(f"schemathesis as {role}: exit {result.returncode} after {time.monotonic() - started:.0f} s")
    if not still_signed_in(port, token):
        say(f"FAILED: the {role}'s token no longer signs in after the run")
        return 1
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=[*ROLES, "all"], default="all")
    parser.add_argument("extra", nargs="*", help="passed on to `schemathesis run` (after --)")
    options = parser.parse_args()
    roles = list(ROLES) if options.role == "all" else [options.role]

    workdir = tempfile.mkdtemp(prefix="weiquan-fuzz-")
    keep_report = bool(os.environ.get("WEIQUAN_FUZZ_REPORT"))
    report_dir = Path(os.environ.get("WEIQUAN_FUZZ_REPORT") or tempfile.mkdtemp(prefix="weiquan-fuzz-report-")).resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    database = None
    process = log = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    failed = []
    try:
        if postgres_answers():
            database = f"weiquan_fuzz_{os.getpid()}_{secrets.token_hex(3)}"
            admin(f'CREATE DATABASE "{database}"')
            database_url = f"{POSTGRES}/{database}"
        else:
            database_url = f"sqlite:///{workdir}/fuzz.sqlite3"
        port = free_port()
        env = server_env(database_url, workdir, port)
        say(f"database {database_url}; port {port}; throttles raised")
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "demo", "--output", f"{workdir}/demo-output")
        tokens = json.loads(manage(env, "shell", "-v", "0", "-c", TOKENS.format(names=list(ROLES.values())))
                            .strip().splitlines()[-1])
        say(f"migrated, demo data loaded ({time.monotonic() - started:.0f} s)")
        log = open(report_dir / "server.log", "w+")
        process = subprocess.Popen([PY, "-m", "gunicorn", "-c", "config/gunicorn.py"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        say(f"gunicorn answered after {wait_for_port(port, process, timeout=START_TIMEOUT, error=SetupFailed):.1f} s (pid {process.pid})")
        for role in roles:
            if fuzz(port, role, tokens[ROLES[role]], report_dir, options.extra) != 0:
                failed.append(role)
        if failed:
            log.flush()
            log.seek(0)
            say("the server's log (last 8000 characters):\n" + log.read()[-8000:])
            say(f"FAILED as {', '.join(failed)} ({time.monotonic() - started:.0f} s); reports in {report_dir}")
            return 1
        say(f"passed in {time.monotonic() - started:.0f} s")
        return 0
    except (SetupFailed, subprocess.TimeoutExpired, OSError) as exc:
        print(f"fuzz-api: set-up FAILED: {exc}", file=sys.stderr, flush=True)
        return 3
    finally:
        stop(process)
        if log is not None:
            log.close()
        if database:
            try:
                admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - say so, but the result stands
                print(f"fuzz-api: could not drop {database}: {exc}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
        if not failed and not keep_report:
            shutil.rmtree(report_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
