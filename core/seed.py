"""Reference data every installation starts with: roles, dispute categories, the holiday calendar.

Used by the data migration and by `manage.py seed_holidays`; idempotent.
"""

import chinese_calendar
from chinese_calendar.constants import holidays as CC_HOLIDAYS
from chinese_calendar.constants import workdays as CC_WORKDAYS

from django.utils.translation import gettext_noop

from .roles import Role

# Stored in Chinese; gettext_noop puts the names in the catalogue, the English interface
# translates them where it shows them ({% trans c.name %}).
CATEGORIES = [
    ("unpaid_pay", gettext_noop("拖欠劳动报酬")),
    ("unlawful_termination", gettext_noop("违法解除或封号停单")),
    ("injury", gettext_noop("工伤或职业伤害")),
    ("social_insurance", gettext_noop("社会保险")),
    ("hours_and_rest", gettext_noop("工作时间与休息休假")),
    ("penalties", gettext_noop("罚款与扣款")),
    ("algorithm", gettext_noop("算法与派单规则")),
    ("commission", gettext_noop("抽成比例")),
    ("relationship_confirmation", gettext_noop("确认劳动关系")),
    ("other", gettext_noop("其他")),
]


def seed_roles(Group):
    for name in Role.ALL:
        Group.objects.get_or_create(name=name)


def seed_categories(Category):
    for code, name in CATEGORIES:
        Category.objects.update_or_create(code=code, defaults={"name": name})


HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _holiday_name(english: str) -> str:
    return HOLIDAY_NAMES_ZH.get(english, english)


def seed_holidays(CalendarDay) -> int:
    """Copy chinese-calendar's holidays and make-up workdays into the table; staff edits survive."""
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    rows = [
        CalendarDay(date=day, is_workday=False, name=_holiday_name(name), source=f"chinese-calendar {chinese_calendar.__version__}")
        for day, name in CC_HOLIDAYS.items() if day not in existing
    ] + [
        CalendarDay(date=day, is_workday=True, name=_holiday_name(name), source=f"chinese-calendar {chinese_calendar.__version__}")
        for day, name in CC_WORKDAYS.items() if day not in existing
    ]
    CalendarDay.objects.bulk_create(rows, batch_size=500)
    return len(rows)
