"""The LIVE outputs of a descriptor change: exactly each route whose part changed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stream.core.facts import LIVE
from stream.core.live import AgentPresence, OpenTicket, Waiting
from stream.core.stages import live_changes, split_live

QUEUES = st.sampled_from(["billing", "sales", "tech"])
agents = st.builds(
    AgentPresence,
    state=st.sampled_from(["available", "busy", "wrap_up"]),
    queues=st.lists(QUEUES, max_size=3).map(tuple),
    team=st.one_of(st.none(), st.sampled_from(["red", "blue"])),
    since=st.integers(0, 3),
)
others = st.one_of(
    st.builds(Waiting, queue=QUEUES, channel=st.just("voice"), since=st.integers(0, 3)),
    st.builds(
        OpenTicket,
        queue=QUEUES,
        priority=st.just("high"),
        status=st.just("open"),
        replied=st.booleans(),
        active_ms=st.just(0),
        active_since=st.none(),
    ),
)
descriptors = st.one_of(st.none(), agents, others)


def by_definition(ref: str, before, after) -> list[tuple[str, tuple]]:
    """Every route of either descriptor whose part differs, in route order, with the new
    part (None: gone from that route)."""
    old, new = split_live(before), split_live(after)
    return [
        (route, (ref, new.get(route)))
        for route in sorted(old.keys() | new.keys())
        if old.get(route) != new.get(route)
    ]


@given(before=descriptors, after=descriptors, same_places=st.booleans())
def test_live_changes_are_the_changed_parts_in_route_order(before, after, same_places) -> None:
    if same_places and type(before) is AgentPresence and type(after) is AgentPresence:
        after = after._replace(queues=before.queues, team=before.team)  # a state change
    outputs = live_changes("agent/a-1", before, after)
    assert all(fact.kind == LIVE and (fact.value, fact.weight) == (0, 1) for _, fact in outputs)
    assert [(route, fact.labels) for route, fact in outputs] == by_definition(
        "agent/a-1", before, after
    )
