"""A stand-in for a Faust table in tests of the worker's table state."""

from __future__ import annotations


class Topic:
    def get_topic_name(self) -> str:
        return "test-slices-changelog"


class Table:
    """What TableState uses of a Faust table: its data and its changelog's name."""

    def __init__(self) -> None:
        self.data: dict = {}
        self.changelog_topic = Topic()
