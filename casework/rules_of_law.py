"""The legal figures the engine encodes, each in one place with its source.

A rule change is one edit here. Figures are from the laws' public texts (see shared/domain-rules.md).
"""

# 劳动争议调解仲裁法 (LDMAL) Art. 27: one year from when the worker knew or should have known.
ARBITRATION_LIMITATION_YEARS = 1

# LDMAL Art. 7: ten or more workers with a common claim may elect representatives.
GROUP_CASE_MIN_CLAIMANTS = 10

# LDMAL Art. 14: mediation organisation, no agreement within 15 days -> arbitration.
UNION_MEDIATION_DAYS = 15
