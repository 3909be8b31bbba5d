"""cxkpi: real-time customer-service KPIs from Kafka lifecycle events.

The package is layered so that dependencies run one way:

- ``stream.core``    pure KPI logic: decode, lifecycles, aggregates, evaluation (no I/O, no clock)
- ``stream.export``  turns evaluated KPI families into Prometheus text or JSON
- ``stream.sim``     a deterministic traffic simulator (no clock, no Kafka)
- ``stream.runtime`` the Kafka shell around the core: broker, producer, worker
- ``stream.cli``     the ``cxkpi`` command
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
