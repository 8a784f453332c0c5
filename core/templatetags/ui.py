"""Template helpers of the web interface (`{% load ui %}`)."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core import amounts

register = template.Library()


@register.filter
def yuan(value):
    """¥12,345.00, or — for no amount."""
    if value is None or value == "":
        return "—"
    return amounts.figures(value)


@register.filter
def days_left(days):
    """剩 3 天 / 今天到期 / 超期 2 天."""
    if days is None:
        return ""
    if days < 0:
        return _("超期 %(n)d 天") % {"n": -days}
    if days == 0:
        return _("今天到期")
    return _("剩 %(n)d 天") % {"n": days}


@register.filter
def filesize(size):
    if size is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024


@register.filter
def svg(markup):
    """Inline an SVG built by core.diagrams / core.charts (already escaped there)."""
    return mark_safe(markup)


@register.filter
def capitals(value):
    return amounts.capitals(value) if value is not None else ""


@register.filter
def get_item(mapping, key):
    """{{ form.field_templates|get_item:field.name }}: a dict lookup that tolerates no dict."""
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.simple_tag
def object_url(obj):
    """The page of any object that has a flow (core.links.url_for), or ""."""
    from core.links import url_for

    return (url_for(obj) or "") if obj is not None else ""
