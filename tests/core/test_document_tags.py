"""Figures from the legal-figures table printed in a notice's prose read as formal Chinese."""

import pytest

from core.templatetags.document_tags import cn_count


@pytest.mark.parametrize("n,text", [(1, "一"), (7, "七"), (10, "十"), (15, "十五"), (20, "二十"), (30, "三十"), (99, "九十九")])
def test_counts_in_words(n, text):
    assert cn_count(n) == text


@pytest.mark.parametrize("n", [0, 100, 365])
def test_other_counts_stay_figures(n):
    assert cn_count(n) == str(n)
