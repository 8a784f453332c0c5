"""Workers and organisations through casework.services (DESIGN.md, "Personal data").

Resident ID numbers: validated, stored encrypted, found again through a keyed digest, shown masked.
Credit codes: format is a hard check; a checksum failure is a warning only a supervisor overrides.
"""

import hashlib
import hmac

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from core import identifiers
from core import services
from core.models import Organisation, Worker, resident_id_digest
from core.roles import Role
from tests.scenarios import make_user, valid_credit_code

pytestmark = pytest.mark.django_db

TEXTBOOK_ID = "11010519491231002X"  # GB 11643 checksum verified by hand in test_identifiers.py
OTHER_ID = "440524188001010014"
GOOD_CODE = "91110000802100433B"  # GB 32100 checksum verified by hand in test_identifiers.py
BAD_CHECKSUM_CODE = "91110000802100433A"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def officer():
    return make_user(Role.INTAKE_OFFICER)


@pytest.fixture
def supervisor():
    return make_user(Role.SUPERVISOR)


def _register(actor, **kw):
    kw.setdefault("name", "王师傅")
    kw.setdefault("id_number", TEXTBOOK_ID)
    kw.setdefault("occupation", Worker.Occupation.RIDER)
    return services.register_worker(actor=actor, **kw)


def _field_errors(excinfo):
    return excinfo.value.message_dict


# --------------------------------------------------------------------------------------------------
# Workers
# --------------------------------------------------------------------------------------------------


def test_resident_id_is_encrypted_at_rest(officer):
    worker = _register(officer)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_digest FROM core_worker WHERE id = %s", [worker.pk])
        stored, digest = cursor.fetchone()
    assert stored != TEXTBOOK_ID
    assert TEXTBOOK_ID not in stored and "19491231" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert TEXTBOOK_ID not in digest
    # The ORM gives the clear number back to code that is allowed to read it.
    assert Worker.objects.get(pk=worker.pk).id_number == TEXTBOOK_ID


def test_encryption_is_randomised_so_equal_numbers_do_not_match_in_the_table(officer):
    # Two rows with one number would show equal ciphertexts if encryption were deterministic;
    # compare two encryptions of the same value through the field itself.
    field = Worker._meta.get_field("id_number")
    assert field.get_prep_value(TEXTBOOK_ID) != field.get_prep_value(TEXTBOOK_ID)


def test_digest_is_keyed_hmac_not_a_plain_hash(officer):
    worker = _register(officer)
    expected = hmac.new(settings.FIELD_ENCRYPTION_KEY.encode(), TEXTBOOK_ID.encode(), hashlib.sha256).hexdigest()
    assert worker.id_number_digest == expected
    # A plain (unkeyed) sha256 of the number would let anyone with the table brute-force IDs.
    assert worker.id_number_digest != hashlib.sha256(TEXTBOOK_ID.encode()).hexdigest()


def test_lookup_by_digest_finds_any_spelling_of_the_number(officer):
    worker = _register(officer)
    assert services.find_worker(id_number=TEXTBOOK_ID) == worker
    assert services.find_worker(id_number="11010519491231002x") == worker
    assert services.find_worker(id_number=" 110105 19491231 002x ") == worker
    assert services.find_worker(id_number="１１０１０５１９４９１２３１００２Ｘ") == worker
    assert services.find_worker(id_number=OTHER_ID) is None
    assert resident_id_digest("11010519491231002x") == resident_id_digest(TEXTBOOK_ID)


def test_masked_everywhere_it_is_shown(officer):
    worker = _register(officer)
    assert worker.id_number_masked == "110105********002X"
    assert TEXTBOOK_ID not in str(worker)
    assert "110105********002X" in str(worker)


def test_lower_case_x_is_stored_upper_case(officer):
    worker = _register(officer, id_number="11010519491231002x")
    assert Worker.objects.get(pk=worker.pk).id_number == TEXTBOOK_ID


@pytest.mark.parametrize(
    "spelling",
    [TEXTBOOK_ID, "11010519491231002x", " 11010519491231002X ", "１１０１０５１９４９１２３１００２Ｘ", "１１０１０５１９４９１２３１００２X"],
)
def test_duplicate_resident_id_is_refused_however_it_is_typed(officer, spelling):
    _register(officer)
    with pytest.raises(ValidationError) as excinfo:
        _register(officer, name="另一人", id_number=spelling)
    assert "id_number" in _field_errors(excinfo)
    assert Worker.objects.count() == 1


@pytest.mark.parametrize("bad", ["110105194912310021", "11010519490230002X", "1101051949123100", "not an id"])
def test_invalid_resident_id_is_a_field_error_and_nothing_is_stored(officer, bad):
    with pytest.raises(ValidationError) as excinfo:
        _register(officer, id_number=bad)
    assert "id_number" in _field_errors(excinfo)
    assert not Worker.objects.exists()


def test_phone_is_normalised_and_searchable(officer):
    worker = _register(officer, phone="138 0013 8000")
    assert worker.phone == "+8613800138000"
    assert services.find_worker(phone="+86 13800138000") == worker
    assert services.find_worker(phone="13900000000") is None
    assert services.find_worker(phone="not a phone") is None


