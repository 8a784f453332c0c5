"""The report of a file imported row by row (a platform's order statistics, a checklist): every
bad row with its line, field and message, up to a limit, then a count of the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from django.utils.translation import gettext as _


@dataclass
class RowError:
    line: int | None
    field: str
    message: str

    def as_dict(self):
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class RowReport:
    rows: int = 0  # data rows read (blank ones not counted)
    written: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0  # including those past `max_reported`
    format: str = ""
    encoding: str = ""
    filename: str = ""
    max_reported: ClassVar[int] = 1000

    @property
    def ok(self) -> bool:
        return not self.error_count

    def add(self, line, field_name, message):
        self.error_count += 1
        if len(self.errors) < self.max_reported:
            self.errors.append(RowError(line, field_name, str(message)))

    def error_dicts(self) -> list[dict]:
        errors = [e.as_dict() for e in self.errors]
        if self.error_count > len(self.errors):
            errors.append({"line": None, "field": "file", "message": _("另有 %(n)d 处错误未列出，请先更正以上错误。") % {
                "n": self.error_count - len(self.errors)}})
        return errors

    def as_dict(self):
        return {"rows": self.rows, "written": self.written, "errors": self.error_dicts()}
