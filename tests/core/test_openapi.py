"""The OpenAPI schema tells the truth without running the fuzzer (`make fuzz-api` runs it live).

The schema comes from the configured generator (SPECTACULAR_SETTINGS: core.api.SchemaGenerator),
in-process; each rule below is one the fuzzer once found broken.
"""

import json

import pytest
from django.core.management import call_command
from django.test import override_settings
from drf_spectacular.settings import spectacular_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema():
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    return generator.get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_configured_generator_is_the_project_s():
    from core.api import SchemaGenerator

    assert spectacular_settings.DEFAULT_GENERATOR_CLASS is SchemaGenerator


def test_every_operation_documents_the_statuses_it_shares(schema):
    missing = []
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        anonymous = path in ("/api/v1/verify/{code}/",) or (path, method) == ("/api/v1/auth/token/", "post")
        wanted = {"429"}
        if not anonymous:
            wanted |= {"401"}
        if "requestBody" in operation:
            wanted |= {"400"}
        if "{" in path:
            wanted |= {"404"}
        if method != "get" and not anonymous:
            wanted |= {"403"}  # a session's write without its CSRF token, at least
        if "/transitions/{name}/" in path:
            wanted |= {"400", "403", "404", "409"}
        if not wanted <= codes:
            missing.append(f"{method.upper()} {path}: {sorted(wanted - codes)}")
    assert not missing, "\n".join(missing)


def test_error_responses_have_their_body(schema):
    for path, method, operation in operations(schema):
        for code in ("401", "404", "429"):
            entry = operation["responses"].get(code)
            if entry is not None:
                assert "application/json" in entry.get("content", {}), (method, path, code)


def test_anonymous_operations_do_not_claim_401(schema):
    # The public verification takes no credentials, so it never answers 401.
    assert "401" not in schema["paths"]["/api/v1/verify/{code}/"]["get"]["responses"]


def test_paginated_lists_document_404_and_positive_page_parameters(schema):
    operation = schema["paths"]["/api/v1/cases/"]["get"]
    assert "404" in operation["responses"]  # a page past the last
    for parameter in operation["parameters"]:
        if parameter["name"] in ("page", "page_size"):
            assert parameter["schema"]["minimum"] == 1


def test_bodies_are_json_and_uploads_multipart(schema):
    assert list(schema["paths"]["/api/v1/cases/"]["post"]["requestBody"]["content"]) == ["application/json"]
    assert list(schema["paths"]["/api/v1/cases/{id}/evidence/"]["post"]["requestBody"]["content"]) == [
        "multipart/form-data"]


