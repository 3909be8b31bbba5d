"""The series layouts are static index constants, numbered without gaps or repeats."""

from __future__ import annotations

import pytest

from stream.core.aggregates import LAYOUTS, Layout


def test_every_layout_numbers_its_fields_densely() -> None:
    for layout in LAYOUTS.values():
        indexes = [v for k, v in vars(layout).items() if not k.startswith("_") and k != "size"]
        assert sorted(indexes) == list(range(layout.size))


def test_a_gap_or_a_repeat_fails_at_import() -> None:
    with pytest.raises(TypeError, match=r"indexes must be 0 \.\. 1"):

        class Gap(Layout):
            first = 0
            second = 2
            size = 2

    with pytest.raises(TypeError):

        class Repeat(Layout):
            first = 0
            second = 0
            size = 2
