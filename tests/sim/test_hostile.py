"""The hostile-message generator: each kind is refused by the decoder when made from a
valid event, the same seed gives the same bytes, and the size limit's twins are valid."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest

from stream.core.decode import Decoder
from stream.core.events import Invalid
from stream.sim.hostile import KINDS, hostile, interleave

DAY = Path(__file__).resolve().parents[2] / "examples" / "day.jsonl"
DECODER = Decoder()
VALID = [
    line
    for line in DAY.read_bytes().splitlines()[:400]
    if not isinstance(DECODER.decode(line), Invalid)
]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_refused(kind):
    rng = random.Random(kind)
    for line in VALID[:60]:
        message = hostile(orjson.loads(line), rng, 65_536, kind)
        assert isinstance(DECODER.decode(message), Invalid), (kind, message[:200])


def test_interleave_keeps_the_valid_lines_in_order_and_is_reproducible():
    mixed = interleave(VALID, 130, seed=3)
    assert mixed == interleave(VALID, 130, seed=3)
    assert [line for line in mixed if line in set(VALID)] == VALID
    twins = [line for line in mixed if b"-twin-" in line]
    assert len(twins) == 10  # one per oversized message
    assert all(
        len(twin) == 65_535 and not isinstance(DECODER.decode(twin), Invalid) for twin in twins
    )
    refused = [line for line in mixed if isinstance(DECODER.decode(line), Invalid)]
    assert len(refused) == 130
