"""The topic catalogue (人社部发〔2021〕56号, the Guangdong 2021 measures, the algorithm rules; see
shared/domain-rules.md), loaded by a data migration; supervisors may add to it in the admin."""

CATALOGUE = [
    # code, name, unit, costing, core common issue
    ("piece_rate", "计件单价", "yuan_per_order", "piece_rate", True),
    ("hourly_pay_floor", "小时报酬下限", "yuan_per_hour", "", True),
    ("commission", "抽成比例", "percent", "commission", True),
    ("order_allocation", "订单分配", "text", "", True),
    ("labor_quota", "劳动定额", "text", "", False),
    ("pay_method", "报酬构成与支付办法", "text", "", False),
    ("entry_exit", "进入退出平台规则", "text", "", False),
    ("working_hours", "连续工作时长上限", "hours", "", True),
    ("rest", "休息提醒与休息时长", "minutes", "", True),
    ("labor_protection", "劳动保护", "text", "", False),
    ("rewards_penalties", "奖惩制度", "text", "", True),
    ("algorithm_time_estimate", "算法：配送时间预估", "minutes", "", True),
    ("algorithm_routing", "算法：派单与路径规划", "text", "", False),
    ("algorithm_median", "算法取中（按中位水平而非最严标准）", "text", "", True),
    ("bad_weather_surcharge", "恶劣天气补贴", "yuan_per_order", "surcharge", False),
    ("night_surcharge", "夜间配送补贴", "yuan_per_order", "surcharge", False),
    ("injury_protection", "职业伤害保障", "text", "", False),
]


def load_catalogue(apps, schema_editor):
    Topic = apps.get_model("bargaining", "Topic")
    for order, (code, name, unit, costing, core_common) in enumerate(CATALOGUE, start=1):
        Topic.objects.update_or_create(code=code, defaults={
            "name": name, "unit": unit, "costing": costing, "core_common": core_common, "order": order})
