"""The people and organisations every part of `manage.py demo` works with (core/demo.py).

What more than one module's part needs: the password, the organisations, the staff of every
role, the workers and the group case's drivers with their claims (dispute intake registers the
claims, mediation agrees on them). What only one module needs is in its own `demo_data.py`.

Invented but realistic: every organisation name is made up (none is a real company), every unified
social credit code passes GB 32100 (and its embedded organisation code passes GB 11714), every
resident ID passes GB 11643 with a Xiamen region code (3502xx) and a birth date that matches the
person's age, every mobile number is a valid mainland number. This module is only data.
"""

import datetime

from .identifiers import credit_code_check_char, resident_id_check_char
from .models import Organisation, Worker
from .roles import Role

# One password for every demo account (printed by the command). Demo databases only.
PASSWORD = "weiquan-demo-2026"
# The account that browses the admin with no role.
SUPERUSER = "admin"

# --------------------------------------------------------------------------------------------------
# Identifiers
# --------------------------------------------------------------------------------------------------

_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code_char_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def organisation_code(first8: str) -> str:
    """A 9-character organisation code (GB 11714): 8 characters and their check character."""
    remainder = 11 - sum(_org_code_char_value(c) * w for c, w in zip(first8, _ORG_CODE_WEIGHTS)) % 11
    check = {10: "X", 11: "0"}.get(remainder, str(remainder))
    return first8 + check


def credit_code(authority_and_type: str, region: str, org_code_first8: str) -> str:
    """A unified social credit code (GB 32100): registration authority + type, region, org code, check.

    "91" is an enterprise registered with market regulation, "11" a government organ, "81" a trade
    union; the region is the registering administrative division.
    """
    first17 = authority_and_type + region + organisation_code(org_code_first8)
    return first17 + credit_code_check_char(first17)


def resident_id(region: str, born: datetime.date, sequence: int, male: bool) -> str:
    """A resident ID number (GB 11643): region, birth date, a sequence whose last digit is odd for men."""
    order = (37 * sequence) % 500 * 2 + (1 if male else 0)
    first17 = f"{region}{born:%Y%m%d}{order:03d}"
    return first17 + resident_id_check_char(first17)


# --------------------------------------------------------------------------------------------------
# Organisations: key -> register_organisation arguments (parents are given by key)
# --------------------------------------------------------------------------------------------------

K = Organisation.Kind

ORGANISATIONS = {
    "union": dict(
        name="厦门市总工会", kind=K.UNION, credit_code=credit_code("81", "350200", "72640271"),
        address="厦门市思明区湖滨北路 128 号", contact_person="周敏", contact_phone="0592-5102358",
    ),
    "mediation_centre": dict(
        name="厦门市总工会新就业形态劳动争议调解中心", kind=K.MEDIATION_ORGANISATION, parent="union",
        address="厦门市思明区湖滨北路 128 号一楼", contact_person="吴琼", contact_phone="0592-5102351",
    ),
    "ride_platform": dict(
        name="云帆出行科技有限公司", kind=K.PLATFORM, credit_code=credit_code("91", "350206", "MA31KD7N"),
        address="厦门市湖里区云顶北路 842 号 15 层", contact_person="刘洋", contact_phone="18650123456",
    ),
    "ride_agent": dict(
        name="厦门云帆汽车服务有限公司", kind=K.AGENT, parent="ride_platform",
        credit_code=credit_code("91", "350211", "MA33T8QB"),
        address="厦门市集美区杏林湾路 496 号", contact_person="苏建华", contact_phone="13906021234",
    ),
    "food_platform": dict(
        name="速达同城网络科技有限公司", kind=K.PLATFORM, credit_code=credit_code("91", "350203", "MA2YH6P4"),
        address="厦门市思明区软件园二期观日路 24 号", contact_person="方婷", contact_phone="15960812345",
    ),
    "food_franchisee": dict(
        name="厦门鹭递配送服务有限公司", kind=K.FRANCHISEE, parent="food_platform",
        credit_code=credit_code("91", "350203", "MA8RW2E1"),
        address="厦门市思明区莲前西路 211 号", contact_person="钟凯", contact_phone="17750212345",
    ),
    "freight_platform": dict(
        name="鹭通货运信息科技有限公司", kind=K.PLATFORM, credit_code=credit_code("91", "350213", "MA32C5LU"),
        address="厦门市翔安区翔安南路 1099 号", contact_person="欧阳明", contact_phone="13599876543",
    ),
    "court": dict(
        name="厦门市思明区人民法院", kind=K.COURT, credit_code=credit_code("11", "350203", "00360158"),
        address="厦门市思明区湖滨南路 332 号", contact_person="蔡婧", contact_phone="0592-2212345",
    ),
    "labor_bureau": dict(
        name="厦门市人力资源和社会保障局", kind=K.LABOR_BUREAU, credit_code=credit_code("11", "350200", "00360043"),
        address="厦门市思明区湖滨南路 62 号", contact_person="", contact_phone="0592-5353366",
    ),
}

# --------------------------------------------------------------------------------------------------
# Staff: username -> (full name, role, organisation key, organisations they act for)
# --------------------------------------------------------------------------------------------------

