"""Form fields the check-up's declarations need beyond core's inputs."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class FindingCommentsField(forms.CharField):
    """A reviewer's comments per finding, one a line: the item's code, then the comment
    ("07 请补充抽查的合同份数"); the API's `finding_comments` list of {"item", "comment"}."""

    widget = forms.Textarea(attrs={"rows": 4, "placeholder": "07 请补充抽查的合同份数"})

    def to_python(self, value):
        text = super().to_python(value) or ""
        rows, errors = [], []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            code, _sep, comment = line.strip().partition(" ")
            if not comment.strip():
                errors.append(_("第%(n)d行：应为“事项编号 意见”。") % {"n": n})
                continue
            rows.append({"item": code, "comment": comment.strip()})
        if errors:
            raise ValidationError(errors)
        return rows
