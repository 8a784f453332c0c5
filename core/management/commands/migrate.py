"""Django's `migrate`, run as the database's owner when there are two roles (core/db_roles.py).

With `DATABASE_OWNER_URL` set (PostgreSQL), the migrations connect as the owner, and afterwards the
app's role (the user of `DATABASE_URL`) is granted exactly its privileges: every table read and
written, the journal only read and appended to, TRUNCATE nowhere. Otherwise this is Django's migrate.
"""

from django.core.management.commands import migrate
from django.db import connections

from core import db_roles


class Command(migrate.Command):
    help = (
        migrate.Command.help
        + " With DATABASE_OWNER_URL set: as that owner, then the app's role (DATABASE_URL) is granted its privileges."
    )

    def handle(self, *args, **options):
        alias = options["database"]
        if alias != "default" or not db_roles.separate_roles(alias):  # DATABASE_OWNER_URL is the default's owner
            return super().handle(*args, **options)
        app_role = connections[alias].settings_dict["USER"]
        with db_roles.connected_as(alias, db_roles.owner_settings()) as conn:
            super().handle(*args, **options)
            db_roles.grant_app_role(conn, app_role)
        if options["verbosity"] >= 1:
            self.stdout.write(f"Granted the app's role {app_role!r} its privileges (the journal: read and append only).")
