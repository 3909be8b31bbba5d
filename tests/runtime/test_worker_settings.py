"""Worker settings that are derived rather than given."""

from __future__ import annotations

import socket

from stream.runtime.kafka_settings import KafkaSettings
from stream.runtime.worker import WorkerSettings

KAFKA = KafkaSettings(bootstrap=("k:9092",))


def test_a_worker_binding_every_address_advertises_its_host_name():
    """The address the group's other workers ask for the whole center's wallboard."""
    assert WorkerSettings(KAFKA, web_host="0.0.0.0").advertised_host == socket.gethostname()
    assert WorkerSettings(KAFKA, web_host="10.0.0.7").advertised_host == "10.0.0.7"
    named = WorkerSettings(KAFKA, web_host="0.0.0.0", web_advertised_host="cx-1.cx")
    assert named.advertised_host == "cx-1.cx"
