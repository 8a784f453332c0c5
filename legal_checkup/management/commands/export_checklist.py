"""`manage.py export_checklist [--checklist platform-employment] [--number 2] [-o 清单.xlsx]`.

Writes a checklist version's items as JSON, CSV (UTF-8 with a BOM) or XLSX (the format from
--format, else from the output file's extension, else JSON), to the file or to standard output.
Without --number: the latest published version (or the latest one when none is published).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from legal_checkup.models import Checklist
from legal_checkup.services.transfer import FORMATS, export_checklist


class Command(BaseCommand):
    help = "Export a checklist version (JSON, CSV or XLSX); import_checklist reads the file back."

    def add_arguments(self, parser):
        parser.add_argument("--checklist", default="platform-employment", help="The checklist's code.")
        parser.add_argument("--number", "-n", dest="number", type=int, help="The version number (default: latest published).")
        parser.add_argument("--format", choices=FORMATS, help="Default: from the output file's extension, else json.")
        parser.add_argument("-o", "--output", help="The file to write (default: standard output; not for xlsx).")

    def handle(self, *args, checklist, number, format, output, **options):  # noqa: A002
        item = Checklist.objects.filter(code=checklist).first()
        if item is None:
            known = ", ".join(Checklist.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No checklist {checklist!r} (known: {known})")
        versions = item.versions.order_by("-number")
        if number is not None:
            version = versions.filter(number=number).first()
            if version is None:
                raise CommandError(f"{checklist} has no version {number}")
        else:
            version = versions.filter(published_at__isnull=False).first() or versions.first()
            if version is None:
                raise CommandError(f"{checklist} has no version yet")
        fmt = format or (Path(output).suffix.lstrip(".").lower() if output else "") or "json"
        if fmt not in FORMATS:
            raise CommandError(f"Cannot tell the format from {output!r}: pass --format ({', '.join(FORMATS)})")
        if fmt == "xlsx" and not output:
            raise CommandError("An XLSX file goes to a file: pass -o FILE.xlsx")
        data = export_checklist(version, fmt)
        if output:
            Path(output).write_bytes(data)
            self.stderr.write(f"{item.code} v{version.number}: {version.items.count()} items -> {output} ({fmt})")
        else:
            self.stdout.write(data.decode("utf-8-sig"), ending="")
