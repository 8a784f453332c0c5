"""The bargaining demo's data: the food-delivery negotiation's team, topics and positions per
round, modelled on the real 2025 platform agreements (shared/domain-rules.md: Ele.me 2025-09 —
a rest prompt after 4 h of continuous delivery, at least 20 minutes, crowdsourced riders' hourly
pay at least the local minimum hourly wage, overtime deductions phased out; Meituan 2025 —
fatigue prompt after 8 h, forced offline after 12 h)."""

from decimal import Decimal

# The company contacts the bargaining story needs: username -> (full name, organisation key)
CONTACTS = {"fang.ting": ("方婷", "food_platform"), "zhong.kai": ("钟凯", "food_franchisee")}

UNION_TEAM = [
    ("chief", "王志华", "市总工会副主席（受工会主席书面委托）", "市总工会委托书〔2026〕7号"),
    ("negotiator", "曾凡宇", "外卖骑手代表", ""),
    ("negotiator", "罗小娟", "外卖骑手代表（站点工会主席）", ""),
    ("expert", "陈建国", "劳动法律师（外聘专家）", ""),
]
EMPLOYER_TEAM = [
    ("chief", "方婷", "速达同城 华东区人力资源总监", ""),
    ("negotiator", "钟凯", "厦门鹭递配送 总经理", ""),
    ("negotiator", "孙磊", "速达同城 算法策略负责人", ""),
    ("negotiator", "郭佳", "速达同城 法务经理", ""),
]

# code -> (demand value, demand text)
DEMANDS = {
    "rest": (Decimal("20"), "连续配送满4小时，系统提示休息且暂停派单不少于20分钟"),
    "hourly_pay_floor": (Decimal("23.60"), "众包骑手在线时段每小时报酬不低于本市非全日制小时最低工资标准（23.6元）"),
    "rewards_penalties": (None, "取消超时扣款，改为服务分提醒；申诉期内不扣款"),
    "algorithm_time_estimate": (Decimal("8"), "高峰时段和恶劣天气下预估送达时间在现行基础上至少延长8分钟"),
    "piece_rate": (Decimal("5.20"), "基础配送单价由每单4.80元提高到5.20元"),
    "bad_weather_surcharge": (Decimal("1.50"), "雨天每单加价不低于1.5元"),
}

# Rounds: [(days ago, {code: (union value, union text, employer value, employer text, agreed)})]
ROUNDS_BEFORE_SUSPENSION = [
    (100, {
        "rest": (Decimal("20"), "满4小时休息20分钟", Decimal("10"), "满4小时提示休息10分钟", False),
        "hourly_pay_floor": (Decimal("23.60"), "不低于小时最低工资", Decimal("21.00"), "新手期后执行", False),
        "piece_rate": (Decimal("5.20"), "每单5.2元", Decimal("4.80"), "维持现价", False),
        "algorithm_time_estimate": (Decimal("8"), "延长8分钟", Decimal("3"), "延长3分钟", False),
    }),
]
ROUNDS_AFTER_RESUMING = [
    (80, {
        "rest": (Decimal("20"), "满4小时休息20分钟", Decimal("15"), "满4小时休息15分钟", False),
        "hourly_pay_floor": (Decimal("23.60"), "不低于小时最低工资", Decimal("23.60"), "同意", True),
        "piece_rate": (Decimal("5.20"), "每单5.2元", Decimal("4.95"), "每单4.95元", False),
        "algorithm_time_estimate": (Decimal("8"), "延长8分钟", Decimal("5"), "延长5分钟", False),
        "rewards_penalties": (None, "取消超时扣款", None, "超时扣款减半", False),
    }),
    (70, {
        "rest": (Decimal("20"), "满4小时休息20分钟", Decimal("20"), "同意，暂停派单20分钟", True),
        "piece_rate": (Decimal("5.05"), "每单5.05元", Decimal("5.05"), "同意", True),
        "algorithm_time_estimate": (Decimal("6"), "延长6分钟", Decimal("6"), "同意", True),
        "rewards_penalties": (None, "2026年底前取消超时扣款，改为服务分提醒", None, "同意分阶段取消", True),
        "bad_weather_surcharge": (Decimal("1.50"), "雨天每单加价1.5元", Decimal("1.00"), "雨天每单加价1元", False),
    }),
]
# After the failed vote and after the administration's objection: one round each.
ROUND_AFTER_FAILED_VOTE = (60, {
    "bad_weather_surcharge": (Decimal("1.20"), "雨天每单加价1.2元", Decimal("1.20"), "同意", True),
})
ROUND_AFTER_OBJECTION = (35, {
    "hourly_pay_floor": (Decimal("24.00"), "按本市2026年新标准每小时24元", Decimal("24.00"), "同意执行新标准", True),
})

# The platform's order statistics, as it sent them (GBK CSV, Chinese headers).
CITIES = {"厦门": (Decimal("4.80"), 3200), "泉州": (Decimal("4.60"), 1800)}
BANDS = {"午高峰": 0.34, "晚高峰": 0.30, "平峰": 0.28, "夜间": 0.08}
WEATHER = {"晴": 0.7, "雨": 0.25, "高温": 0.05}
MONTHS = 6
ORDERS_PER_WORKER_MONTH = 560