def test_a_blank_filter_is_documented_as_no_filter(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert parameters["received_before"]["allowEmptyValue"] is True
    assert parameters["page_size"]["allowEmptyValue"] is True


def test_a_decimal_input_may_be_a_number(schema):
    prop = _property(schema, "UnionNoteInput", "walk_away_value")
    assert {"type": "number"} in prop["oneOf"]


def _property(schema, component, name):
    return schema["components"]["schemas"][component]["properties"][name]


def _allows_blank(schema, prop) -> bool:
    refs = [v["$ref"].rsplit("/", 1)[-1] for v in prop.get("oneOf", []) if "$ref" in v]
    return "" in prop.get("enum", []) or any(
        "" in schema["components"]["schemas"][ref].get("enum", []) for ref in refs)


@pytest.mark.parametrize("component, field", [
    ("CaseList", "outcome"), ("CaseDetail", "outcome"),
    ("MediationList", "procedure"), ("MediationDetail", "procedure"),
])
def test_enums_include_the_blank_that_is_returned(schema, component, field):
    assert _allows_blank(schema, _property(schema, component, field)), (component, field)


@pytest.mark.parametrize("component, field", [
    ("CaseList", "legal_aid_by"), ("CaseDetail", "legal_aid_by"), ("CaseList", "handler"),
    ("MediationList", "mediator"), ("MediationDetail", "mediator"),
    ("OfferedClause", "used_in"), ("UnionNote", "updated_at"),
])
def test_nullable_nested_objects_are_nullable(schema, component, field):
    assert _property(schema, component, field).get("nullable") is True, (component, field)


def test_the_agreement_is_nullable_where_it_is_returned(schema):
    found = [name for name, component in schema["components"]["schemas"].items()
             if "agreement" in component.get("properties", {})]
    assert found
    for name in found:
        prop = _property(schema, name, "agreement")
        if prop.get("type") == "object" or "allOf" in prop or "$ref" in prop:
            assert prop.get("nullable") is True, name


def test_the_figures_table_is_one_object(schema):
    body = schema["paths"]["/api/v1/checkup-figures/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert body["schema"].get("type") != "array"


def test_the_schema_validates_without_warnings(tmp_path):
    # As `manage.py spectacular --validate --fail-on-warn`: OpenAPI 3 valid, no generator warning.
    out = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(out))
    assert json.loads(out.read_text())["paths"]


# --- behaviour the fuzzer found wrong -------------------------------------------------------------


@pytest.fixture
def supervisor():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username="openapi.supervisor", password="x")
    user.groups.add(Group.objects.get(name="supervisor"))
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_unrouted_api_path_is_a_json_404():
    response = APIClient().get("/api/v1/cases/0.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_an_unrouted_api_write_is_a_json_404_not_a_csrf_page(supervisor):
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "whatever"
    response = client.patch("/api/v1/checkups/0.5/assessments/0/", {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_without_a_slash_an_api_path_is_still_redirected():
    response = APIClient().get("/api/v1/cases")
    assert response.status_code == 301
    assert response["Location"].endswith("/api/v1/cases/")


@pytest.mark.parametrize("query", ["page_size=0", "page_size=abc", "page_size=-3"])
def test_a_page_size_that_is_no_positive_number_is_a_400(supervisor, query):
    response = supervisor.get(f"/api/v1/organisations/?{query}")
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_large_or_blank_page_size_is_taken(supervisor):
    assert supervisor.get("/api/v1/organisations/?page_size=100000").status_code == 200
    assert supervisor.get("/api/v1/organisations/?page_size=").status_code == 200


@pytest.mark.parametrize("query", ["platform=0.5", "is_union_member=null", "is_union_member=maybe"])
def test_a_filter_value_of_the_wrong_type_is_a_400(supervisor, query):
    response = supervisor.get(f"/api/v1/workers/?{query}")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("query", ["is_union_member=true", "is_union_member=false", "is_union_member=",
                                   "platform=1"])
def test_filter_values_of_the_right_type_are_taken(supervisor, query):
    assert supervisor.get(f"/api/v1/workers/?{query}").status_code == 200


def test_a_number_for_a_text_is_a_400(supervisor):
    response = supervisor.post("/api/v1/cases/", {"title": 0, "channel": "hotline"}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()


def test_an_error_asked_for_as_pdf_is_labelled_json():
    response = APIClient().get("/api/v1/documents/0/download/?format=pdf", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


@override_settings(LANGUAGE_CODE="en")
def test_a_blank_staff_role_is_all_staff(supervisor):
    assert supervisor.get("/api/v1/staff/?role=").status_code == 200


def test_a_number_for_a_boolean_is_a_400(supervisor):
    response = supervisor.post("/api/v1/organisations/", {"name": "某公司", "kind": "union", "override_credit_code": 0},
                               format="json")
    assert response.status_code == 400
    assert "override_credit_code" in response.json()


def test_the_case_list_s_is_group_takes_true_or_false_only(supervisor):
    assert supervisor.get("/api/v1/cases/?is_group=-58800").status_code == 400
    assert supervisor.get("/api/v1/cases/?is_group=true").status_code == 200


def test_what_only_union_staff_get_is_not_required(schema):
    required = set(schema["components"]["schemas"]["StaffAssessment"].get("required", []))
    assert "assessed_at" not in required and "id" in required
    assert "review_comment" not in set(schema["components"]["schemas"]["StaffFinding"].get("required", []))


def test_the_workload_documents_its_refusal(schema):
    assert "403" in schema["paths"]["/api/v1/mediations/workload/"]["get"]["responses"]


@pytest.mark.parametrize("collection", ["organisations", "workers", "cases", "mediations"])
def test_a_nul_in_the_search_is_a_field_error(supervisor, collection):
    """schemathesis found DRF's SearchFilter answering a NUL character with a bare list."""
    response = supervisor.get(f"/api/v1/{collection}/?search=a%00b")
    assert response.status_code == 400
    assert list(response.json()) == ["search"]


def test_a_blank_format_is_documented_where_a_format_is_chosen(schema):
    """`?format=` left empty is answered as without it (schemathesis found a 200 outside the enum)."""
    download = schema["paths"]["/api/v1/documents/{id}/download/"]["get"]
    (fmt,) = [p for p in download["parameters"] if p["name"] == "format"]
    assert "" in fmt["schema"]["enum"] and "pdf" in fmt["schema"]["enum"]