STAFF = {
    "zhou.min": ("周敏", Role.INTAKE_OFFICER, "union", ()),
    "chen.jianguo": ("陈建国", Role.LAWYER, "union", ()),
    # A panel lawyer who is also retained by the ride-hailing platform's local agent: assigning
    # him to a case against that agent is refused as a conflict of interest.
    "lin.haitao": ("林海涛", Role.LAWYER, "union", ("ride_agent",)),
    "huang.xiaoyu": ("黄晓雨", Role.LEGAL_AID_VOLUNTEER, "union", ()),
    "wu.qiong": ("吴琼", Role.MEDIATOR, "union", ()),
    "zheng.li": ("郑立", Role.SUPERVISOR, "union", ()),
    "xu.wen": ("许文", Role.AUDITOR, "union", ()),
    "he.zhiyong": ("何志勇", Role.BARGAINING_OFFICER, "union", ()),
    "liu.yang": ("刘洋", Role.COMPANY_CONTACT, "ride_platform", ()),
    "cai.jing": ("蔡婧", Role.COURT_LIAISON, "court", ()),
}
# Union staff sign in to the admin; company contacts and court liaisons use the API (and, later, the UI).
ADMIN_SITE_ROLES = {
    Role.INTAKE_OFFICER, Role.LAWYER, Role.LEGAL_AID_VOLUNTEER, Role.MEDIATOR, Role.SUPERVISOR,
    Role.AUDITOR, Role.BARGAINING_OFFICER,
}
EMAIL_DOMAIN = {"union": "xmzgh.example", "ride_platform": "yunfan-mobility.example", "court": "smcourt.example"}

# --------------------------------------------------------------------------------------------------
# Workers: key -> (name, occupation, region, birth date, male, mobile, platform keys, relationship, member)
# --------------------------------------------------------------------------------------------------

O = Worker.Occupation
R = Worker.Relationship
d = datetime.date

WORKERS = {
    # The eleven ride-hailing drivers of the group case; the first three are elected representatives.
    "chen_zhiqiang": ("陈志强", O.RIDE_HAILING_DRIVER, "350206", d(1982, 3, 14), True, "13859201234", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, True),
    "lin_wenbin": ("林文斌", O.RIDE_HAILING_DRIVER, "350211", d(1979, 11, 2), True, "13859207721", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, True),
    "huang_jianming": ("黄建明", O.RIDE_HAILING_DRIVER, "350203", d(1985, 6, 27), True, "15880234567", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, True),
    "wang_haifeng": ("王海峰", O.RIDE_HAILING_DRIVER, "350212", d(1988, 1, 9), True, "18965432109", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, False),
    "zhang_wei": ("张伟", O.RIDE_HAILING_DRIVER, "350205", d(1990, 8, 21), True, "13015902345", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, False),
    "li_junjie": ("李俊杰", O.RIDE_HAILING_DRIVER, "350213", d(1993, 4, 30), True, "19959201234", ("ride_platform", "food_platform"), R.NOT_FULLY_EMPLOYMENT, False),
    "wu_guoping": ("吴国平", O.RIDE_HAILING_DRIVER, "350211", d(1976, 12, 5), True, "13806051288", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, True),
    "cai_zhenhua": ("蔡振华", O.RIDE_HAILING_DRIVER, "350206", d(1984, 2, 18), True, "15159202236", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, False),
    "zheng_hui": ("郑辉", O.RIDE_HAILING_DRIVER, "350203", d(1987, 9, 11), True, "18020761530", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, False),
    "xu_zemin": ("许泽民", O.RIDE_HAILING_DRIVER, "350212", d(1981, 7, 3), True, "13960830417", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, True),
    "hong_lihua": ("洪丽华", O.RIDE_HAILING_DRIVER, "350205", d(1986, 10, 24), False, "17359201845", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, False),
    # Workers of the other cases.
    "you_zhenyu": ("游振宇", O.RIDE_HAILING_DRIVER, "350211", d(1989, 5, 16), True, "13779902316", ("ride_platform",), R.UNKNOWN, False),
    "zeng_fanyu": ("曾凡宇", O.RIDER, "350206", d(1998, 3, 8), True, "16605921234", ("food_platform",), R.NOT_FULLY_EMPLOYMENT, False),
    "luo_xiaojuan": ("罗小娟", O.RIDER, "350213", d(1995, 12, 19), False, "15606058823", ("food_platform",), R.UNKNOWN, True),
    "lyu_guodong": ("吕国栋", O.TRUCK_DRIVER, "350212", d(1978, 6, 2), True, "13395921167", ("freight_platform",), R.UNKNOWN, False),
    "jiang_haibo": ("江海波", O.RIDE_HAILING_DRIVER, "350203", d(1991, 9, 27), True, "18159236604", ("ride_platform",), R.CIVIL, False),
    "qiu_wentao": ("邱文涛", O.RIDER, "350205", d(1996, 1, 23), True, "15259217742", ("food_platform",), R.NOT_FULLY_EMPLOYMENT, False),
    "wen_yating": ("温雅婷", O.RIDER, "350206", d(2000, 4, 12), False, "19805928816", ("food_platform",), R.UNKNOWN, False),
    "shi_jun": ("施俊", O.RIDE_HAILING_DRIVER, "350213", d(1983, 8, 6), True, "13666018452", ("ride_platform",), R.NOT_FULLY_EMPLOYMENT, True),
}

# The group case's eleven drivers: dispute intake registers their claims (who represents them is
# casework's: casework/demo_data.py), mediation agrees on them.
GROUP_DRIVERS = [
    "chen_zhiqiang", "lin_wenbin", "huang_jianming", "wang_haifeng", "zhang_wei", "li_junjie",
    "wu_guoping", "cai_zhenhua", "zheng_hui", "xu_zemin", "hong_lihua",
]
# Each driver's claim for the deactivation (lost earnings during the ban plus compensation), yuan.
# They total ¥660,000, the amount the mediation recovers.
GROUP_CLAIMS = dict(zip(GROUP_DRIVERS, [72000, 68000, 65000, 63000, 61000, 60000, 58000, 57000, 54000, 52000, 50000]))
GROUP_TOTAL = 660000


def worker_id_number(key: str) -> str:
    name, occupation, region, born, male, *_ = WORKERS[key]
    return resident_id(region, born, list(WORKERS).index(key) + 11, male)
