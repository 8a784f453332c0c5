"""Every document kind generates for every object that may have it (issue 12, item 2).

For each registered kind (core.documents.REGISTRY), an object of every source in every state the
kind is offered in is built through the services, each kind offered in that state is rendered for
real (WeasyPrint, synchronously, one object per source and state shared by its kinds) and read
back with pdftotext: its title, its number, the owner's number and every party's name are printed,
and no resident ID number in full (stored documents are masked).

The objects come from each module's `tests/<app>/document_objects.py`:

    OBJECTS = {(model label, source, state): builder}   # builder() -> the object, via the services
    SOURCES = {model label: [source, ...]}               # optional; a model without sources: [""]
    key_text(obj) -> [str]                               # printed on every one of its documents
    full_ids(obj) -> [str]                               # never printed in full

A module whose `document_objects.py` leaves out a kind, source or state fails
`test_every_kind_has_objects_in_every_source_and_state_it_is_offered_in`, which names what is
missing; so does a module without one.
"""

from importlib import import_module

import pytest
from django.apps import apps

from core import documents
from tests.casework.test_documents import flat, pdf_text
from tests.scenarios import supervisor


def _object_modules():
    found = {}
    for config in apps.get_app_configs():
        try:
            found[config.label] = import_module(f"tests.{config.label}.document_objects")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"tests.{config.label}", f"tests.{config.label}.document_objects"):
                raise
    return found


MODULES = _object_modules()
OBJECTS = {key: (module, build) for module in MODULES.values() for key, build in module.OBJECTS.items()}
SOURCES = {label: list(sources) for module in MODULES.values() for label, sources in getattr(module, "SOURCES", {}).items()}


def offered_states(kind) -> list[str]:
    if kind.states is not None:
        return list(kind.states)
    name = documents.state_field_name(kind.model_class())
    return [str(v) for v, _label in kind.model_class()._meta.get_field(name).flatchoices] if name else [""]


APPS_WITH_DOCUMENTS = sorted({kind.model.split(".")[0] for kind in documents.REGISTRY.values()})


@pytest.mark.parametrize("app_label", APPS_WITH_DOCUMENTS)
def test_every_kind_has_objects_in_every_source_and_state_it_is_offered_in(app_label):
    assert app_label in MODULES, f"{app_label} registers document kinds but has no tests/{app_label}/document_objects.py"
    missing = [
        f"{kind.model} {kind.name}: source {source or '-'}, state {state or '-'}"
        for kind in documents.REGISTRY.values() if kind.model.split(".")[0] == app_label
        for source in SOURCES.get(kind.model, [""])
        for state in offered_states(kind)
        if (kind.model, source, state) not in OBJECTS
    ]
    assert not missing, (
        f"No object to render these documents on; add builders to tests/{app_label}/document_objects.py "
        "(see tests/mediation/document_objects.py):\n" + "\n".join(missing)
    )


def _offered(label, state):
    return [k for k in documents.kinds_for(label) if k.allowed_in(state)]


CASES = sorted(key for key in OBJECTS if _offered(key[0], key[2]))


@pytest.mark.django_db
@pytest.mark.parametrize("label,source,state", CASES, ids=["-".join(x or "-" for x in key) for key in CASES])
def test_every_kind_offered_renders_and_reads_back(label, source, state):
    module, build = OBJECTS[(label, source, state)]
    obj = build()
    obj = type(obj)._default_manager.get(pk=obj.pk)  # as the worker reads it
    assert documents.owner_state(obj) == state, f"the builder made a {documents.owner_state(obj)} object"
    expected, full_ids = module.key_text(obj), module.full_ids(obj)
    actor = supervisor()
    for kind in _offered(label, state):
        document, _created = documents.request(obj, kind, actor=actor)
        document = documents.render_and_store(document.pk)
        assert document.status == "ready" and document.pages >= 1, f"{kind.name}: {document.error}"
        with document.file.open("rb") as f:
            text = flat(pdf_text(f.read()))
        assert flat(kind.title) in text and document.number in text, kind.name
        absent = [t for t in expected if flat(t) not in text]
        assert not absent, f"{kind.name} ({source or '-'}, {state or '-'}) does not print {absent}"
        shown = [i for i in full_ids if i in text]
        assert not shown, f"{kind.name} prints resident ID numbers in full: {shown}"
