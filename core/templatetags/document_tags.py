"""Filters the PDF templates share: {% load document_tags %}.

    {{ amount|yuan }}        ¥660,000.00
    {{ amount|capitals }}    人民币陆拾陆万元整
    {{ amount|yuan_both }}   ¥660,000.00（人民币陆拾陆万元整）
    {{ phone|mask_phone }}   138****0001
    {{ size|kib }}           12.3 KiB
    {{ day|cn_date }}        2026年1月5日
    {{ text|css_string }}    escaped for a CSS string: content: "{{ issuer|css_string }}"
"""

import datetime

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from core import amounts

register = template.Library()


@register.filter
def yuan(value):
    return "" if value is None or value == "" else amounts.figures(value)


@register.filter
def capitals(value):
    return "" if value is None or value == "" else amounts.capitals(value)


@register.filter
def yuan_both(value):
    return "" if value is None or value == "" else amounts.both(value)


@register.filter
def mask_phone(value):
    """Keep the first three and last four digits of a phone number: 138****0001."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):  # stored as +86 138 0000 0001
        digits = digits[2:]
    if len(digits) < 8:
        return "****" if digits else ""
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


@register.filter
def css_string(value):
    """Text for a CSS string literal in the page boxes: content: "{{ value|css_string }}"."""
    text = str(value or "")
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ")
    # Safe inside <style>: no "<" is left, so no "</style>" can end the stylesheet; HTML-escaping it
    # instead would print "&quot;" literally, <style> being raw text.
    return mark_safe(text)


@register.filter
def kib(value):
    if value is None:
        return ""
    value = int(value)
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KiB"
    return f"{value / (1024 * 1024):.1f} MiB"


def _local(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def cn_date(value):
    """2026年1月5日 (dates in Chinese official documents carry no leading zeros)."""
    if not value:
        return ""
    value = _local(value)
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def cn_datetime(value):
    if not value:
        return ""
    return f"{cn_date(value)} {_local(value):%H:%M}"


@register.filter
def short_datetime(value):
    """2026-01-05 09:30: for table columns, where the long form would wrap."""
    if not value:
        return ""
    return f"{_local(value):%Y-%m-%d %H:%M}"


_DIGITS = "〇一二三四五六七八九"


@register.filter
def cn_count(n):
    """A count of days or years as formal documents write it: 1 -> 一, 15 -> 十五, 30 -> 三十
    (figures from core/legal_figures.py printed in the prose of a notice)."""
    n = int(n)
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")) + (_DIGITS[ones] if ones else "")
