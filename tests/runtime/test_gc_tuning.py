"""The worker's collector policy: freeze at every checkpoint, a full collection when due."""

from __future__ import annotations

import gc

import pytest

from stream.runtime.gc_tuning import Survivors


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()


def test_a_checkpoint_freezes_what_survived(unfrozen):
    clock = [0.0]
    survivors = Survivors(600.0, clock=lambda: clock[0])
    kept = [object() for _ in range(10)]
    survivors.settle()
    assert gc.get_freeze_count() > 0
    assert kept


def test_a_full_collection_when_due_frees_cycles_that_were_frozen(unfrozen):
    clock = [0.0]
    survivors = Survivors(600.0, clock=lambda: clock[0])
    Cycle()  # garbage at once, but only a collection can free it
    survivors.settle()  # not due: frozen with the rest
    clock[0] = 599.0
    survivors.settle()
    assert gc.collect() == 0  # frozen: no collection sees it
    clock[0] = 600.0
    collected = []
    gc.callbacks.append(lambda phase, info: collected.append(info.get("collected", 0)))
    try:
        survivors.settle()
    finally:
        gc.callbacks.pop()
    assert sum(collected) >= 2  # the cycle and its __dict__
    assert gc.get_freeze_count() > 0  # frozen again after the collection


def test_zero_never_collects_in_full(unfrozen):
    survivors = Survivors(0.0, clock=lambda: 10**9)
    Cycle()
    survivors.settle()
    survivors.settle()
    assert gc.collect() == 0
