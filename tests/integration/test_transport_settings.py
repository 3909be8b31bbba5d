"""cxkpi's transport: the fetch wait is a setting that reaches aiokafka's fetcher."""

from __future__ import annotations

from stream.runtime.broker import EmbeddedBroker
from stream.runtime.transport import App, ConsumerThread


async def test_the_fetch_wait_setting_reaches_aiokafkas_fetcher(broker: EmbeddedBroker):
    app = App("fetch-wait", broker=f"cxkpi://{broker.bootstrap}", consumer_fetch_max_wait_ms=42)
    thread = app.consumer._thread
    assert isinstance(thread, ConsumerThread)
    consumer = thread._create_worker_consumer(app.transport)
    await consumer.start()  # aiokafka builds its fetcher here, from the setting
    try:
        assert consumer._fetcher._fetch_max_wait_ms == 42
    finally:
        await consumer.stop()


def test_the_default_fetch_wait_is_100_ms_not_fausts_1500():
    assert App("fetch-default").conf.consumer_fetch_max_wait_ms == 100
