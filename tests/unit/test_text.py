"""domain/text.py's character classes against Unicode's own categories."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from domain.text import has_control


def test_the_control_class_is_exactly_unicodes_category_cc() -> None:
    for point in range(sys.maxunicode + 1):
        ch = chr(point)
        assert has_control(ch) is (unicodedata.category(ch) == "Cc"), hex(point)


@given(st.text(), st.sampled_from(["", "\t\n\r", "\n", "\x00\x7f"]))
def test_allowed_controls_are_passed_over_and_no_other(text: str, allowed: str) -> None:
    expected = any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)
    assert has_control(text, allowed) is expected
