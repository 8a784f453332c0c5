"""Checks for the identifiers a union's paperwork carries.

Resident ID numbers per GB 11643-1999, unified social credit codes per GB 32100-2015, mainland
phone numbers via `phonenumbers`. Each check raises `ValidationError` with a message a clerk can act on.
"""

import datetime
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# ASCII only: str.isdigit() would also pass "²" (int() then fails) or Arabic-Indic digits.
_ID_FORMAT = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def normalise_resident_id(value: str) -> str:
    """Canonical form: full-width characters (a Chinese IME's １２３Ｘ) folded to ASCII by NFKC,
    spaces removed, lower-case x upper-cased. The keyed digest is taken of this form, so every way
    of typing the same number finds the same worker."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def validate_resident_id(value: str) -> str:
    """Return the normalised ID number, or raise ValidationError saying what is wrong with it."""
    number = normalise_resident_id(value)
    if not _ID_FORMAT.fullmatch(number):
        raise ValidationError(
            _("身份证号码应为18位：17位数字加1位校验码（数字或X）。"), code="format"
        )
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期不存在。"), code="birth_date") from None
    if born > timezone.localdate():
        raise ValidationError(_("身份证号码中的出生日期在未来。"), code="birth_date")
    if resident_id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验码不正确，请核对是否录入有误。"), code="checksum")
    return number


def mask_resident_id(number: str) -> str:
    """350203199001011234 -> 350203********1234: region and last four kept, birth date hidden."""
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def resident_id_birth_date(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def resident_id_is_male(number: str) -> bool:
    return int(number[16]) % 2 == 1


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code_format(value: str) -> str:
    """Hard check: 18 characters from the code's alphabet. A bad format is never accepted."""
    code = "".join(unicodedata.normalize("NFKC", value or "").split()).upper()
    if len(code) != 18 or any(c not in CREDIT_CODE_CHARS for c in code):
        raise ValidationError(
            _("统一社会信用代码应为18位，由数字和大写字母组成（不含 I、O、S、V、Z）。"), code="format"
        )
    return code


def credit_code_checksum_ok(code: str) -> bool:
    """Soft check: some lawful early-pilot codes fail it, so a failure is an overridable warning."""
    return credit_code_check_char(code[:17]) == code[17]


def normalise_phone(value: str) -> str:
    """Return the number in E.164 form (+8613812345678), or raise ValidationError."""
    raw = (value or "").strip()
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("电话号码格式无法识别。"), code="format") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("电话号码无效，请核对位数和号段。"), code="invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
