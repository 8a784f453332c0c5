"""What a pay-rule position would cost the platform, and what it would bring a worker, against the
negotiation's order statistics (bargaining.models.OrderStatistic, imported by
bargaining.services.import_order_statistics).

    cost_position(topic, Decimal("5.50"))      # a Costing, or None (not costed, no figure, no statistics)
    cost_positions(negotiation, [(topic, value), …])   # the same for several, in one query
    cost_negotiation(negotiation)              # per costed topic: the demand and the latest positions

Per order, the difference a position makes:

- piece rate (元/单): the proposed rate − the current one, on rows whose current rate is lower
  (a floor raises no rate already above it);
- commission (%): fare × (the current commission − the proposed one) / 100, on rows whose current
  commission is higher (a cap lowers none already below it); rows without a fare or a current
  commission cannot be costed: they are skipped and counted (`skipped_rows`);
- surcharge (元/单): the proposed amount, on rows of the topic's time band and/or weather (either
  may list several, separated by "、", "," or ";"; a surcharge naming neither applies to every row).

The monthly cost to the platform is Σ orders × difference over all rows, divided by the number of
months the statistics cover. The monthly gain per worker is, per city and month, Σ orders ×
difference / the city-month's workers; the report gives its median, the spread from the 25th to
the 75th percentile (linear interpolation between ranks, as numpy's default) and the range, over
the city-months. A city-month's workers are the most riders online in any of its rows (the same
riders work several time bands: adding the rows up would count them several times).

Sums run in the database: one GROUP BY city, month query for every position costed together
(conditional SUMs, PostgreSQL's FILTER), so costing a whole negotiation reads the statistics once;
only the city-month groups (a few thousand at most) come back to Python. Money is Decimal,
rounded to the cent (half up) at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Q, Sum, Value

from .models import Costing as Kind
from .models import OrderStatistic, Position, Unit

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
_MONEY = DecimalField(max_digits=30, decimal_places=4)
_LIST = re.compile(r"[、,，;；]")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Costing:
    kind: str  # piece_rate | commission | surcharge
    value: Decimal  # the position costed
    months: int  # months the statistics cover
    city_months: int  # city-months the gains are spread over
    rows: int  # statistics rows read
    skipped_rows: int  # commission: rows without a fare or a current commission
    monthly_cost: Decimal  # to the platform, yuan per month
    gain_median: Decimal | None  # per worker, yuan per month (None: no city-month with workers)
    gain_p25: Decimal | None
    gain_p75: Decimal | None
    gain_min: Decimal | None
    gain_max: Decimal | None

    def as_dict(self) -> dict:
        def text(v):
            return None if v is None else str(v)

        return {
            "kind": self.kind, "value": text(self.value), "months": self.months, "city_months": self.city_months,
            "rows": self.rows, "skipped_rows": self.skipped_rows,
            "monthly_cost": text(self.monthly_cost),
            "gain_per_worker": {"median": text(self.gain_median), "p25": text(self.gain_p25),
                                "p75": text(self.gain_p75), "min": text(self.gain_min), "max": text(self.gain_max)},
        }


def _choices(text) -> list[str]:
    return [part.strip() for part in _LIST.split(text or "") if part.strip()]


@dataclass(frozen=True)
class _Spec:
    """One position to cost: the same figure on the same rows is costed once."""

    kind: str
    value: Decimal
    bands: tuple = ()
    weathers: tuple = ()

    @property
    def rows_key(self) -> tuple:
        """What a surcharge's sum depends on: its rows, not its amount (one SUM for every amount)."""
        return (self.kind, self.bands, self.weathers) if self.kind == Kind.SURCHARGE else (self,)

    def aggregate(self):
        """The SUM over a city-month's rows this position needs: of orders × the difference
        (commission: × 100), or for a surcharge the orders of its rows (× the amount in Python)."""
        value = Value(self.value, output_field=_MONEY)
        if self.kind == Kind.PIECE_RATE:
            return Sum(ExpressionWrapper(F("orders") * (value - F("piece_rate")), output_field=_MONEY),
                       filter=Q(piece_rate__lt=self.value), output_field=_MONEY)
        if self.kind == Kind.COMMISSION:
            return Sum(ExpressionWrapper(F("orders") * F("fare") * (F("commission_pct") - value), output_field=_MONEY),
                       filter=Q(fare__isnull=False, commission_pct__gt=self.value), output_field=_MONEY)
        where = Q()
        if self.bands:
            where &= Q(time_band__in=self.bands)
        if self.weathers:
            where &= Q(weather__in=self.weathers)
        return Sum("orders", filter=where) if where else Sum("orders")

    def total(self, summed) -> Decimal:
        """Σ orders × difference in one city-month, from its aggregate's value."""
        summed = Decimal(summed or 0)
        if self.kind == Kind.SURCHARGE:
            return summed * self.value
        return summed / HUNDRED if self.kind == Kind.COMMISSION else summed


