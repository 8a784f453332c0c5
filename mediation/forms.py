"""Forms of the web interface for mediation: sessions, payments, recusal and reassignment, the
list's filters and the import page; and the pieces the transitions' forms (made from
mediation/transitions.py) use: the mediator choice with workload and conflicts, the instalment rows.

The session, payment, recusal and reassignment forms mirror their API input serializers
(tests/mediation/test_views.py checks that they stay in step). Every rule about the values stays in
mediation.services: a form only parses.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.inputs import DATE_INPUT, DATETIME_INPUT, DateFormField, FilterForm, InputForm, ModelChoice, UserChoiceField, staff_users
from core.models import Organisation
from core.roles import Role

from . import services
from .models import MediationSession, MediationState, Source

User = get_user_model()
COURTS = Organisation.objects.filter(kind=Organisation.Kind.COURT)


def active_mediators():
    return staff_users(Role.MEDIATOR)


class CourtChoiceField(ModelChoice):
    def __init__(self, **kwargs):
        super().__init__(queryset=COURTS.order_by("name"), **kwargs)


# --------------------------------------------------------------------------------------------------
# The mediator with their workload (assignment, reassignment, recusal)
# --------------------------------------------------------------------------------------------------


class MediatorChoiceField(UserChoiceField):
    """Active mediators, fewest open mediations first (services.mediator_workload), one radio each;
    the page's template shows each one's workload and any conflict of interest with this dispute,
    the admin (which has no such template) puts the workload in the label."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs):
        kwargs.pop("queryset", None)
        super().__init__(queryset=User.objects.none(), **kwargs)

    def label_from_instance(self, user):
        if not hasattr(user, "in_progress"):
            return super().label_from_instance(user)
        return _("%(name)s（调解中 %(active)d 件，待确认或履行 %(follow)d 件，%(days)d日内到期 %(soon)d 件）") % {
            "name": super().label_from_instance(user), "active": user.in_progress, "follow": user.follow_up,
            "days": settings.WEIQUAN_MEDIATION_WARNING_DAYS, "soon": user.due_soon}