def test_invalid_phone_is_a_field_error(officer):
    with pytest.raises(ValidationError) as excinfo:
        _register(officer, phone="1380013800")
    assert set(_field_errors(excinfo)) == {"phone"}


def test_all_field_errors_are_reported_together(officer):
    with pytest.raises(ValidationError) as excinfo:
        services.register_worker(actor=officer, name=" ", id_number="123", occupation="astronaut", phone="12")
    assert set(_field_errors(excinfo)) == {"name", "id_number", "occupation", "phone"}


def test_only_intake_staff_register_workers():
    lawyer = make_user(Role.LAWYER)
    with pytest.raises(PermissionDenied):
        _register(lawyer)
    assert not Worker.objects.exists()


def test_platforms_are_linked(officer, supervisor):
    platform = services.register_organisation(actor=supervisor, name="某外卖平台", kind="platform", credit_code=GOOD_CODE)
    worker = _register(officer, platforms=[platform])
    assert list(worker.platforms.all()) == [platform]


# --------------------------------------------------------------------------------------------------
# Organisations and credit codes
# --------------------------------------------------------------------------------------------------


def _org(actor, **kw):
    kw.setdefault("name", "某配送服务有限公司")
    kw.setdefault("kind", Organisation.Kind.AGENT)
    return services.register_organisation(actor=actor, **kw)


def test_valid_credit_code_is_stored_normalised(officer):
    org = _org(officer, credit_code=GOOD_CODE.lower())
    assert org.credit_code == GOOD_CODE
    assert org.credit_code_checksum_ok
    assert org.credit_code_overridden_by is None and org.credit_code_override_reason == ""


def test_built_code_from_the_scenarios_helper_passes(officer):
    code = valid_credit_code(4242)
    org = _org(officer, credit_code=code)
    assert identifiers.credit_code_checksum_ok(org.credit_code)


def test_checksum_failure_without_override_is_a_field_error(officer, supervisor):
    for actor in (officer, supervisor):
        with pytest.raises(ValidationError) as excinfo:
            _org(actor, credit_code=BAD_CHECKSUM_CODE)
        assert "credit_code" in _field_errors(excinfo)
    assert not Organisation.objects.exists()


def test_intake_officer_may_not_override(officer):
    with pytest.raises(PermissionDenied):
        _org(officer, credit_code=BAD_CHECKSUM_CODE, override_credit_code=True, override_reason="早期试点代码")
    assert not Organisation.objects.exists()


def test_supervisor_override_needs_a_reason(supervisor):
    with pytest.raises(ValidationError) as excinfo:
        _org(supervisor, credit_code=BAD_CHECKSUM_CODE, override_credit_code=True, override_reason="  ")
    assert "override_reason" in _field_errors(excinfo)
    assert not Organisation.objects.exists()


def test_supervisor_override_is_stored_with_reason_and_who(supervisor):
    org = _org(supervisor, credit_code=BAD_CHECKSUM_CODE, override_credit_code=True,
               override_reason=" 2015年试点期间核发，经登记机关电话核实 ")
    org.refresh_from_db()
    assert org.credit_code == BAD_CHECKSUM_CODE
    assert not org.credit_code_checksum_ok
    assert org.credit_code_overridden_by == supervisor
    assert org.credit_code_override_reason == "2015年试点期间核发，经登记机关电话核实"


def test_override_of_a_valid_code_records_nothing(supervisor):
    org = _org(supervisor, credit_code=GOOD_CODE, override_credit_code=True, override_reason="不需要")
    assert org.credit_code_overridden_by is None and org.credit_code_override_reason == ""


@pytest.mark.parametrize("bad", ["91110000802100433", "91110000802100I33B", "9111000080210O433B", "91110000802100433BX"])
def test_bad_format_is_never_overridable(supervisor, bad):
    with pytest.raises(ValidationError) as excinfo:
        _org(supervisor, credit_code=bad, override_credit_code=True, override_reason="试试")
    assert "credit_code" in _field_errors(excinfo)
    assert not Organisation.objects.exists()


def test_duplicate_credit_code_and_name_are_refused(officer):
    _org(officer, credit_code=GOOD_CODE)
    with pytest.raises(ValidationError) as excinfo:
        _org(officer, name="另一家公司", credit_code=GOOD_CODE.lower())
    assert "credit_code" in _field_errors(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        _org(officer, credit_code=valid_credit_code(77))
    assert "name" in _field_errors(excinfo)
    assert Organisation.objects.count() == 1


def test_organisations_without_a_code_do_not_collide(officer):
    # Unions and courts are often registered without a code: two NULLs are not duplicates.
    a = _org(officer, name="某区总工会", kind=Organisation.Kind.UNION, credit_code="")
    b = _org(officer, name="某区人民法院", kind=Organisation.Kind.COURT)
    assert a.credit_code is None and b.credit_code is None


def test_contact_phone_is_normalised_or_refused(officer):
    org = _org(officer, credit_code=GOOD_CODE, contact_phone="13800138000")
    assert org.contact_phone == "+8613800138000"
    with pytest.raises(ValidationError) as excinfo:
        _org(officer, name="另一家", contact_phone="12345")
    assert "contact_phone" in _field_errors(excinfo)


def test_only_intake_staff_register_organisations():
    with pytest.raises(PermissionDenied):
        _org(make_user(Role.LAWYER), credit_code=GOOD_CODE)
