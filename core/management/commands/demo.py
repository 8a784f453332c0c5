"""`manage.py demo`: seed a realistic data set and walk every module's machines through every path.

The story is told by one part per module (core/demo.py: the framework and core's people;
casework/demo.py, mediation/demo.py, ...), through the same services the admin, the API and the
flows use; only user accounts (with their profile and API token), which have no service, are
created directly.

The whole run is one transaction: if a service refuses a step, a part's check finds an object
outside its expected state, or the journal does not verify, the command fails (non-zero) and
nothing it wrote stays in the database. The PDFs are rendered after the commit, as the
application renders them.
"""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from rest_framework.authtoken.models import Token

from core import demo, journal
from core import demo_data as data
from core.errors import TransitionRefused
from core.models import Organisation
from core.roles import Role


class Command(BaseCommand):
    help = (
        "Seed a demo data set (users for every role, organisations, workers) and walk every module's "
        "machines through every path; run it on an empty database (`make demo` builds one)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default="demo-output",
            help="Folder for the documents the demo generates (created if missing). Default: demo-output/",
        )

    def handle(self, *args, output, **options):
        refuse_a_seeded_database()
        output_dir = Path(output).expanduser().resolve()
        output_dir.mkdir(parents=True, exist_ok=True)
        run = demo.DemoRun(stdout=self.stdout, style=self.style, output_dir=output_dir)

        emails = self.play_in_one_transaction(run)
        run.section("E-mail (held by the demo, not sent)")
        for email in emails:
            run.line(f"to {', '.join(email.to)}: {email.subject}")

        # Again after the commit: anything journaled by on-commit work is covered too.
        checked, broken = journal.verify()
        if broken:
            raise CommandError(f"Journal broken at {broken} ({checked} events before it verified).")
        run.section("Journal")
        run.line(self.style.SUCCESS(f"verified: {checked} events, hash chain intact"))
        self.print_sign_in(run)
        run.write_documents()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo complete: {run.promise()} is in its expected state."))

    def play_in_one_transaction(self, run) -> list:
        """Every phase up to the tables, all or nothing; the e-mails the run sent.

        The demo's addresses are *.example: every notification e-mail is held in memory (they go
        out when the transaction commits) and listed, rather than handed to whatever backend is
        configured (the console one would dump MIME)."""
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            try:
                with transaction.atomic():
                    run.play_story()
                    problems = run.problems()
                    run.play("print_table")
                    checked, broken = journal.verify()
                    if broken:
                        problems.append(f"journal broken at {broken} ({checked} events before it verified)")
                    if problems:
                        raise CommandError("Demo failed; nothing was saved:\n  " + "\n  ".join(problems))
            except demo.DemoFailed as exc:
                raise CommandError(f"Demo failed: {exc}; nothing was saved.") from exc
            except (ValidationError, PermissionDenied, TransitionRefused) as exc:
                raise CommandError(f"Demo failed: a service refused a step ({demo.refusal_message(exc)}); "
                                   "nothing was saved.") from exc
            return list(mail.outbox)

    def print_sign_in(self, run):
        run.section("Sign in")
        url = os.environ.get("DATABASE_URL")
        server = f"DATABASE_URL={url} python manage.py runserver" if url else "python manage.py runserver"
        run.line(f"start the server:  {server}   (`make run` serves the `make demo` database)")
        run.line("admin:             http://127.0.0.1:8000/admin/        (union staff and the superuser)")
        run.line("API docs:          http://127.0.0.1:8000/api/v1/docs/  (after signing in, or with the token below)")
        run.line(f"password for every account: {data.PASSWORD}")
        run.line("")
        run.line(f"{'username':<13} {demo.pad('role', 36)} {'admin':<6} API token")
        usernames = [account.username for account in run.accounts]
        tokens = dict(Token.objects.filter(user__username__in=usernames).values_list("user__username", "key"))
        for account in run.accounts:
            role = demo.pad(f"{account.role} {Role.LABELS[account.role]}", 36)
            run.line(f"{account.username:<13} {role} {'yes' if account.admin_site else 'no':<6} {tokens.get(account.username, '')}")
        run.line(f"{data.SUPERUSER:<13} {demo.pad('superuser (no role)', 36)} {'yes':<6}")


def refuse_a_seeded_database():
    """The demo runs once, on an empty database: its accounts and organisations would collide."""
    present = sorted(get_user_model().objects.filter(username__in=[*data.STAFF, data.SUPERUSER])
                     .values_list("username", flat=True))
    org_names = [spec["name"] for spec in data.ORGANISATIONS.values()]
    present_orgs = list(Organisation.objects.filter(name__in=org_names).values_list("name", flat=True))
    if present or present_orgs:
        found = ", ".join(present) if present else "、".join(present_orgs)
        raise CommandError(
            f"This database already holds demo data ({found}). The demo runs once, on an empty "
            "database: `make demo` recreates one, or point DATABASE_URL at a new database, "
            "run `manage.py migrate`, then `manage.py demo`."
        )
