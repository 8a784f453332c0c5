"""Sections a module adds to the work bench's dashboard (统计), without core knowing the module.

A module registers a section when its screens load (its `viewsets.py`), as documents and flows
register:

    from core import dashboard
    dashboard.register("legal_checkup", template="legal_checkup/dashboard.html",
                       context=views.dashboard_context, permission="legal_checkup.add_checkup")

and the dashboard's view shows, after its own figures, every section the user has the permission
for: `sections(request)` -> [{"name", "template", **context(request)}], in registration order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    context: Callable  # request -> dict
    permission: str | None = None


SECTIONS: dict[str, Section] = {}


def register(name: str, *, template: str, context: Callable, permission: str | None = None) -> Section:
    section = Section(name, template, context, permission)
    SECTIONS[name] = section
    return section


def sections(request) -> list[dict]:
    user = request.user
    out = []
    for section in SECTIONS.values():
        if section.permission and not user.has_perm(section.permission):
            continue
        out.append({"name": section.name, "template": section.template, "data": section.context(request)})
    return out
