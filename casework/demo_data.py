"""What only dispute intake's part of `manage.py demo` needs (casework/demo.py): the cases.

The people, organisations and workers the cases are about are shared by every part
(core/demo_data.py). The title is the stable marker the part, its checks and the tests find each
case by.
"""

from core.demo_data import GROUP_TOTAL

from .models import CaseState

ARBITRATION_COMMISSION = "厦门市劳动人事争议仲裁委员会"

# The group case's elected representatives (worker keys of core/demo_data.py's GROUP_DRIVERS).
GROUP_REPRESENTATIVES = ["chen_zhiqiang", "lin_wenbin", "huang_jianming"]
# The drivers sued; the court referred the dispute, before filing, to the union's mediation centre
# (诉前委派调解) under this court case number ({year}: the referral's year), 45 days ago.
GROUP_COURT_CASE_NUMBER = "（{year}）闽0203民诉前调1187号"
GROUP_REFERRED_DAYS_AGO = 45

S = CaseState


class Titles:
    LITIGATION = "外卖骑手配送途中受伤，要求确认劳动关系并赔偿医疗费用"
    GROUP = "云帆出行11名网约车司机被批量封号停单，要求恢复账号并赔偿损失"
    LEGAL_AID = "网约车司机被代理商扣留流水和保证金"
    REOPENED = "外卖骑手被无故停单并扣发当月配送费"
    ARBITRATION = "货车司机要求确认劳动关系并支付拖欠运费"
    REJECTED = "网约车租车押金退还纠纷"
    CONSULTATION = "外卖骑手咨询超时罚款和差评扣款是否合法"
    LIMITATION_OVERRIDE = "外卖骑手申请退还恶劣天气超时罚款"
    FRESH = "网约车司机反映平台抽成比例超过公示标准"


# title -> (expected final state, expected amount recovered or None)
EXPECTED = {
    Titles.LITIGATION: (S.IN_LITIGATION, None),
    Titles.GROUP: (S.CLOSED, GROUP_TOTAL),
    Titles.LEGAL_AID: (S.CLOSED, 16800),
    Titles.REOPENED: (S.SCREENING, None),
    Titles.ARBITRATION: (S.IN_ARBITRATION, None),
    Titles.REJECTED: (S.REJECTED, None),
    Titles.CONSULTATION: (S.CLOSED, 0),
    Titles.LIMITATION_OVERRIDE: (S.ACCEPTED, None),
    Titles.FRESH: (S.RECEIVED, None),
}
