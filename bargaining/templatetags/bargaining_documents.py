"""Filters of the bargaining PDFs: {% load bargaining_documents %}.

    {{ value|figure:topic.unit }}     5.50 / 20 / 12.5 (as the chart prints it)
    {{ topic.unit|unit }}             元/单 ("" for a text topic)
    {{ quorum|fraction }}             (2, 3) -> 三分之二
"""

from django import template

from core.templatetags.document_tags import cn_count

from ..charts import figure as _figure
from ..charts import unit_label

register = template.Library()


@register.filter
def figure(value, unit=""):
    return _figure(value, unit)


@register.filter
def unit(value):
    return unit_label(value)


@register.filter
def fraction(pair):
    """(numerator, denominator) as formal Chinese writes it: (2, 3) -> 三分之二."""
    num, den = pair
    return f"{cn_count(den)}分之{cn_count(num)}"