class WorkloadMixin:
    """Fills the mediator field(s) with the workload queryset (radio buttons), and shows each
    mediator's workload and conflicts with the mediation (`subject`) on the page."""

    mediator_fields = ("mediator",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mediation = self.subject
        self.field_templates = {name: "mediation/mediator_choice.html" for name in self.mediator_fields}
        for name in self.mediator_fields:
            field = self.fields[name]
            if not isinstance(field, MediatorChoiceField):  # a declared transition's user input
                field = self.fields[name] = MediatorChoiceField(label=field.label, required=field.required,
                                                                help_text=field.help_text)
            field.queryset = services.mediator_workload()

    def extra_context(self):
        name = self.mediator_fields[0]
        return {"mediator_rows": self.mediator_rows(name), "field_name": name,
                "warning_days": settings.WEIQUAN_MEDIATION_WARNING_DAYS}

    def mediator_rows(self, name="mediator"):
        """[(user, [conflict reasons], checked)] in the field's order (fewest open mediations first)."""
        field = self[name]
        chosen = str(field.value() or "")
        rows = []
        for user in self.fields[name].queryset:
            reasons = services.mediator_conflicts(user, self.mediation) if self.mediation is not None else []
            rows.append({"user": user, "conflicts": reasons, "checked": str(user.pk) == chosen,
                         "current": self.mediation is not None and self.mediation.mediator_id == user.pk})
        return rows


# --------------------------------------------------------------------------------------------------
# Instalments: a list of {due_on, amount} rows in one field (the API's `instalments` list)
# --------------------------------------------------------------------------------------------------


class InstalmentsWidget(forms.Widget):
    """Rows of (due date, amount) posted as <name>-due_on / <name>-amount lists; "add a row" is
    weiquan.js (data-add-instalment), and there is always one empty row without JavaScript."""

    min_rows = 3

    def value_from_datadict(self, data, files, name):
        due = data.getlist(f"{name}-due_on") if hasattr(data, "getlist") else data.get(f"{name}-due_on", [])
        amounts = data.getlist(f"{name}-amount") if hasattr(data, "getlist") else data.get(f"{name}-amount", [])
        rows = []
        for day, amount in zip(due, amounts):
            if (day or "").strip() or (amount or "").strip():
                rows.append({"due_on": (day or "").strip(), "amount": (amount or "").strip()})
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-due_on" not in data

    def rows(self, value):
        rows = []
        for item in value or []:
            day, amount = item.get("due_on", ""), item.get("amount", "")
            rows.append((day.isoformat() if isinstance(day, datetime.date) else str(day or ""), str(amount or "")))
        return rows + [("", "")] * max(self.min_rows - len(rows), 1)

    def render(self, name, value, attrs=None, renderer=None):
        head = format_html("<thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th></tr></thead>",
                           _("期数"), _("履行期限"), _("金额（元）"))
        body = format_html_join("", (
            "<tr data-instalment><td class=\"wq-muted\">{}</td>"
            "<td><input type=\"date\" name=\"{}-due_on\" value=\"{}\" aria-label=\"{}\"></td>"
            "<td><input type=\"text\" inputmode=\"decimal\" name=\"{}-amount\" value=\"{}\" aria-label=\"{}\"></td></tr>"
        ), ((n, name, day, _("履行期限"), name, amount, _("金额（元）"))
            for n, (day, amount) in enumerate(self.rows(value), start=1)))
        return format_html(
            "<table class=\"wq-table wq-instalments\" id=\"instalments-{}\">{}<tbody>{}</tbody></table>"
            "<button type=\"button\" class=\"wq-linkbtn\" data-add-instalment=\"instalments-{}\">＋ {}</button>",
            name, head, body, name, _("增加一期"),
        )


class InstalmentsField(forms.Field):
    widget = InstalmentsWidget

    def to_python(self, value):
        rows, errors = [], []
        for n, item in enumerate(value or [], start=1):
            try:
                day = datetime.date.fromisoformat(str(item.get("due_on", "")))
            except ValueError:
                errors.append(_("第%(n)d期：请填写履行期限（日期）。") % {"n": n})
                continue
            try:
                amount = Decimal(str(item.get("amount", "")).replace(",", "").replace("，", ""))
                if not amount.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors.append(_("第%(n)d期：金额应为数字（元）。") % {"n": n})
                continue
            rows.append({"due_on": day, "amount": amount})
        if errors:
            raise ValidationError(errors)
        return rows


# --------------------------------------------------------------------------------------------------
# Work that does not move the state: sessions, payments, recusal, reassignment
# --------------------------------------------------------------------------------------------------


class AttendeesField(forms.CharField):
    """One attendee a line ("陈志强（申请人代表）"); the API's `attendees` list."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class SessionForm(InputForm):
    held_at = forms.DateTimeField(label=_("调解时间"), widget=DATETIME_INPUT,
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
    mode = forms.ChoiceField(label=_("方式"), choices=MediationSession.Mode.choices, initial=MediationSession.Mode.ON_SITE)
    location = forms.CharField(label=_("地点/平台"), required=False, max_length=200)
    attendees = AttendeesField(label=_("参加人员（每行一人：姓名及身份）"), required=False)
    minutes = forms.CharField(label=_("调解笔录"), required=False, widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class PaymentForm(InputForm):
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=14, decimal_places=2)
    paid_on = DateFormField(label=_("支付日期"), widget=DATE_INPUT)
    instalment = forms.TypedChoiceField(label=_("自第几期起冲抵"), required=False, coerce=int, empty_value=None,
                                        help_text=_("默认：最早一期未付清的款项；多出部分依次冲抵以后各期。"))
    reference = forms.CharField(label=_("凭证号"), required=False, max_length=100)
    note = forms.CharField(label=_("备注"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()
        agreement = self.subject.agreement if self.subject is not None else None
        instalments = list(agreement.instalments.all()) if agreement is not None else []
        self.fields["instalment"].choices = [("", _("自动"))] + [
            (i.seq, _("第%(seq)d期 %(due)s ¥%(amount)s（未付 ¥%(left)s）") % {
                "seq": i.seq, "due": i.due_on.isoformat(), "amount": f"{i.amount:,.2f}", "left": f"{i.outstanding:,.2f}"})
            for i in instalments
        ]


class RecuseForm(WorkloadMixin, InputForm):
    reason = forms.CharField(label=_("回避理由"), widget=forms.Textarea(attrs={"rows": 3}))
    replacement = MediatorChoiceField(label=_("接替的调解员（可不选，由主管另行指定）"), required=False)
    comment = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    mediator_fields = ("replacement",)


class ReassignForm(WorkloadMixin, InputForm):
    mediator = MediatorChoiceField(label=_("改派给"))
    comment = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


# --------------------------------------------------------------------------------------------------
# The list's filters, and the import page
# --------------------------------------------------------------------------------------------------


class MediationFilterForm(FilterForm):
    multiple, single, flags = ("state",), ("source", "court", "mediator"), ("overdue", "due_soon", "unassigned")

    q = forms.CharField(label=_("搜索"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("调解编号、法院案号、案由、申请人姓名/身份证号/手机号、被申请单位名称/信用代码")}))
    state = forms.MultipleChoiceField(label=_("状态"), required=False, choices=MediationState.choices,
                                      widget=forms.SelectMultiple(attrs={"size": 4}))
    source = forms.ChoiceField(label=_("来源"), required=False, choices=[("", "—"), *Source.choices])
    court = forms.ChoiceField(label=_("法院"), required=False)
    mediator = forms.ChoiceField(label=_("调解员"), required=False)
    overdue = forms.BooleanField(label=_("已超调解期限"), required=False)
    due_soon = forms.BooleanField(required=False)
    unassigned = forms.BooleanField(label=_("未指定调解员"), required=False)

    def __init__(self, *args, court=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_soon"].label = _("%(days)d日内到期") % {"days": settings.WEIQUAN_MEDIATION_WARNING_DAYS}
        courts = [court] if court is not None else COURTS.order_by("name")
        self.fields["court"].choices = [("", "—")] + [(c.pk, c.name) for c in courts]
        self.fields["mediator"].choices = [("", "—")] + [
            (u.pk, u.get_full_name() or u.username) for u in active_mediators()]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("委派清单文件（CSV 或 JSON，UTF-8 或 GBK 编码）"))
    court = CourtChoiceField(label=_("法院"), required=False, help_text=_("清单各行未写法院时适用。"))
    source = forms.ChoiceField(label=_("调解类型"), required=False, choices=[("", _("按清单各行")), *Source.choices])

    def __init__(self, *args, own_court=None, **kwargs):
        super().__init__(*args, **kwargs)
        if own_court is not None:  # a court liaison imports their own court's list only
            self.fields["court"].queryset = COURTS.filter(pk=own_court.pk)
            self.fields["court"].initial = own_court.pk
            self.fields["court"].required = True
            self.fields["court"].empty_label = None
