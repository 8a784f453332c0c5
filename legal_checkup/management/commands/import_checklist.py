"""`manage.py import_checklist 清单.xlsx [--checklist platform-employment] [--as-user name] [--note …]`.

Checks a checklist file (JSON, CSV in UTF-8 or GBK, or XLSX; Chinese or English column names) and
makes it a new unpublished version of the checklist, to be reviewed and published. Every bad row is
printed with its line, field and reason; with any bad row nothing is written (exit status 1).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from legal_checkup.models import Checklist
from legal_checkup.services.transfer import import_checklist


class Command(BaseCommand):
    help = "Import a checklist file (JSON, CSV or XLSX) as a new unpublished version; all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON, CSV or XLSX file.")
        parser.add_argument("--checklist", default="platform-employment", help="The checklist's code.")
        parser.add_argument("--as-user", dest="username",
                            help="Who imports (a supervisor); default: the first active supervisor.")
        parser.add_argument("--note", default="", help="The version's note (default: the file's name).")

    def handle(self, *args, file, checklist, username, note, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        target = Checklist.objects.filter(code=checklist).first()
        if target is None:
            raise CommandError(f"No checklist {checklist!r}")
        actor = self._actor(username)
        try:
            report = import_checklist(checklist=target, actor=actor, data=path.read_bytes(), filename=path.name,
                                      note=note)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(f"{actor.username} may not manage checklists: {exc}") from exc
        result = report.as_dict()
        for error in result["errors"]:
            line = error["line"] if error["line"] is not None else "—"
            self.stdout.write(self.style.ERROR(f"  line {line:>5}  {error['field']:<18} {error['message']}"))
        if result["errors"]:
            raise CommandError(f"{path.name}: {result['rows']} rows, {len(result['errors'])} errors; nothing written")
        self.stdout.write(self.style.SUCCESS(
            f"{path.name}: {report.format.upper()}{', ' + report.encoding if report.encoding else ''}, "
            f"{result['written']} items -> {target.code} v{report.version.number} (unpublished: review and publish it)"))

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
