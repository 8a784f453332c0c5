"""Identifier checks (domain-rules.md, "Identifier checks"): resident ID (GB 11643-1999), unified
social credit code (GB 32100-2015), mainland phone numbers.

Reference data below is worked by hand with the weights from domain-rules.md, so a broken weight
table or check alphabet fails here, not only in a round trip through the code under test.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from core import identifiers
from core.identifiers import (
    credit_code_check_char,
    credit_code_checksum_ok,
    mask_resident_id,
    normalise_phone,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_is_male,
    validate_credit_code_format,
    validate_resident_id,
)

# --------------------------------------------------------------------------------------------------
# Resident ID numbers (GB 11643-1999)
# --------------------------------------------------------------------------------------------------

# 11010519491231002X, the standard textbook example (Beijing Chaoyang, born 1949-12-31):
#   digits  1  1  0  1  0  5  1  9  4  9  1  2  3  1  0  0  2
#   weights 7  9 10  5  8  4  2  1  6  3  7  9 10  5  8  4  2
#   products 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2; "10X98765432"[2] = "X"
# 440524188001010014 (Guangdong Shantou, born 1880-01-01):
#   products 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8; "10X98765432"[8] = "4"
HAND_CHECKED_IDS = [
    ("11010519491231002X", datetime.date(1949, 12, 31), False),  # digit 17 = 2: even, female
    ("440524188001010014", datetime.date(1880, 1, 1), True),  # digit 17 = 1: odd, male
]


@pytest.mark.parametrize(("number", "born", "male"), HAND_CHECKED_IDS)
def test_hand_checked_resident_ids_are_valid(number, born, male):
    assert resident_id_check_char(number[:17]) == number[17]
    assert validate_resident_id(number) == number
    assert resident_id_birth_date(number) == born
    assert resident_id_is_male(number) is male


def test_check_char_table_matches_the_standard():
    # Each remainder 0..10 maps to "1 0 X 9 8 7 6 5 4 3 2". Build a first-17 with a known remainder:
    # a single 1 in the last position (weight 2) plus 0s gives sum 2 -> "X"; weight-1 position
    # (index 7) gives sum 1 -> "0"; all zeros gives 0 -> "1".
    assert resident_id_check_char("0" * 17) == "1"
    assert resident_id_check_char("0" * 7 + "1" + "0" * 9) == "0"
    assert resident_id_check_char("0" * 16 + "1") == "X"


def test_check_char_remainder_ten():
    # 5 in the weight-2 position: 5*2 = 10, 10 mod 11 = 10 -> "10X98765432"[10] = "2".
    assert resident_id_check_char("0" * 16 + "5") == "2"


def test_lower_case_x_is_accepted_and_normalised():
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"


def test_surrounding_and_inner_spaces_and_full_width_input_are_normalised():
    assert validate_resident_id("  110105 19491231 002X ") == "11010519491231002X"
    # A Chinese IME in full-width mode types these; they are the same number.
    assert validate_resident_id("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"
    assert identifiers.normalise_resident_id("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"


def _code(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(value)
    return excinfo.value.code


def test_wrong_checksum_is_refused():
    assert _code("110105194912310021") == "checksum"
    assert _code("440524188001010015") == "checksum"
    # Adjacent transpositions (the commonest typing slip) are caught too.
    assert _code("10110519491231002X") == "checksum"  # region digits 2-3 swapped
    assert _code("11010519491231020X") == "checksum"  # sequence digits swapped


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19
        "110105194912310",  # old 15-digit form is not accepted for new registrations
        "1101051949123100X2",  # X only allowed as the last character
        "11010519491231002Y",
        "A1010519491231002X",
        "110105-19491231-002X",
        # Unicode digits that str.isdigit() accepts but that are not ID digits: once "²" crashed
        # int() with a ValueError (a 500) instead of a ValidationError.
        "٣1010519491231002X",
    ],
)
def test_bad_format_is_refused(value):
    assert _code(value) == "format"


def test_superscript_digit_never_crashes():
    # NFKC folds "²" to "2": the result is then simply checked (here the checksum fails).
    with pytest.raises(ValidationError):
        validate_resident_id("²10105194912310020")


@pytest.mark.parametrize("date_part", ["19900230", "19900229", "19901301", "19900000", "20230431"])
def test_impossible_birth_date_is_refused(date_part):
    first17 = f"350203{date_part}123"
    number = first17 + resident_id_check_char(first17)  # checksum right, so only the date is wrong
    assert _code(number) == "birth_date"


def test_leap_day_birth_date_is_accepted():
    first17 = "35020319920229123"
    assert validate_resident_id(first17 + resident_id_check_char(first17)).startswith("35020319920229")


def test_future_birth_date_is_refused_and_today_is_accepted():
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    future = f"350203{tomorrow:%Y%m%d}123"
    assert _code(future + resident_id_check_char(future)) == "birth_date"
    born_today = f"350203{today:%Y%m%d}123"
    assert validate_resident_id(born_today + resident_id_check_char(born_today))


def test_masking_keeps_region_and_last_four():
    assert mask_resident_id("35020319900101123X") == "350203********123X"
    assert mask_resident_id("11010519491231002X") == "110105********002X"
    masked = mask_resident_id("440524188001010014")
    assert masked == "440524********0014"
    assert len(masked) == 18 and masked.count("*") == 8
    assert "18800101" not in masked  # the birth date is what masking hides
    assert mask_resident_id("") == ""


def test_sex_comes_from_digit_17():
    base = "3502031990010112"
    for digit in "13579":
        number = base + digit + resident_id_check_char(base + digit)
        assert resident_id_is_male(validate_resident_id(number)) is True
    for digit in "02468":
        number = base + digit + resident_id_check_char(base + digit)
        assert resident_id_is_male(validate_resident_id(number)) is False


_birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2020, 12, 31))


@given(
    region=st.text(alphabet="0123456789", min_size=6, max_size=6),
    born=_birth_dates,
    sequence=st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_property_only_the_computed_check_char_is_valid(region, born, sequence):
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    right = resident_id_check_char(first17)
    assert right in identifiers.ID_CHECK_CHARS
    assert validate_resident_id(first17 + right) == first17 + right
    assert validate_resident_id(first17 + right.lower()) == first17 + right
    for wrong in set(identifiers.ID_CHECK_CHARS) - {right}:
        with pytest.raises(ValidationError) as excinfo:
            validate_resident_id(first17 + wrong)
        assert excinfo.value.code == "checksum"


@given(first17=st.text(alphabet="0123456789", min_size=17, max_size=17), position=st.integers(0, 16), delta=st.integers(1, 9))
def test_property_any_single_digit_error_changes_the_check_char(first17, position, delta):
    # Weights are all non-zero mod 11 and 11 is prime, so a one-digit typo always changes the sum mod 11.
    altered = first17[:position] + str((int(first17[position]) + delta) % 10) + first17[position + 1:]
    assert resident_id_check_char(altered) != resident_id_check_char(first17)


# --------------------------------------------------------------------------------------------------
# Unified social credit codes (GB 32100-2015)
# --------------------------------------------------------------------------------------------------

# 91110000802100433B worked by hand (values: digits as themselves, A=10 B=11 ...):
#   chars   9  1  1  1  0  0  0  0  8  0  2  1  0  0  4  3  3
#   weights 1  3  9 27 19 26 16 17 20 29 25 13  8 24 10 30 28
#   products 9+3+9+27+0+0+0+0+160+0+50+13+0+0+40+90+84 = 485; 485 mod 31 = 20;
#   (31 - 20) mod 31 = 11 -> "B". Valid.
# The other two are codes published on companies' own filings (Huawei Technologies Co., Ltd. and
# Shenzhen Tencent Computer Systems Co., Ltd.); they are checked against the algorithm, not trusted.
PUBLISHED_CODES = ["91110000802100433B", "914403001922038216", "9144030071526726XG"]


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_published_credit_codes_pass(code):
    assert validate_credit_code_format(code) == code
    assert credit_code_checksum_ok(code)
    assert credit_code_check_char(code[:17]) == code[17]


def test_hand_worked_credit_code_check_char():
    assert credit_code_check_char("91110000802100433") == "B"
    # Remainder 0 gives check value (31 - 0) mod 31 = 0, i.e. "0", not an out-of-range 31.
    assert credit_code_check_char("0" * 17) == "0"
    # "1" in the weight-30 position: 30 mod 31 = 30 -> 31 - 30 = 1 -> "1".
    assert credit_code_check_char("0" * 15 + "10") == "1"


def test_built_code_passes_and_lower_case_is_normalised():
    body = "91350200MA2Y4G6K1"
    code = body + credit_code_check_char(body)
    assert validate_credit_code_format(code.lower()) == code
    assert credit_code_checksum_ok(code)


def test_checksum_failure_is_detected_but_the_format_is_fine():
    bad = "91110000802100433A"  # right format, wrong check character
    assert validate_credit_code_format(bad) == bad  # the hard check passes...
    assert not credit_code_checksum_ok(bad)  # ...the soft one does not (an overridable warning)


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_letters_outside_the_alphabet_are_refused(letter):
    code = "91110000802100433B"[:10] + letter + "91110000802100433B"[11:]
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code_format(code)
    assert excinfo.value.code == "format"


@pytest.mark.parametrize(
    "value",
    ["", None, "91110000802100433", "91110000802100433BB", "9111000080210043-B", "91110000802100433Б"],
)
def test_bad_credit_code_format_is_refused(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code_format(value)
    assert excinfo.value.code == "format"


_credit_chars = identifiers.CREDIT_CODE_CHARS


@given(body=st.text(alphabet=_credit_chars, min_size=17, max_size=17))
def test_property_only_the_computed_credit_check_char_passes(body):
    right = credit_code_check_char(body)
    assert credit_code_checksum_ok(body + right)
    for wrong in _credit_chars.replace(right, ""):
        assert not credit_code_checksum_ok(body + wrong)


# --------------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["13800138000", " 138 0013 8000 ", "138-0013-8000", "+86 138 0013 8000", "008613800138000", "+8613800138000",
     "１３８００１３８０００"],
)
def test_mainland_mobile_is_normalised_to_e164(value):
    assert normalise_phone(value) == "+8613800138000"


def test_other_mobile_ranges_are_accepted():
    assert normalise_phone("19912345678") == "+8619912345678"
    assert normalise_phone("15012345678") == "+8615012345678"


@pytest.mark.parametrize(
    "value",
    ["1380013800", "138001380001", "12345678901", "10012345678", "11111111111", "+86 138", "abc", "", None],
)
def test_invalid_phone_is_refused(value):
    with pytest.raises(ValidationError):
        normalise_phone(value)
