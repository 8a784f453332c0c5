"""Forms of the bargaining pages for the steps that are not transitions (the transitions' forms are
made from bargaining/transitions.py): a new negotiation, a seat at the table and its vacancy, a
topic, a round with each side's position per topic, the roll, the contract's text, the union's note.

A form only parses; every rule about the values is in bargaining.services (the same for the API).
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.inputs import DATE_INPUT, DateFormField, InputForm, ModelChoice, TextFormField
from core.models import Organisation, Worker

from .models import Costing, Level, NegotiationState, Negotiator, Procedure, Round, Side, Topic, Unit
from .services.setup import EMPLOYER_SIDE_KINDS

ELECTORATE_KINDS = [("", "—"), ("congress", _("职工代表大会代表")), ("all_workers", _("全体职工（覆盖劳动者）"))]


def comment_field():
    return TextFormField(label=_("备注"), required=False, multiline=True, widget=forms.Textarea(attrs={"rows": 2}))


class NegotiationFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("编号、协商事项或企业名称"), "type": "search"}))
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(NegotiationState.choices))
    level = forms.ChoiceField(label=_("协商层级"), required=False, choices=[("", _("全部"))] + list(Level.choices))
    employer = ModelChoice(label=_("企业方"), required=False, empty_label=_("全部"),
                                      queryset=Organisation.objects.none())

    def __init__(self, *args, employers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = employers if employers is not None else Organisation.objects.none()


class NegotiationForm(forms.Form):
    """A new negotiation: its parties and scope (services.create_negotiation)."""

    title = TextFormField(label=_("协商事项"), max_length=200)
    level = forms.ChoiceField(label=_("协商层级"), choices=Level.choices, initial=Level.ENTERPRISE)
    procedure = forms.ChoiceField(label=_("协商程序"), choices=Procedure.choices, initial=Procedure.ORDINARY,
                                  help_text=_("只有一般程序可以签订集体合同（《江苏省集体协商条例》）。"))
    region = TextFormField(label=_("区域（县级以下）"), max_length=100, required=False,
                           help_text=_("区域性集体协商必填。"))
    union = ModelChoice(label=_("工会方"), queryset=Organisation.objects.none())
    employers = forms.ModelMultipleChoiceField(
        label=_("企业方"), queryset=Organisation.objects.none(), widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("平台、代理商、加盟商、劳务派遣单位或行业协会，可多选。"))
    covered_occupations = forms.MultipleChoiceField(label=_("覆盖职业"), required=False, choices=Worker.Occupation.choices,
                                                    widget=forms.CheckboxSelectMultiple)
    covered_cities = TextFormField(label=_("覆盖城市"), max_length=200, required=False)
    covered_headcount = forms.IntegerField(label=_("覆盖劳动者人数（估计）"), required=False, min_value=0)
    electorate_kind = forms.ChoiceField(label=_("表决主体"), required=False, choices=ELECTORATE_KINDS)
    proposal_text = TextFormField(label=_("要约说明"), required=False, multiline=True,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["union"].queryset = Organisation.objects.filter(kind=Organisation.Kind.UNION).order_by("name")
        self.fields["employers"].queryset = Organisation.objects.filter(kind__in=EMPLOYER_SIDE_KINDS).order_by("name")


class NegotiatorForm(InputForm):
    """A seat at the table, or a vacant seat filled (services.set_negotiator)."""

    side = forms.ChoiceField(label=_("代表方"), choices=Side.choices)
    role = forms.ChoiceField(label=_("身份"), choices=Negotiator.SeatRole.choices, initial=Negotiator.SeatRole.NEGOTIATOR)
    name = TextFormField(label=_("姓名"), max_length=100)
    title = TextFormField(label=_("职务"), max_length=100, required=False)
    organisation = ModelChoice(label=_("所属单位"), required=False, queryset=Organisation.objects.none())
    is_union_chair = forms.BooleanField(label=_("工会主席（职工方首席代表）"), required=False)
    delegation_reference = TextFormField(label=_("书面委托书"), max_length=200, required=False,
                                         help_text=_("职工方首席代表不是工会主席的，登记工会主席的书面委托书编号。"))
    replaces = ModelChoice(label=_("替补出缺席位"), required=False, queryset=Negotiator.objects.none(),
                                      empty_label=_("（新增席位）"))
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        n = self.subject
        self.fields["organisation"].queryset = Organisation.objects.filter(
            pk__in=[n.union_id, *n.employers.values_list("pk", flat=True)]).order_by("name")
        self.fields["replaces"].queryset = n.negotiators.filter(vacated_on__isnull=False, successor__isnull=True)
        if not self.fields["replaces"].queryset.exists():
            del self.fields["replaces"]


class VacateSeatForm(InputForm):
    seat = ModelChoice(label=_("出缺的协商代表"), queryset=Negotiator.objects.none())
    vacated_on = DateFormField(label=_("出缺日期"), required=False, widget=DATE_INPUT, help_text=_("默认今天。"))
    reason = TextFormField(label=_("出缺原因"), max_length=200, required=False)
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seat"].queryset = self.subject.negotiators.filter(vacated_on__isnull=True)


CORE_COMMON_CHOICES = [("", _("按目录")), ("1", _("是")), ("0", _("否"))]


class TopicForm(InputForm):
    """A topic from the catalogue, or a custom one, with the union's demand (services.set_topic)."""

    topic = ModelChoice(label=_("目录议题"), required=False, queryset=Topic.objects.all(),
                                   empty_label=_("（自定义议题）"))
    name = TextFormField(label=_("议题名称"), max_length=100, required=False,
                         help_text=_("自定义议题必填；选了目录议题可留空。"))
    unit = forms.ChoiceField(label=_("单位"), required=False, choices=[("", _("按目录"))] + list(Unit.choices))
    core_common = forms.ChoiceField(label=_("核心共性问题"), required=False, choices=CORE_COMMON_CHOICES)
    costing = forms.ChoiceField(label=_("测算方式"), required=False,
                                choices=[("", _("按目录"))] + [c for c in Costing.choices if c[0]] + [("none", _("不测算"))])
    demand_value = forms.DecimalField(label=_("要约诉求（数值）"), required=False, max_digits=12, decimal_places=2)
    demand_text = TextFormField(label=_("要约诉求"), required=False, multiline=True, widget=forms.Textarea(attrs={"rows": 3}))
    surcharge_time_band = TextFormField(label=_("加价时段"), max_length=40, required=False)
    surcharge_weather = TextFormField(label=_("加价天气"), max_length=40, required=False)
    comment = comment_field()

    def service_values(self):
        data = dict(self.cleaned_data)
        data["core_common"] = {"": None, "1": True, "0": False}[data.get("core_common") or ""]
        costing = data.get("costing") or ""
        data["costing"] = None if costing == "" else ("" if costing == "none" else costing)
        data["unit"] = data.get("unit") or None
        return data