def _spec(topic, value) -> _Spec | None:
    if value is None or topic.costing not in (Kind.PIECE_RATE, Kind.COMMISSION, Kind.SURCHARGE) \
            or topic.unit == Unit.TEXT:
        return None
    value = Decimal(value)
    if topic.costing == Kind.SURCHARGE:
        return _Spec(topic.costing, value, tuple(_choices(topic.surcharge_time_band)),
                     tuple(_choices(topic.surcharge_weather)))
    return _Spec(topic.costing, value)


def cost_specs(negotiation, specs) -> dict[_Spec, Costing | None]:
    """Each spec's Costing, from one aggregate query over the negotiation's statistics (None for
    every spec when it has none)."""
    specs = list(dict.fromkeys(s for s in specs if s is not None))
    if not specs:
        return {}
    keys = {}
    for spec in specs:
        keys.setdefault(spec.rows_key, f"p{len(keys)}")
    aggregates = {"rows": Count("id"), "workers": Max("active_workers")}
    if any(s.kind == Kind.COMMISSION for s in specs):
        aggregates["uncosted"] = Count("id", filter=Q(fare__isnull=True) | Q(commission_pct__isnull=True))
    for spec in specs:
        aggregates.setdefault(keys[spec.rows_key], spec.aggregate())
    groups = list(OrderStatistic.objects.filter(negotiation=negotiation).order_by()
                  .values("city", "month").annotate(**aggregates))
    if not groups:
        return {spec: None for spec in specs}
    months = len({g["month"] for g in groups})
    rows = sum(g["rows"] for g in groups)
    uncosted = sum(g.get("uncosted") or 0 for g in groups)
    out = {}
    for spec in specs:
        key = keys[spec.rows_key]
        totals = [(spec.total(g[key]), g["workers"] or 0) for g in groups]
        gains = sorted(total / workers for total, workers in totals if workers > 0)
        stats = [None] * 5 if not gains else [cents(percentile(gains, p)) for p in (0.5, 0.25, 0.75)] + [
            cents(gains[0]), cents(gains[-1])]
        out[spec] = Costing(
            kind=spec.kind, value=spec.value, months=months, city_months=len(gains), rows=rows,
            skipped_rows=uncosted if spec.kind == Kind.COMMISSION else 0,
            monthly_cost=cents(sum((t for t, _w in totals), Decimal(0)) / months),
            gain_median=stats[0], gain_p25=stats[1], gain_p75=stats[2], gain_min=stats[3], gain_max=stats[4],
        )
    return out


def percentile(ordered: list[Decimal], p: float) -> Decimal:
    """The p-th quantile of sorted values, interpolating linearly between the closest ranks
    (numpy's default; p=0.5 is the usual median)."""
    h = (len(ordered) - 1) * Decimal(str(p))
    low = int(h)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def cost_position(topic, value, *, negotiation=None) -> Costing | None:
    """The costing of `value` on `topic` (a NegotiationTopic), or None when the topic is not costed,
    there is no figure, or the negotiation has no order statistics."""
    return cost_positions(negotiation or topic.negotiation, [(topic, value)])[0]


def cost_positions(negotiation, positions) -> list[Costing | None]:
    """cost_position() of each (topic, value) of `negotiation`, all from one query (a rounds
    table costs every figure on it at once)."""
    specs = [_spec(topic, value) for topic, value in positions]
    costed = cost_specs(negotiation, specs)
    return [costed.get(spec) if spec else None for spec in specs]


def cost_negotiation(negotiation) -> list[dict]:
    """Per numeric costed topic, in the table's order: the union's demand and the latest round's
    union and employer positions on it, each costed (one query for them all).

    [{"topic": id, "name": …, "costing": kind, "unit": …, "round": n or None,
      "demand": {"value": …, "costing": Costing.as_dict() or None}, "union": {…}, "employer": {…}}]"""
    topics = [t for t in negotiation.topics.all() if t.costing and t.unit != Unit.TEXT]
    if not topics:
        return []
    latest = {}
    for position in (Position.objects.filter(topic__in=topics).select_related("round")
                     .order_by("topic_id", "-round__number")):
        latest.setdefault(position.topic_id, position)
    wanted = []
    for t in topics:
        p = latest.get(t.pk)
        values = {"demand": t.demand_value, "union": p.union_value if p else None,
                  "employer": p.employer_value if p else None}
        wanted.append((t, p, values, {side: _spec(t, v) for side, v in values.items()}))
    costed = cost_specs(negotiation, [s for *_rest, specs in wanted for s in specs.values()])
    out = []
    for t, p, values, specs in wanted:
        row = {"topic": t.pk, "name": t.name, "costing": t.costing, "unit": t.unit,
               "round": p.round.number if p else None}
        for side, value in values.items():
            costing = costed.get(specs[side]) if specs[side] else None
            row[side] = {"value": None if value is None else str(value),
                         "costing": costing.as_dict() if costing else None}
        out.append(row)
    return out
