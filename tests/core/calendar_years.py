"""Years of the legal calendar with or without their holidays, for the `…_provisional` tests.

`unload(year)` removes a year's holidays, as before the State Council publishes them; `load(years)`
makes sure each has data (a year already seeded keeps its own; one without any gets a make-up
workday on an ordinary weekday, which moves no count). Both clear the process's holiday cache.
"""

import datetime

from django.utils import timezone

from core import legal_calendar
from core.models import CalendarDay


def far_year() -> int:
    """A year no seeded data reaches, whatever today is."""
    return timezone.localdate().year + 3


def unload(*years) -> None:
    CalendarDay.objects.filter(date__year__in=years).delete()
    legal_calendar.clear_cache()


def load(first: int, last: int) -> None:
    for year in range(first, last + 1):
        if not CalendarDay.objects.filter(date__year=year).exists():
            day = datetime.date(year, 6, 10)
            while day.weekday() >= 5:
                day += datetime.timedelta(days=1)
            CalendarDay.objects.create(date=day, is_workday=True, name="测试")
    legal_calendar.clear_cache()


def detail_and_row(collection: str, obj, user) -> tuple[dict, dict]:
    """What `user` gets for `obj` from the API: its detail, and its row in the collection's list."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    detail = client.get(f"{collection}{obj.pk}/").json()
    row = next(r for r in results(client.get(collection)) if r["id"] == obj.pk)
    return detail, row


def results(response) -> list:
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def schema_component(name: str) -> dict:
    """The OpenAPI component `name` (drf-spectacular), its properties."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return schema["components"]["schemas"][name]["properties"]


def assert_siblings(component: str, fields) -> None:
    """Every deadline field of the component has a boolean `<field>_provisional` beside it, and the
    field itself is still a date."""
    properties = schema_component(component)
    for name in fields:
        assert properties[name].get("format") == "date", (component, name, properties[name])
        assert properties[f"{name}_provisional"]["type"] == "boolean", (component, name)
