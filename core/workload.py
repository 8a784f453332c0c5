"""Who has how much work in hand: the figures modules contribute for the assignment screens.

`core` knows the staff and their roles; each module knows its own work. A module registers a
figure in its `workload.py` (found by core/apps.py, like `documents.py`):

```python
@workload.figure("open_cases", label=_("在办案件"), roles=(Role.INTAKE_OFFICER, Role.SUPERVISOR))
def open_cases(users, *, today):
    return dict(Case.objects.filter(handler__in=users, state__in=OPEN_STATES)
                .values("handler").annotate(n=Count("pk")).values_list("handler", "n"))
```

`fn(users, *, today)` gets a queryset of users and returns {user id: count} (users with none may
be left out). `figures_for(users, roles=…)` asks every figure meant for those roles;
`GET /api/v1/staff/` (core/api_extras.py) shows them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable

from django.utils import timezone


@dataclass(frozen=True)
class Figure:
    key: str
    label: object
    roles: tuple[str, ...]
    count: Callable
    # Counted in `total`, the sort order of the assignment screens (a "due soon" figure is part of
    # another figure already, so it is shown but not added).
    in_total: bool = True


_figures: dict[str, Figure] = {}


def figure(key: str, *, label, roles, in_total: bool = True):
    """Register `fn(users, *, today) -> {user id: int}` as the workload figure `key` (a decorator)."""

    def register(fn):
        _figures[key] = Figure(key, label, tuple(roles), fn, in_total)
        return fn

    return register


def figures(roles=None) -> list[Figure]:
    """The registered figures meant for any of `roles` (every figure when None)."""
    wanted = set(roles) if roles is not None else None
    return [f for f in _figures.values() if wanted is None or wanted & set(f.roles)]


def figures_for(users, *, roles=None, today: datetime.date | None = None) -> dict[int, dict[str, int]]:
    """{user id: {figure key: count}} for `users` (a queryset), every figure meant for `roles`."""
    today = today or timezone.localdate()
    ids = [u.pk for u in users]
    result = {pk: {} for pk in ids}
    for f in figures(roles):
        counts = f.count(users, today=today)
        for pk in ids:
            result[pk][f.key] = int(counts.get(pk, 0))
    return result


def total(counts: dict[str, int]) -> int:
    return sum(n for key, n in counts.items() if key in _figures and _figures[key].in_total)
