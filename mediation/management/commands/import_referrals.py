"""`manage.py import_referrals FILE --court 厦门市思明区人民法院`: import a court's referral list.

CSV or JSON, UTF-8 or GBK (detected). Prints a progress line while it works, then the per-row
report: created, duplicate, refused with reasons. Importing the same list again creates nothing.
"""

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.models import Organisation
from mediation import importers
from mediation.models import Source


class Command(BaseCommand):
    help = "Import a court's list of referrals (CSV or JSON, UTF-8 or GBK); idempotent on (court, court case number)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV or JSON file.")
        parser.add_argument("--court", help="The court whose list this is (name or id), for rows that name none.")
        parser.add_argument("--source", choices=Source.values, help="Referral type for rows that give none.")
        parser.add_argument("--as-user", dest="username",
                            help="Who imports (a mediator, supervisor or the court's liaison); default: the first active supervisor.")
        parser.add_argument("--batch-size", type=int, default=importers.BATCH_SIZE)
        parser.add_argument("--quiet-rows", action="store_true", help="Print refused and duplicate rows only.")

    def handle(self, *args, file, court, source, username, batch_size, quiet_rows, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        actor = self._actor(username)
        court_obj = None
        if court:
            qs = Organisation.objects.filter(kind=Organisation.Kind.COURT)
            court_obj = (qs.filter(pk=int(court)).first() if court.isdigit() else qs.filter(name=court.strip()).first())
            if court_obj is None:
                raise CommandError(f"Unknown court: {court} (register it first)")
        started = time.monotonic()
        tty = self.stdout.isatty() if hasattr(self.stdout, "isatty") else False

        def progress(done, total, report):
            rate = done / max(time.monotonic() - started, 1e-6)
            pct = 100 * done // total if total else 100
            line = (f"  {done:>6}/{total} rows ({pct:3d}%)  created {report.created}  duplicates {report.duplicates}"
                    f"  refused {report.refused}  {rate:,.0f} rows/s")
            if tty:
                self.stdout.write("\r" + line, ending="")
                self.stdout.flush()
            else:
                self.stdout.write(line)

        try:
            report = importers.import_referrals(
                actor=actor, data=path.read_bytes(), filename=path.name, court=court_obj, source=source,
                progress=progress, batch_size=batch_size,
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(f"{actor.username} may not import referrals: {exc}") from exc
        if tty:
            self.stdout.write("")
        elapsed = time.monotonic() - started
        self.stdout.write(f"{path.name}: {report.format.upper()}, {report.encoding}, {report.total} rows in {elapsed:.1f} s")
        for row in sorted(report.rows, key=lambda r: r.row):
            if quiet_rows and row.status == "created":
                continue
            text = f"  row {row.row:>5}  {row.status:<9} {row.court_case_number or '—'}"
            if row.mediation:
                text += f"  {row.mediation}"
            if row.reasons:
                text += "  " + "；".join(row.reasons)
            style = {"created": self.style.SUCCESS, "duplicate": self.style.WARNING}.get(row.status, self.style.ERROR)
            self.stdout.write(style(text))
        self.stdout.write(self.style.SUCCESS(
            f"created {report.created}, duplicates {report.duplicates}, refused {report.refused}"
        ))
        return None

    def _actor(self, username):
        User = get_user_model()
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {username}")
            return user
        user = User.objects.filter(groups__name="supervisor", is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("No active supervisor to import as: pass --as-user")
        return user