class PositionsField(forms.Field):
    """Per topic of the negotiation, each side's figure and text and whether they agreed: posted as
    `p<topic>-union_value`, `-union_text`, `-employer_value`, `-employer_text`, `-agreed`; the
    service's `positions` list (topics left blank are not in the round)."""

    def __init__(self, *, topics, **kwargs):
        self.topics = list(topics)
        super().__init__(**kwargs)
        self.widget = PositionsWidget(topics=self.topics)

    def to_python(self, value):
        return value or []


class PositionsWidget(forms.Widget):
    template_name = ""

    def __init__(self, *, topics, attrs=None):
        super().__init__(attrs)
        self.topics = topics

    def value_from_datadict(self, data, files, name):
        rows = []
        for t in self.topics:
            key = f"p{t.pk}"
            row = {"topic": t.pk, "union_value": (data.get(f"{key}-union_value") or "").strip(),
                   "employer_value": (data.get(f"{key}-employer_value") or "").strip(),
                   "union_text": (data.get(f"{key}-union_text") or "").strip(),
                   "employer_text": (data.get(f"{key}-employer_text") or "").strip(),
                   "agreed": data.get(f"{key}-agreed") in ("on", "1", "true")}
            if any(row[k] for k in ("union_value", "employer_value", "union_text", "employer_text")) or row["agreed"]:
                rows.append(row)
        return rows

    def value_omitted_from_data(self, data, files, name):
        return False


