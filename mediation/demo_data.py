"""What only mediation's part of `manage.py demo` needs (mediation/demo.py): its second mediator,
the court's referral list, the sessions and the terms.

Invented but realistic, like core/demo_data.py (the people and organisations every part shares):
resident IDs pass GB 11643 with Xiamen region codes. Dates are given as days before the demo's
"today".
"""

import datetime

from core.demo_data import resident_id

from .models import MediationState

d = datetime.date
S = MediationState

# A second mediator, once retained by the ride-hailing platform's local agent: refused for the
# drivers' group mediation (a respondent) and for another driver's claim against the platform
# (the agent's parent company: a related company).
MEDIATORS = {
    "fang.lei": ("方磊", "union", ("ride_agent",)),
}


class Marker:
    """How the demo and its checks find each mediation: by court case number, or by the case
    dispute intake handed over under the same name (core.demo's `shared`)."""

    GROUP = "group"          # the 11 drivers, court pre-suit, linked to the group case
    ARBITRATION = "arbitration"  # the truck driver's union mediation, fails -> arbitration
    EXPIRED = "expired"      # court in-suit, simple procedure, extended once, expires
    LATE = "late"            # court pre-suit, confirmation asked too late, then defaulted
    DECLINED = "declined"    # court pre-suit, the platform refuses to mediate
    WITHDRAWN = "withdrawn"  # court pre-suit, settled by the parties themselves
    REJECTED = "rejected"    # court pre-suit, the court refuses to confirm; mediation resumes


# marker -> the state the mediation ends in
EXPECTED = {
    Marker.GROUP: S.FULFILLED, Marker.ARBITRATION: S.FAILED, Marker.EXPIRED: S.FAILED, Marker.LATE: S.DEFAULTED,
    Marker.DECLINED: S.DECLINED, Marker.WITHDRAWN: S.WITHDRAWN, Marker.REJECTED: S.IN_PROGRESS,
}


# The court's referral list (imported as GBK CSV by the court liaison). Keys are markers; the
# last three rows are refused and one repeats a referral (a duplicate).
def _worker(name, region, born, seq, male, phone):
    return {"name": name, "id_number": resident_id(region, born, seq, male), "phone": phone}


REFERRAL_WORKERS = {
    Marker.EXPIRED: _worker("郭俊峰", "350206", d(1987, 4, 12), 301, True, "13860103321"),
    Marker.LATE: _worker("谢丽萍", "350211", d(1994, 8, 3), 302, False, "15880461207"),
    Marker.DECLINED: _worker("钟伟", "350212", d(1980, 1, 26), 303, True, "13906035518"),
    Marker.WITHDRAWN: _worker("邓晓燕", "350205", d(1999, 11, 19), 304, False, "18750290633"),
    Marker.REJECTED: _worker("赖永明", "350213", d(1992, 6, 30), 305, True, "17750260874"),
}

# marker -> (source, procedure, case number pattern, days ago referred, respondent org key, title, claims)
REFERRALS = {
    Marker.EXPIRED: ("委托", "简易程序", "（{year}）闽0203民初8816号", 36, "ride_platform",
                     "网约车司机被封号后平台拒不结算流水",
                     [("结算封号前七日的订单流水", "6800"), ("支付封号期间收入损失", "11800")]),
    Marker.LATE: ("委派", "普通程序", "（{year}）闽0203民诉前调905号", 72, "food_franchisee",
                  "外卖骑手被拖欠两个月配送费",
                  [("支付拖欠的配送费", "36000")]),
    Marker.DECLINED: ("委派", "普通程序", "（{year}）闽0203民诉前调1302号", 5, "freight_platform",
                      "货车司机要求支付拖欠运费",
                      [("支付拖欠运费", "27500")]),
    Marker.WITHDRAWN: ("委派", "普通程序", "（{year}）闽0203民诉前调1265号", 10, "food_platform",
                       "外卖骑手要求退还台风天气超时罚款",
                       [("退还超时罚款", "2400")]),
    Marker.REJECTED: ("委派", "普通程序", "（{year}）闽0203民诉前调1046号", 42, "food_franchisee",
                      "外卖骑手配送途中受伤要求赔偿",
                      [("赔偿医疗费、误工费", "48000")]),
}

