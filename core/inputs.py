"""Input fields defined once, made into both a DRF serializer field and a Django form field.

A transition declaration (core/transitions.py) lists its inputs with these; `serializer_for()` and
`form_for()` build the API's input serializer and the page's (and the admin's) form from the same
list, so the API and the screens ask for the same things, under the same names, and hand the same
keyword arguments to the same service. The fields only parse, with the rules every input obeys
(core/limits.py: texts without control characters and with something visible, dates in their
plausible range); every rule about the values in their context stays in the module's services,
which check the same limits again, so all paths refuse the same things the same way.

`TextField`/`DateField` (DRF) and `TextFormField`/`DateFormField` (forms) are those fields, for
hand-written serializers and forms too.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from . import limits

# Large enough for any amount the models hold; two decimals like every money column.
MONEY = {"max_digits": 14, "decimal_places": 2}
# <input type="date"> takes only ISO dates, whatever the language's display format.
DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
DATETIME_INPUT = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


# --------------------------------------------------------------------------------------------------
# Fields with the limits of core/limits.py
# --------------------------------------------------------------------------------------------------


def _invisible(raw: str, cleaned: str) -> bool:
    """A value that had characters and has nothing visible left once cleaned."""
    return (bool(cleaned) and not limits.has_visible(cleaned)) or (not cleaned and bool(raw.strip()))


class TextField(serializers.CharField):
    """A text without control or format characters (core.limits.clean_text); a value with nothing
    visible left is refused (a blank one is handled as DRF does: `allow_blank`)."""

    def __init__(self, *, multiline=False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        if data is not empty and data is not None and not isinstance(data, str):
            # DRF would take 0 for "0": a text is a string (JSON), as the schema says.
            self.fail("invalid")
        if isinstance(data, str):
            cleaned = limits.clean_text(data, multiline=self.multiline)
            if _invisible(data, cleaned):
                raise serializers.ValidationError(limits.invisible_message())
            data = cleaned
        return super().run_validation(data)


class DateField(serializers.DateField):
    """A date in the plausible range (core.limits.date_problem): not before WEIQUAN_EARLIEST_DATE;
    with `past` (when something happened) not after today, else within WEIQUAN_LATEST_YEARS_AHEAD."""

    def __init__(self, *, past=True, **kwargs):
        self.past = past
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        problem = limits.date_problem(day, past=self.past)
        if problem:
            raise serializers.ValidationError(problem)
        return day


class TextFormField(forms.CharField):
    """The form twin of TextField."""

    def __init__(self, *, multiline=False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_python(self, value):
        raw = super().to_python(value)
        cleaned = limits.clean_text(raw, multiline=self.multiline)
        if _invisible(raw, cleaned):
            raise forms.ValidationError(limits.invisible_message(), code="invisible")
        return cleaned


class DateFormField(forms.DateField):
    """The form twin of DateField."""

    def __init__(self, *, past=True, **kwargs):
        self.past = past
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        problem = limits.date_problem(value, past=self.past)
        if problem:
            raise forms.ValidationError(problem, code="date_range")


# A select's first line when nothing is chosen yet (Django's is "---------").
CHOOSE = _("请选择…")


class ModelChoice(forms.ModelChoiceField):
    """A row chosen from a select whose empty line asks for a choice."""

    def __init__(self, *args, empty_label=CHOOSE, **kwargs):
        super().__init__(*args, empty_label=empty_label, **kwargs)


class UserChoiceField(ModelChoice):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


def staff_users(*roles):
    """Active users, of any of `roles` when given, by name."""
    users = get_user_model().objects.filter(is_active=True)
    if roles:
        users = users.filter(groups__name__in=roles)
    return users.distinct().order_by("first_name", "username")


class Input:
    """One input: `label` and `help_text` for the screens, `required` for both."""

    def __init__(self, label, *, required=True, help_text="", form_field=None, widget=None):
        self.label = label
        self.required = required
        self.help_text = help_text
        self.form_field_class = form_field
        self.widget = widget

    # The two builders; subclasses say what their field is.
    def serializer_field(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def form_field(self):
        options = {"label": self.label, "required": self.required, "help_text": self.help_text}
        if self.widget is not None:
            options["widget"] = self.widget
        cls, extra = self._form()
        return (self.form_field_class or cls)(**options, **extra)

    def _form(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _optional(self, empty):
        """What an optional API field defaults to when left out."""
        return {} if self.required else {"required": False, "default": empty}


class Text(Input):
    def __init__(self, label, *, multiline=False, max_length=None, **kw):
        super().__init__(label, **kw)
        self.multiline = multiline
        self.max_length = max_length
        if multiline and self.widget is None:
            self.widget = forms.Textarea(attrs={"rows": 3})

    def serializer_field(self):
        extra = {"max_length": self.max_length} if self.max_length else {}
        if not self.required:
            extra.update(required=False, allow_blank=True, default="")
        return TextField(multiline=self.multiline, **extra)

    def _form(self):
        return TextFormField, {"multiline": self.multiline, **({"max_length": self.max_length} if self.max_length else {})}


class Boolean(Input):
    def __init__(self, label, **kw):
        super().__init__(label, required=False, **kw)

    def serializer_field(self):
        return serializers.BooleanField(required=False, default=False)

    def _form(self):
        return forms.BooleanField, {}


class Integer(Input):
    def __init__(self, label, *, min_value=None, **kw):
        super().__init__(label, **kw)
        self.min_value = min_value

    def serializer_field(self):
        return serializers.IntegerField(min_value=self.min_value, **self._optional(None), **({} if self.required else {"allow_null": True}))

    def _form(self):
        return forms.IntegerField, {"min_value": self.min_value}


class Money(Input):
    """An amount in yuan, two decimals."""

    def __init__(self, label, *, min_value=None, **kw):
        super().__init__(label, **kw)
        self.min_value = min_value

    def serializer_field(self):
        extra = {} if self.required else {"required": False, "allow_null": True, "default": None}
        return serializers.DecimalField(**MONEY, **extra)

    def _form(self):
        return forms.DecimalField, {**MONEY, "min_value": self.min_value}


class Date(Input):
    """A date in the plausible range (core/limits.py). `past` (the default): the date something
    happened, so not after today; `past=False` for a date that may lie ahead (a due date)."""

    def __init__(self, label, *, null=False, past=True, **kw):
        # null: the API takes an explicit null (the service then says what is missing)
        kw.setdefault("widget", DATE_INPUT)
        super().__init__(label, **kw)
        self.null = null
        self.past = past

    def serializer_field(self):
        if self.required:
            return DateField(past=self.past, allow_null=self.null)
        return DateField(past=self.past, required=False, allow_null=True, default=None)

    def _form(self):
        return DateFormField, {"past": self.past}


class HappenedOn(Date):
    """The day the action happened, for an action recorded after the fact (a case accepted at a
    walk-in desk while offline, a joint application filed yesterday): optional, today (the local
    date) when left out, never after today. The service takes it through core.limits.happened_on,
    which also refuses a day before the object's previous step, uses it for the stored dates and
    the deadlines counted from them, and journals it under the input's name (the event's own time
    stays the time of entry)."""

    def __init__(self, label=_("发生日期"), *, help_text=None, **kw):
        if help_text is None:
            help_text = _("默认今天；事后补记的，填写实际发生的日期（不能晚于今天）。")
        super().__init__(label, required=False, past=True, help_text=help_text, **kw)


class Choice(Input):
    def __init__(self, label, *, choices, **kw):
        super().__init__(label, **kw)
        self.choices = choices

    def serializer_field(self):
        if self.required:
            return serializers.ChoiceField(choices=self.choices)
        return serializers.ChoiceField(choices=self.choices, required=False, allow_blank=True, default="")

    def _form(self):
        choices = list(self.choices) if self.required else [("", "—"), *self.choices]
        return forms.ChoiceField, {"choices": choices}


class Model(Input):
    """A row chosen by id. `queryset` (a callable, read when a form is built) gives the page's
    choices; the API takes any row of `api_queryset` when given (the service says why a row of the
    wrong kind is refused), else the same choices."""

    def __init__(self, label, *, queryset, api_queryset=None, **kw):
        super().__init__(label, **kw)
        self.queryset = queryset
        self.api_queryset = api_queryset

    def serializer_field(self):
        extra = {} if self.required else {"required": False, "allow_null": True, "default": None}
        return serializers.PrimaryKeyRelatedField(queryset=(self.api_queryset or self.queryset)(), **extra)

    def _form(self):
        return ModelChoice, {"queryset": self.queryset()}


class User(Model):
    """An active user, of one of `roles` on the screens (the API takes any active user: the
    service says why a user who may not do the work is refused)."""

    def __init__(self, label, *, roles=(), **kw):
        super().__init__(label, queryset=lambda: staff_users(*roles), **kw)
        self.roles = roles

    def serializer_field(self):
        extra = {} if self.required else {"required": False, "allow_null": True, "default": None}
        return serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True), **extra)

    def _form(self):
        return UserChoiceField, {"queryset": self.queryset()}


class Rows(Input):
    """A list of rows, each with the inputs in `columns` (e.g. instalments: due date and amount).
    The form needs a field that reads such rows from the page (`form_field=`)."""

    def __init__(self, label, *, columns: dict[str, Input], form_field, **kw):
        super().__init__(label, form_field=form_field, **kw)
        self.columns = columns

    def serializer_field(self, name="RowSerializer"):
        # `name`: the row's OpenAPI component, one per declaration and field (serializer_for).
        row = type(name, (serializers.Serializer,), {n: c.serializer_field() for n, c in self.columns.items()})
        if self.required:
            return row(many=True)
        return row(many=True, required=False, default=list)

    def _form(self):
        return forms.Field, {}


def serializer_for(name: str, inputs: dict[str, Input]) -> type[serializers.Serializer]:
    """The API input serializer: `comment` plus the inputs, named as the service's arguments."""
    attrs = {"comment": TextField(multiline=True, required=False, allow_blank=True, default="")}
    for field_name, spec in inputs.items():
        if isinstance(spec, Rows):
            row = name.removesuffix("Serializer") + "".join(p.title() for p in field_name.split("_")) + "RowSerializer"
            attrs[field_name] = spec.serializer_field(name=row)
        else:
            attrs[field_name] = spec.serializer_field()
    return type(name, (serializers.Serializer,), attrs)


