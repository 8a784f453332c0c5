"""The score and grade exactly as DESIGN.md: examples (with the cap) and a property test against
a plain re-computation."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from legal_checkup.rules import score

H, M, L = "H", "M", "L"
OK, PART, NO, NA = "compliant", "partial", "non_compliant", "not_applicable"


@pytest.mark.parametrize("results,value,grade,capped", [
    ([(H, OK), (M, OK), (L, OK)], Decimal("100.0"), "A", False),
    ([(H, OK), (M, PART), (L, OK)], Decimal("83.3"), "B", False),      # 100 × 5/6
    ([(H, OK), (M, OK), (L, NO)], Decimal("83.3"), "B", False),
    ([(H, NO), (M, OK), (L, OK)] + [(L, OK)] * 30, Decimal("91.7"), "C", True),   # 33/36 → A, capped
    ([(H, PART), (M, OK)], Decimal("70.0"), "C", False),               # 3.5 / 5
    ([(H, NO), (M, PART)], Decimal("20.0"), "D", False),                # a cap never raises a grade
    ([(H, OK), (M, NA), (L, NA)], Decimal("100.0"), "A", False),        # n/a left out
    ([(M, PART), (L, PART), (L, OK)], Decimal("62.5"), "C", False),     # 2.5 / 4
    ([(H, OK)] * 9 + [(L, NO)] * 3, Decimal("90.0"), "A", False),       # 27/30: exactly 90
])
def test_examples(results, value, grade, capped):
    s = score(results)
    assert (s.value, s.grade, s.capped) == (value, grade, capped)


def test_everything_not_applicable_has_no_score():
    s = score([(H, NA), (L, NA)])
    assert s.value is None and s.grade == "" and "不计分" in s.explain()


def test_the_computation_is_explained():
    assert score([(H, OK), (M, PART), (L, OK)]).explain() == "得分 = 100 × 5.0 ÷ 6 = 83.3。"


results = st.lists(st.tuples(st.sampled_from([H, M, L]), st.sampled_from([OK, PART, NO, NA])), max_size=40)


@given(results)
def test_the_score_is_a_plain_weighted_mean(pairs):
    weight = {"H": 3, "M": 2, "L": 1}
    value = {"compliant": 1.0, "partial": 0.5, "non_compliant": 0.0}
    counted = [(weight[s], value[r]) for s, r in pairs if r != NA]
    s = score(pairs)
    if not counted:
        assert s.value is None
        return
    # Exact re-computation in halves (every weight × result is a multiple of 0.5).
    halves = sum(int(w * v * 2) for w, v in counted)
    total = sum(w for w, _v in counted)
    expected = (Decimal(100) * Decimal(halves) / 2 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert s.value == expected
    plain = "A" if expected >= 90 else "B" if expected >= 75 else "C" if expected >= 60 else "D"
    high_fail = any(sv == H and r == NO for sv, r in pairs)
    assert s.grade == ("C" if high_fail and plain in "AB" else plain)
    assert s.capped == (high_fail and plain in "AB")
