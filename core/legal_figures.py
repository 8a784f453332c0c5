"""The legal figures the engine encodes, each in one place with its source.

A rule change is one edit here. Figures are from the laws' public texts (see shared/domain-rules.md).
"""

# 劳动争议调解仲裁法 (LDMAL) Art. 27: one year from when the worker knew or should have known.
ARBITRATION_LIMITATION_YEARS = 1

# LDMAL Art. 7: ten or more workers with a common claim may elect representatives.
GROUP_CASE_MIN_CLAIMANTS = 10

# LDMAL Art. 14: mediation organisation, no agreement within 15 days -> arbitration.
UNION_MEDIATION_DAYS = 15

# --- Court + union mediation (mediation/) ---------------------------------------------------------
# Periods run from the day the mediation organisation accepts the matter (legal_calendar.deadline).

# Court-assigned pre-suit mediation (委派调解 / 诉前调解; 法〔2020〕55号 pilots with the ACFTU):
# 30 days, extendable by both parties' consent.
COURT_PRE_SUIT_MEDIATION_DAYS = 30
# Court-entrusted mediation during litigation (委托调解): 15 days under the ordinary procedure,
# 7 under the simple procedure; extendable by consent (the extension is not counted in the trial period).
COURT_IN_SUIT_MEDIATION_DAYS = {"ordinary": 15, "simple": 7}
# The referral rules put no number or length limit on consented extensions of court mediation.
COURT_MEDIATION_MAX_EXTENSIONS = None
COURT_MEDIATION_MAX_EXTENSION_DAYS = None
# Union mediation: 15 days (UNION_MEDIATION_DAYS, LDMAL Art. 14); 人社厅发〔2024〕4号 (one-stop
# mediation of new-employment-form disputes): extendable once by consent, by at most 15 days.
UNION_MEDIATION_MAX_EXTENSIONS = 1
UNION_MEDIATION_MAX_EXTENSION_DAYS = 15

# Civil Procedure Law (2023) Art. 205: both parties apply jointly for judicial confirmation within
# 30 days of the mediation agreement taking effect (a statutory period: counted by deadline()).
JUDICIAL_CONFIRMATION_APPLICATION_DAYS = 30
# Civil Procedure Law (2023) Art. 250: enforcement is applied for within 2 years.
ENFORCEMENT_APPLICATION_YEARS = 2
# LDMAL Art. 16: an agreement on unpaid labour remuneration, work-injury medical costs, economic
# compensation or damages that the employer does not perform -> the worker may apply to the court
# for a payment order (支付令; Civil Procedure Law Art. 225-228).
PAYMENT_ORDER_AGREEMENT_BASES = ("wages", "injury_medical", "compensation")

# --- Collective bargaining (bargaining/; 集体合同规定 2004, 劳动和社会保障部令第22号) -----------------
# Art. 32: a written proposal gets a written reply within 20 days; a refusal needs a proper reason.
PROPOSAL_REPLY_DAYS = 20
# Art. 19: equal numbers per side, at least 3 each, one chief each.
MIN_NEGOTIATORS_PER_SIDE = 3
# Art. 23: outside experts at most one third of a side, and never its chief.
MAX_EXPERT_SHARE = (1, 3)
# Art. 31: a vacant seat is filled within 15 days.
VACANT_SEAT_FILL_DAYS = 15
# Art. 36: the draft is adopted with at least 2/3 of the delegates (or workers) present and the
# approval of more than half of ALL of them (not of those voting).
VOTE_QUORUM = (2, 3)
VOTE_APPROVAL_OF_ALL = (1, 2)
# Art. 38: a term of 1 to 3 years; renewal may be asked within 3 months before it ends.
CONTRACT_TERM_YEARS = (1, 3)
RENEWAL_WINDOW_MONTHS = 3
# Art. 42: filed with the labor administration within 10 days of signing.
FILING_DAYS = 10
# Arts. 45, 47: the administration may object within 15 days of receiving it; with no objection
# the contract takes effect.
OBJECTION_DAYS = 15

# --- Legal health check (legal_checkup/) ------------------------------------------------------------
# Rectification due dates per finding, from the report's issue, by severity (DESIGN.md, "Checkup").
RECTIFICATION_DAYS = {"H": 30, "M": 60, "L": 90}
# The union's labour-law supervision letters (ACFTU 工会劳动法律监督办法, 2021) name a reply date;
# the instrument sets none, so these are the union's own practice (docs/legal_checkup.md).
SUPERVISION_LETTER_REPLY_DAYS = {"reminder": 15, "opinion": 15, "recommendation": 30}
