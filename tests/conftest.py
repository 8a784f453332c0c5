import os

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
    settings.JOURNAL_CHECKPOINT_FILE = tmp_path / "journal-checkpoint.json"
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


# --------------------------------------------------------------------------------------------------
# The database on PostgreSQL: two roles, as a deployment has them (docs/journal.md)
# --------------------------------------------------------------------------------------------------
# The role DATABASE_URL names creates the test database and runs the migrations: the owner. The
# suite then connects as the app's role (created if missing: LOGIN, no password, for a server that
# trusts local connections, as CI's and a development machine's do), granted exactly what
# core.db_roles gives it: the journal only read and appended to. WEIQUAN_TEST_APP_ROLE=off keeps
# the owner's connection throughout.
APP_ROLE = os.environ.get("WEIQUAN_TEST_APP_ROLE", "weiquan_app")
_OWNER = {}  # the owner's connection settings, while the suite connects as the app's role


def _owner_connect():
    import psycopg

    params = {"dbname": _OWNER["NAME"], "user": _OWNER["USER"], "password": _OWNER["PASSWORD"] or None,
              "host": _OWNER["HOST"] or None, "port": _OWNER["PORT"] or None}
    # OPTIONS' libpq parameters (sslmode, …); Django's own keys are not psycopg's.
    django_only = {"isolation_level", "server_side_binding", "pool", "assume_role", "cursor_factory", "context"}
    params.update({k: v for k, v in (_OWNER["OPTIONS"] or {}).items() if k not in django_only})
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None})


def _ignoring(*trigger_names):
    """The value of `pgtrigger.ignore` that lifts these triggers of the journal (what
    pgtrigger.ignore() sets)."""
    import pgtrigger

    from core.models import Event

    ids = []
    for name in trigger_names:
        (_model, trigger), = pgtrigger.registry.registered(f"core.Event:{name}")
        pgid = trigger.get_pgid(Event)
        ids += [f"{Event._meta.db_table}:{pgid}", pgid]
    return "{" + ",".join(ids) + "}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connections
    from django.db.backends.postgresql.operations import DatabaseOperations

    from core import db_roles

    conn = connections["default"]
    if conn.vendor != "postgresql":
        yield
        return
    real_flush = DatabaseOperations.execute_sql_flush

    def flush(ops, sql_list):
        # A transactional test's flush TRUNCATEs every table: the owner's work, past the journal's
        # TRUNCATE trigger; the app's role may TRUNCATE nothing.
        if not _OWNER:
            import pgtrigger

            with pgtrigger.ignore("core.Event:journal_refuses_truncate"):
                return real_flush(ops, sql_list)
        with _owner_connect() as owner:  # one transaction, committed on leaving
            owner.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [_ignoring("journal_refuses_truncate")])
            for sql in sql_list:
                owner.execute(sql)

    DatabaseOperations.execute_sql_flush = flush
    switched = APP_ROLE.lower() not in {"off", "", "0", "no"}
    if switched:
        with django_db_blocker.unblock():
            db_roles.create_login_role(conn, APP_ROLE)
            db_roles.grant_app_role(conn, APP_ROLE)
        _OWNER.update({key: conn.settings_dict.get(key) for key in ("NAME", *db_roles.CREDENTIALS)})
        app = db_roles.connected_as("default", {"USER": APP_ROLE, "PASSWORD": ""})
        app.__enter__()
    try:
        yield
    finally:
        if switched:
            app.__exit__(None, None, None)  # back to the owner, who drops the test database
            _OWNER.clear()
        DatabaseOperations.execute_sql_flush = real_flush


class OwnerSession:
    """SQL run as the database's owner on a connection of its own, each statement committed: what
    someone holding the owner's password can do. `past=` names journal triggers to lift for the
    statement (pgtrigger.ignore's session setting: the owner's to use, as the owner can also
    disable a trigger outright)."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, sql, params=(), *, past=()):
        try:
            if past:
                self.connection.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [_ignoring(*past)])
            rows = self.connection.execute(sql, params or None)
            result = rows.fetchall() if rows.description else None
        except BaseException:
            self.connection.rollback()
            raise
        self.connection.commit()
        return result


@pytest.fixture
def database_owner():
    """An OwnerSession on PostgreSQL while the suite connects as the app's role, else None. It sees
    only committed rows, so a test using it is transactional."""
    if not _OWNER:
        yield None
        return
    with _owner_connect() as owner:
        yield OwnerSession(owner)


@pytest.fixture
def owner_credentials():
    """The owner's connection settings (NAME, USER, PASSWORD, …) while the suite is the app's role, else None."""
    return dict(_OWNER) if _OWNER else None


@pytest.fixture
def app_role():
    """The role the suite connects as on PostgreSQL, or None when it is the owner's."""
    return APP_ROLE if _OWNER else None
