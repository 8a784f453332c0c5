"""Two database roles on PostgreSQL, so the app cannot rewrite its own journal (docs/journal.md).

- The **owner** owns every table: `manage.py migrate` connects as it (`DATABASE_OWNER_URL`).
- The **app role** is what the web, the workers and beat connect as (`DATABASE_URL`): it may read
  and write every table except the journal, which it may only read and append to (SELECT, INSERT),
  and it may TRUNCATE nothing. A session setting such as `SET pgtrigger.ignore = …` lifts the
  journal's triggers, not a privilege the role never had.

`migrate` (core/management/commands/migrate.py) runs as the owner when `DATABASE_OWNER_URL` is
set, then `grant_app_role()` (re)grants the app role its privileges: a table a migration created
is covered at once, and a privilege granted by hand in between is taken back. With no
`DATABASE_OWNER_URL`, or on SQLite, there is one role and everything works as before: the journal
is then protected by its triggers alone, which its owner can lift.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction

# The settings that say who connects and where to; NAME stays the connection's own (a test run
# renames it to test_…): the owner's URL names the same database as the app's.
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
JOURNAL_PRIVILEGES = "SELECT, INSERT"


def owner_settings() -> dict | None:
    """The owner's connection settings (`DATABASE_OWNER_URL`), or None when there is one role."""
    return getattr(settings, "DATABASE_OWNER", None) or None


def separate_roles(alias: str = "default") -> bool:
    owner = owner_settings()
    conn = connections[alias]
    return bool(owner) and conn.vendor == "postgresql" and owner.get("USER") != conn.settings_dict.get("USER")


@contextmanager
def connected_as(alias: str, credentials: dict):
    """Connection `alias` reconnects with `credentials` (USER, PASSWORD, …) for the block, then
    goes back to its own. Not inside a transaction: the connection is closed on the way in and out."""
    conn = connections[alias]
    if conn.in_atomic_block:
        raise RuntimeError("connected_as() closes the connection: not inside a transaction")
    saved = {key: conn.settings_dict.get(key) for key in CREDENTIALS}
    conn.close()
    conn.settings_dict.update({key: credentials[key] for key in CREDENTIALS if key in credentials})
    try:
        yield conn
    finally:
        conn.close()
        conn.settings_dict.update(saved)


def _journal_table() -> str:
    from .models import Event

    return Event._meta.db_table


def grant_app_role(connection, role: str) -> None:
    """Give `role` exactly the app's privileges on every table and sequence of the current schema.

    Run as the owner (after every migrate). Refuses a role that could do more anyway: a superuser,
    or a member of the role running this (the owner).
    """
    qn = connection.ops.quote_name
    journal = _journal_table()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, pg_has_role(rolname, current_user, 'MEMBER') FROM pg_roles WHERE rolname = %s", [role]
        )
        row = cursor.fetchone()
        if row is None:
            raise ImproperlyConfigured(f"The app's database role {role!r} does not exist (docs/journal.md)")
        if row[0] or row[1]:
            raise ImproperlyConfigured(
                f"The app's database role {role!r} is a superuser or a member of the owner: it could rewrite "
                "the journal. Connect the app as a plain role (docs/journal.md)."
            )
        cursor.execute("SELECT current_schema(), pg_get_serial_sequence(%s, 'id')", [journal])
        schema, journal_sequence = cursor.fetchone()
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s AND tableowner = %s", [schema, role])
        owned = [name for (name,) in cursor.fetchall()]
        if owned:
            raise ImproperlyConfigured(
                f"The app's database role {role!r} owns {len(owned)} table(s) ({', '.join(sorted(owned)[:5])}…): an owner "
                f"may lift any privilege or trigger. Hand them to the owner first (as a superuser: "
                f"REASSIGN OWNED BY {role} TO <owner>; docs/journal.md)."
            )
        schema, role_q = qn(schema), qn(role)
        for sql in (
            # From nothing: whatever was granted by hand before goes.
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role_q}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role_q}",
            f"GRANT USAGE ON SCHEMA {schema} TO {role_q}",
            f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {role_q}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role_q}",
            # Tables the owner creates before the next grant (a migration run by hand) start the same way.
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {role_q}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role_q}",
        ):
            cursor.execute(sql)
        if journal_sequence:
            # Appending draws ids (USAGE); moving the journal's sequence (setval) is not the app's business.
            cursor.execute(f"REVOKE UPDATE ON SEQUENCE {journal_sequence} FROM {role_q}")
        cursor.execute(f"REVOKE {APP_TABLE_PRIVILEGES} ON {qn(journal)} FROM {role_q}")
        cursor.execute(f"GRANT {JOURNAL_PRIVILEGES} ON {qn(journal)} TO {role_q}")


def create_login_role(connection, role: str) -> bool:
    """Create `role` (LOGIN, nothing else) if it does not exist; True if it was created. For the
    test suite and first set-ups: a deployment creates its role with a password of its own."""
    from psycopg import errors

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone():
            return False
        try:
            cursor.execute(f"CREATE ROLE {connection.ops.quote_name(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        except Exception as exc:  # created meanwhile by a parallel run (roles are the cluster's)
            if not isinstance(getattr(exc, "__cause__", None), errors.DuplicateObject):
                raise
            return False
    return True
