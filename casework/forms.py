"""Forms of the web interface for dispute intake: intake, evidence, the list's filters.

The transitions' forms are made from their declarations (casework/transitions.py). Every rule
about the values themselves stays in casework.services: a form only parses.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import identifiers
from core.inputs import DATE_INPUT, DateFormField, FilterForm, ModelChoice, staff_users
from core.models import Category, Organisation, Worker
from core.roles import Role

from . import services
from .models import Case, CaseState

class CategoryLabelMixin:
    def label_from_instance(self, category):
        from django.utils.translation import gettext

        return gettext(category.name)  # seeded names are in the catalogue (core/seed.py)


class CategoryChoiceField(CategoryLabelMixin, forms.ModelMultipleChoiceField):
    pass


class CategorySelectField(CategoryLabelMixin, ModelChoice):
    pass


# --------------------------------------------------------------------------------------------------
# Evidence
# --------------------------------------------------------------------------------------------------

class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("证据文件"), validators=[services.validate_evidence_file])
    description = forms.CharField(label=_("证据说明"), required=False, max_length=300)


# --------------------------------------------------------------------------------------------------
# The case list's filters (the same query parameters as the API's CaseFilter, which does the work)
# --------------------------------------------------------------------------------------------------


class CaseFilterForm(FilterForm):
    multiple, single, flags = ("state",), ("category", "channel", "handler"), ("is_group", "overdue", "limitation_ending")

    q = forms.CharField(label=_("搜索"), required=False, widget=forms.TextInput(
        attrs={"placeholder": _("案件编号、劳动者姓名/手机号/身份证号、单位名称/信用代码"), "type": "search"}))
    state = forms.MultipleChoiceField(label=_("状态"), required=False, choices=CaseState.choices,
                                      widget=forms.SelectMultiple(attrs={"size": 4}))
    category = forms.ChoiceField(label=_("争议类别"), required=False)
    channel = forms.ChoiceField(label=_("来源渠道"), required=False, choices=[("", "—"), *Case.Channel.choices])
    handler = forms.ChoiceField(label=_("承办人"), required=False)
    is_group = forms.BooleanField(label=_("群体性案件"), required=False)
    overdue = forms.BooleanField(label=_("审查超期"), required=False)
    limitation_ending = forms.BooleanField(label=_("时效即将届满"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.utils.translation import gettext

        self.fields["category"].choices = [("", "—")] + [
            (code, gettext(name)) for code, name in Category.objects.values_list("code", "name")]
        self.fields["handler"].choices = [("", "—")] + [
            (u.pk, u.get_full_name() or u.username)
            for u in staff_users(Role.INTAKE_OFFICER, Role.LAWYER, Role.MEDIATOR, Role.SUPERVISOR)
        ]


# --------------------------------------------------------------------------------------------------
# Intake of a walk-in worker's complaint
# --------------------------------------------------------------------------------------------------


class ClaimantForm(forms.Form):
    """One claimant: an existing worker (found by phone or ID), or a new one typed in."""

    worker = forms.ModelChoiceField(queryset=Worker.objects.all(), required=False, widget=forms.HiddenInput)
    lookup = forms.CharField(label=_("手机号或身份证号"), required=False, max_length=32)
    name = forms.CharField(label=_("姓名"), required=False, max_length=100)
    id_number = forms.CharField(label=_("身份证号码"), required=False, max_length=32)
    phone = forms.CharField(label=_("手机号码"), required=False, max_length=32)
    occupation = forms.ChoiceField(label=_("职业"), choices=Worker.Occupation.choices, initial=Worker.Occupation.RIDER)
    is_union_member = forms.BooleanField(label=_("工会会员"), required=False)
    is_representative = forms.BooleanField(label=_("推举代表"), required=False)

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        return identifiers.validate_resident_id(value) if value.strip() else ""

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        return identifiers.normalise_phone(value) if value.strip() else ""

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("worker") is None and not any(data.get(f) for f in ("name", "id_number", "lookup")):
            if self.empty_permitted and not self.has_changed():
                return data
            raise ValidationError(_("请查找已登记的劳动者，或填写新劳动者的姓名和身份证号码。"))
        if data.get("worker") is None and (data.get("name") or data.get("id_number")):
            missing = {}
            if not data.get("name"):
                missing["name"] = _("新劳动者请填写姓名。")
            if not data.get("id_number"):
                missing["id_number"] = _("新劳动者请填写身份证号码。")
            if missing:
                raise ValidationError(missing)
        return data


class ClaimForm(forms.Form):
    category = CategorySelectField(label=_("类别"), queryset=Category.objects.all(), to_field_name="code", required=False)
    description = forms.CharField(label=_("请求事项"), required=False, max_length=300)
    amount = forms.DecimalField(label=_("金额（元）"), required=False, max_digits=14, decimal_places=2, min_value=0)

    def clean(self):
        data = super().clean()
        if self.errors or not self.has_changed():
            return data
        if not data.get("description"):
            self.add_error("description", _("请填写请求事项。"))
        if not data.get("category"):
            self.add_error("category", _("请选择类别。"))
        return data


ClaimantFormSet = forms.formset_factory(ClaimantForm, extra=0, min_num=1, validate_min=True, max_num=200)
ClaimFormSet = forms.formset_factory(ClaimForm, extra=0, min_num=1, max_num=200)


class IntakeForm(forms.Form):
    title = forms.CharField(label=_("案由"), max_length=200)
    channel = forms.ChoiceField(label=_("来源渠道"), choices=Case.Channel.choices, initial=Case.Channel.WALK_IN)
    facts = forms.CharField(label=_("事实与理由"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    categories = CategoryChoiceField(
        label=_("争议类别"), queryset=Category.objects.all(), to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    respondents = forms.ModelMultipleChoiceField(
        label=_("被申请单位"), required=False,
        queryset=Organisation.objects.filter(kind__in=Organisation.EMPLOYER_KINDS),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    new_respondent_name = forms.CharField(label=_("新单位名称"), required=False, max_length=200)
    new_respondent_kind = forms.ChoiceField(
        label=_("单位类型"), required=False,
        choices=[(k, label) for k, label in Organisation.Kind.choices if k in Organisation.EMPLOYER_KINDS],
        initial=Organisation.Kind.PLATFORM,
    )
    new_respondent_credit_code = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=32)
    override_credit_code = forms.BooleanField(label=_("校验码不符仍登记（仅主管）"), required=False)
    override_reason = forms.CharField(label=_("例外理由"), required=False, max_length=300)
    # Each the day something happened: from WEIQUAN_EARLIEST_DATE to today (core/limits.py).
    received_on = DateFormField(label=_("登记日期"), widget=DATE_INPUT)
    infringement_known_on = DateFormField(
        label=_("知道或应当知道权利被侵害之日"), required=False, widget=DATE_INPUT
    )
    employment_ended_on = DateFormField(
        label=_("劳动关系/合作终止日"), required=False, widget=DATE_INPUT,
        help_text=_("仍在职（仍在平台接单）则留空。"),
    )
    evidence_description = forms.CharField(label=_("证据说明"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()

    def clean_new_respondent_credit_code(self):
        value = self.cleaned_data["new_respondent_credit_code"]
        return identifiers.validate_credit_code_format(value) if value.strip() else ""

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("respondents") and not data.get("new_respondent_name"):
            self.add_error("respondents", _("请选择被申请单位，或登记一个新单位。"))
        return data