class InputForm(forms.Form):
    """Base of the built forms: they know the object they act on (`subject`), for fields whose
    choices depend on it, and may add to the page (`extra_context()`)."""

    def __init__(self, *args, subject=None, **kwargs):
        self.subject = subject
        super().__init__(*args, **kwargs)

    def extra_context(self) -> dict:
        return {}


def form_for(name: str, inputs: dict[str, Input], *, bases=(), comment_label=None) -> type[forms.Form]:
    """The page's form: the inputs, then `comment`."""
    attrs = {field_name: spec.form_field() for field_name, spec in inputs.items()}
    attrs["comment"] = TextFormField(multiline=True, label=comment_label or _("备注"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    return type(name, (*bases, InputForm), attrs)


class FilterForm(forms.Form):
    """A list's filter form whose cleaned values are the query parameters of the API's filter
    (django-filter does the filtering for the page and the API alike). Subclasses name their
    fields by kind: several values, one value, yes/no."""

    multiple: tuple[str, ...] = ()
    single: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    def api_params(self):
        from django.http import QueryDict

        data = self.cleaned_data
        params = QueryDict(mutable=True)
        for name in self.multiple:
            if data.get(name):
                params.setlist(name, data[name])
        for name in self.single:
            if data.get(name):
                params[name] = data[name]
        for name in self.flags:
            if data.get(name):
                params[name] = "true"
        return params
