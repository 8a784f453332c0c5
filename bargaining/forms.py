"""Form fields the bargaining declarations need beyond core's inputs."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

YES = {"赞成", "同意", "是", "1", "yes", "y", "approve"}
NO = {"不赞成", "反对", "弃权", "否", "0", "no", "n"}


class BallotsField(forms.CharField):
    """Per-voter ballots, one a line: the elector's roll number and 赞成 / 不赞成 ("E001 赞成");
    the API's `ballots` list of {"elector", "approve"}."""

    widget = forms.Textarea(attrs={"rows": 5, "placeholder": "E001 赞成\nE002 不赞成"})

    def to_python(self, value):
        text = super().to_python(value) or ""
        rows, errors = [], []
        for n, line in enumerate(text.splitlines(), start=1):
            parts = line.replace("，", " ").replace(",", " ").split()
            if not parts:
                continue
            if len(parts) != 2 or parts[1].lower() not in YES | NO:
                errors.append(_("第%(n)d行：应为“名册编号 赞成”或“名册编号 不赞成”。") % {"n": n})
                continue
            rows.append({"elector": parts[0], "approve": parts[1].lower() in YES})
        if errors:
            raise ValidationError(errors)
        return rows