class RoundForm(InputForm):
    """One round (services.record_round). The per-topic table is templates/bargaining/positions.html."""

    held_on = DateFormField(label=_("会议日期"), required=False, widget=DATE_INPUT, help_text=_("默认今天。"))
    mode = forms.ChoiceField(label=_("方式"), choices=Round.Mode.choices, initial=Round.Mode.IN_PERSON)
    place = TextFormField(label=_("地点"), max_length=200, required=False)
    attendees = TextFormField(label=_("出席人员"), required=False, multiline=True, widget=forms.Textarea(attrs={"rows": 2}))
    minutes = TextFormField(label=_("会议纪要"), required=False, multiline=True, widget=forms.Textarea(attrs={"rows": 5}))
    positions = forms.Field(label=_("各议题双方立场"), required=False)
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics = list(self.subject.topics.all())
        self.fields["positions"] = PositionsField(label=_("各议题双方立场"), required=False, topics=self.topics)
        self.field_templates = {"positions": "bargaining/positions.html"}

    def position_rows(self):
        """For the template: each topic with what was typed (a refused submit keeps it) or, on a
        fresh form, the sides' last positions."""
        typed = {}
        if self.is_bound:
            typed = {r["topic"]: r for r in self.fields["positions"].widget.value_from_datadict(self.data, None, "positions")}
        last = {}
        if not self.is_bound:
            for p in (self.subject.rounds.order_by("-number").first().positions.all()
                      if self.subject.rounds.exists() else []):
                last[p.topic_id] = {"union_value": p.union_value if p.union_value is not None else "",
                                    "employer_value": p.employer_value if p.employer_value is not None else "",
                                    "union_text": p.union_text, "employer_text": p.employer_text, "agreed": p.agreed}
        return [{"topic": t, "key": f"p{t.pk}", "values": typed.get(t.pk) or last.get(t.pk) or {}} for t in self.topics]

    def extra_context(self):
        return {"position_rows": self.position_rows()}


ELECTOR_LINE = re.compile(r"^(\S+)[\s,，、]+(.+)$")


class ElectorsField(forms.CharField):
    """The roll, one elector a line: the roll number and the name ("E001 张三")."""

    widget = forms.Textarea(attrs={"rows": 10, "placeholder": "E001 张三\nE002 李四"})

    def to_python(self, value):
        text = super().to_python(value) or ""
        rows, errors = [], []
        for n, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            match = ELECTOR_LINE.match(line)
            if not match:
                errors.append(_("第%(n)d行：应为“名册编号 姓名”，如“E001 张三”。") % {"n": n})
                continue
            rows.append({"reference": match.group(1), "name": match.group(2).strip()})
        if errors:
            raise ValidationError(errors)
        return rows

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{r['reference']} {r['name']}" for r in value)
        return value


class ElectorateForm(InputForm):
    kind = forms.ChoiceField(label=_("表决主体"), required=False, choices=ELECTORATE_KINDS)
    electors = ElectorsField(label=_("表决名册（每行一人：名册编号 姓名）"),
                             help_text=_("提交后替换原有名册。"))
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        n = self.subject
        self.fields["kind"].initial = n.electorate_kind
        self.fields["electors"].initial = "\n".join(f"{e.reference} {e.name}" for e in n.electors.all())


CLAUSE_HEAD = re.compile(r"^第\s*[0-9一二三四五六七八九十百]+\s*条\s*(.*)$")


def parse_clauses(text, previous=()) -> list[dict]:
    """The contract's text as typed: clauses separated by a blank line, each "第N条 标题" then its
    text. A clause keeps the topic of the earlier clause with the same title."""
    topics = {c.get("title"): c.get("topic") for c in previous}
    clauses = []
    for block in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip()):
        lines = [line.rstrip() for line in block.strip().splitlines()]
        if not lines or not lines[0]:
            continue
        head = CLAUSE_HEAD.match(lines[0].strip())
        title = head.group(1).strip() if head else lines[0].strip()
        body = "\n".join(lines[1:]).strip()
        clauses.append({"topic": topics.get(title), "title": title, "text": body})
    return clauses


class ContractForm(InputForm):
    text = TextFormField(label=_("合同文本"), multiline=True, widget=forms.Textarea(attrs={"rows": 18}),
                         help_text=_("每条一段，段与段之间空一行；每段第一行为“第N条 标题”，其后为条款内容。"))
    note = TextFormField(label=_("修改说明"), max_length=200, required=False)
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.subject.current_version()
        self.fields["text"].initial = version.text if version else ""

    def clauses(self):
        version = self.subject.current_version()
        return parse_clauses(self.cleaned_data["text"], version.clauses if version else ())


class RenewalForm(InputForm):
    comment = comment_field()


class UnionNoteForm(InputForm):
    """The union side's own brief on a topic: union staff only (services.set_union_note)."""

    topic = ModelChoice(label=_("议题"), queryset=None)
    priority = forms.IntegerField(label=_("优先级（1最高）"), required=False, min_value=1, max_value=5)
    target_value = forms.DecimalField(label=_("目标值"), required=False, max_digits=12, decimal_places=2)
    walk_away_value = forms.DecimalField(label=_("底线值"), required=False, max_digits=12, decimal_places=2)
    note = TextFormField(label=_("内部备注"), required=False, multiline=True, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, topic=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = self.subject.topics.all()
        if topic is not None and not self.is_bound:
            self.fields["topic"].initial = topic.pk
            note = getattr(topic, "union_note", None)
            if note is not None:
                for name in ("priority", "target_value", "walk_away_value", "note"):
                    self.fields[name].initial = getattr(note, name)

