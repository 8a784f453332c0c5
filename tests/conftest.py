import pytest
from django.db import connection

from core import legal_calendar


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    # The holiday cache is per process; a test that edits CalendarDay must not leak into the next.
    legal_calendar.clear_cache()
    yield
    legal_calendar.clear_cache()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Scenario helpers create many users; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need row locks and triggers; on the SQLite fallback they are skipped
    with that reason (CI runs them on PostgreSQL)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tasks run in the test's own process and transaction, unless the test starts a real worker.

    With a broker configured (CI), settings turn eager mode off for the whole app; a test that
    expects a rendered document must not depend on a worker nobody started.
    """
    from config.celery import app

    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"
