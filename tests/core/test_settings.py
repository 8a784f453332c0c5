"""Settings fail fast: a deployment cannot start on the published development keys, and with its
production variables `manage.py check --deploy` has nothing to say (config/settings.py)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE",
                         "DJANGO_ALLOW_ASYNC_UNSAFE")  # (set by pytest-playwright for the live server)
            and not k.startswith("SECURE_") and not k.endswith("_COOKIE_SECURE")}
    base.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": "sqlite:///:memory:",
                 "CELERY_BROKER_URL": "", **env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=120)


def real_keys():
    return {"SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(32)}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY"])
def test_debug_off_without_a_key_stops_start_up(missing):
    env = {**real_keys(), "DEBUG": "false"}
    del env[missing]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"{missing} is the published development value" in result.stderr


def test_debug_off_with_an_empty_key_stops_start_up():
    result = manage("check", **{**real_keys(), "DEBUG": "false", "FIELD_ENCRYPTION_KEY": ""})
    assert result.returncode != 0 and "FIELD_ENCRYPTION_KEY is empty" in result.stderr


def test_development_runs_with_no_variables_set():
    result = manage("check", DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_with_production_variables_prints_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    **real_keys(), DEBUG="false", ALLOWED_HOSTS="weiquan.example.org")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_security_settings_come_from_the_environment():
    code = ("from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)")
    result = manage("shell", "-v", "0", "-c", code, **real_keys(), DEBUG="false")
    assert result.stdout.split() == ["True", "True", "True", "3600"], result.stderr
    behind_proxy = manage("shell", "-v", "0", "-c", code, **real_keys(), DEBUG="false", SECURE_SSL_REDIRECT="false",
                          SECURE_HSTS_SECONDS="31536000")
    assert behind_proxy.stdout.split() == ["False", "True", "True", "31536000"], behind_proxy.stderr
