"""Part-number designations in search documents: what a title contributes to ``part_numbers``."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from search.documents import designations

SEPARATORS = re.compile(r"[\s\-_./,:;×+()#]+")


def reference(text: str) -> list[str]:
    """The definition, written plainly: every run of 2-4 adjacent words of at most 12 characters that
    contains a digit, joined and lower-cased, shortest runs first, left to right."""
    words = [w for w in SEPARATORS.split(text) if w]
    out = []
    for size in (2, 3, 4):
        for i in range(len(words) - size + 1):
            run = words[i : i + size]
            if re.search(r"\d", "".join(run)) and all(len(w) <= 12 for w in run):
                out.append("".join(run).lower())
    return out


def test_designations_of_a_title() -> None:
    found = designations("Hex bolt DIN 933 M8 x 40")
    assert "din933" in found
    assert "m8x40" in found
    assert "hexbolt" not in found  # no digit
    assert designations("Deep groove ball bearing") == []
    assert designations("6204") == []  # one word is not a run
    assert designations("Verlängerungskabelrolle 25 m") == ["25m"]  # a word over 12 characters breaks runs


WORDS = st.one_of(
    st.sampled_from(["M8", "x", "40", "DIN", "933", "A2", "Hex", "bolt", "6204-2RS", "Kabelverlängerung", "٣"]),
    st.text(alphabet="aZ09 -./×#é", max_size=15),
)


@given(st.lists(WORDS, max_size=12).map(" ".join))
def test_designations_follow_the_definition(text: str) -> None:
    assert designations(text) == reference(text)