# Rows the court's list also carries that the import refuses: an unknown court, an ID number with a
# wrong check digit, a negative amount.
BAD_ROWS = [
    {"court": "厦门市鼓浪屿区人民法院", "number": "（{year}）闽0299民诉前调17号", "name": "周海", "seq": 311,
     "amount": "5200", "reason": "未知的法院"},
    {"court": None, "number": "（{year}）闽0203民诉前调1311号", "name": "陈晓东", "seq": 312,
     "amount": "8000", "bad_id": True, "reason": "身份证号码"},
    {"court": None, "number": "（{year}）闽0203民诉前调1312号", "name": "林海燕", "seq": 313,
     "amount": "-3000", "reason": "金额不能为负数"},
]

GROUP_SESSIONS = [
    {"days_ago": 40, "hour": 9, "mode": "on_site", "location": "厦门市思明区人民法院诉调对接工作室",
     "attendees": ["陈志强（申请人代表）", "林文斌（申请人代表）", "黄建明（申请人代表）",
                   "刘洋（云帆出行科技有限公司委托代理人）", "苏建华（厦门云帆汽车服务有限公司负责人）"],
     "minutes": "调解员告知调解的性质、原则和当事人的权利义务，各方均不申请回避。\n"
                "申请人代表陈述：2026年8月平台以系统判定“异常订单”为由，同日封禁11名司机账号，未告知具体理由，"
                "申诉后三十日内无人工复核；代理商随即停止派单并扣留车辆保证金。请求恢复账号，赔偿封号停运期间收入损失及经济补偿共计660,000元。\n"
                "被申请人云帆出行科技有限公司称：封号依据平台风控规则，但承认申诉复核未在承诺时限内完成；同意核查十一名司机的订单数据。\n"
                "被申请人厦门云帆汽车服务有限公司称：保证金可在账号恢复后退还。\n"
                "调解员归纳争议焦点：封号是否有事实依据、申诉复核程序是否合规、损失计算标准。各方同意十日内交换订单数据后再次调解。"},
    {"days_ago": 30, "hour": 14, "mode": "video", "location": "人民法院调解平台（视频）",
     "attendees": ["陈志强（申请人代表）", "林文斌（申请人代表）", "黄建明（申请人代表）",
                   "刘洋（云帆出行科技有限公司委托代理人）", "苏建华（厦门云帆汽车服务有限公司负责人）"],
     "minutes": "平台核查后确认：十一名司机的“异常订单”均系导航偏航所致，不构成作弊。\n"
                "经调解员释法说理，双方达成一致：平台恢复账号，建立封号申诉人工复核机制；两被申请人共同支付补偿660,000元，分三期支付；"
                "代理商退还车辆保证金。\n"
                "双方同意签订调解协议，并共同向厦门市思明区人民法院申请司法确认。"},
]

GROUP_OBLIGATIONS = (
    "1. 被申请人云帆出行科技有限公司于本协议生效之日起三日内恢复十一名申请人的平台账号，不得因本纠纷降低其派单权重；\n"
    "2. 被申请人云帆出行科技有限公司建立封号申诉人工复核机制：以“异常订单”为由封号前应告知理由，申诉应在七日内由人工复核并书面答复；\n"
    "3. 被申请人厦门云帆汽车服务有限公司于账号恢复之日起五日内退还十一名申请人的车辆保证金。"
)

ARBITRATION_SESSION = {
    "days_ago": 8, "hour": 10, "mode": "phone", "location": "电话调解",
    "attendees": ["吕国栋（申请人）", "欧阳明（鹭通货运信息科技有限公司）"],
    "minutes": "申请人陈述：驾驶平台提供的挂靠车辆，按平台指令承运，由平台统一结算，平台拖欠三个月运费42,000元。\n"
               "被申请人称：双方系车辆挂靠与信息服务关系，不存在劳动关系；运费应由货主结算，拒绝支付。\n"
               "双方对是否存在劳动关系分歧明显，被申请人明确表示不同意继续调解。",
}
