"""One declaration per transition, offered alike by the API, the pages and the admin.

Walks every FSM transition of every model of every installed module (core/transitions.py):
each has exactly one declaration, and each declaration is a transition of the FSM; the API
serializer and the page's form are made from the same inputs; the API routes it and documents it
in the OpenAPI schema; a page serves its form; the admin has its button (and form or bulk action).
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from django.utils import translation
from django_fsm import FSMFieldMixin
from rest_framework.test import APIClient

from core.admin import TransitionAdminMixin
from core.api import TransitionViewSetMixin
from core.transitions import MACHINES, machine_for, transition_names
from core.views import TransitionView
from tests.scenarios import make_user

STATEFUL = [m for m in apps.get_models() if any(isinstance(f, FSMFieldMixin) for f in m._meta.fields)]


def test_every_stateful_model_has_a_machine():
    assert STATEFUL, "no model with a state machine found"
    assert {m._meta.label for m in STATEFUL} == {m._meta.label for m in MACHINES}


@pytest.mark.parametrize("model", STATEFUL, ids=lambda m: m._meta.label)
def test_each_fsm_transition_has_exactly_one_declaration(model):
    machine = machine_for(model)
    fsm = transition_names(model)
    assert sorted(fsm) == sorted(machine.transitions), "FSM transitions and declarations differ"
    assert len(fsm) == len(set(fsm))
    for declared in machine:
        assert str(declared.label).strip(), f"{declared.name} has no label"
        assert declared.style in ("", "primary", "danger")
        # the permission on the FSM edge is the declaration's
        for edge in getattr(model, declared.name)._django_fsm.transitions.values():
            assert edge.permission.__name__ == f"may_{declared.name}"


@pytest.mark.parametrize("model", STATEFUL, ids=lambda m: m._meta.label)
def test_form_and_serializer_are_made_from_the_same_inputs(model):
    for declared in machine_for(model):
        form_fields = set(declared.form().fields)
        serializer_fields = set(declared.serializer().fields)
        assert form_fields == serializer_fields == {"comment", *declared.inputs}, declared.name


@pytest.mark.parametrize("model", STATEFUL, ids=lambda m: m._meta.label)
def test_labels_are_one_table_for_buttons_timeline_and_documents(model):
    machine = machine_for(model)
    for name, label in machine.labels.items():
        assert machine.event_labels[name] is label  # the timeline (pages and PDFs) uses the same label


def _viewsets():
    from rest_framework.routers import BaseRouter

    found = {}
    for module in ("core.urls", "casework.urls", "mediation.urls", "bargaining.urls", "legal_checkup.urls"):
        router = __import__(module, fromlist=["router"]).router
        assert isinstance(router, BaseRouter)
        for _prefix, viewset, _basename in router.registry:
            queryset = getattr(viewset, "queryset", None)
            if queryset is not None:
                found[queryset.model] = viewset
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("model", STATEFUL, ids=lambda m: m._meta.label)
def test_the_api_offers_every_declared_transition(model):
    viewset = _viewsets()[model]
    assert issubclass(viewset, TransitionViewSetMixin)
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    paths = [p for p in schema["paths"] if p.endswith("/transitions/{name}/")]
    offered = []
    for path in paths:
        for parameter in schema["paths"][path]["post"]["parameters"]:
            if parameter["name"] == "name":
                offered.append(set(parameter["schema"]["enum"]))
    assert set(machine_for(model).transitions) in offered


def _transition_views():
    views = []

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            elif isinstance(p, URLPattern) and getattr(p.callback, "view_class", None) is TransitionView:
                views.append(p.callback.view_initkwargs)

    walk(get_resolver().url_patterns)
    return views


@pytest.mark.django_db
@pytest.mark.parametrize("model", STATEFUL, ids=lambda m: m._meta.label)
def test_a_page_serves_every_declared_transition(model):
    user = make_user()
    served = [kw for kw in _transition_views() if kw["visible"](user).model is model]
    assert len(served) == 1, f"{model._meta.label}: {len(served)} transition views"


@pytest.mark.parametrize("model", STATEFUL, ids=lambda m: m._meta.label)
def test_the_admin_has_a_button_for_every_declared_transition(model):
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, TransitionAdminMixin)
    machine = machine_for(model)
    with_inputs = {t.name for t in machine if t.inputs}
    assert set(model_admin.fsm_forms) == with_inputs
    for declared in machine:
        edge = next(iter(getattr(model, declared.name)._django_fsm.transitions.values()))
        assert model_admin.get_fsm_label(edge) == declared.label


def test_declared_labels_read_in_english_too():
    """Labels are lazily translated: the English interface gets English labels."""
    with translation.override("en"):
        for machine in MACHINES.values():
            for name, label in machine.event_labels.items():
                text = str(label)
                assert text and not any("\u4e00" <= ch <= "\u9fff" for ch in text), f"{name}: {text}"
