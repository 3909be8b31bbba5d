"""The pure KPI core: events in, state and facts out, KPI values at an evaluation time.

Nothing in this package imports faust, aiokafka or prometheus_client, and nothing reads
a clock: the evaluation time and the ingest clock always come in as arguments. That is
what lets ``cxkpi replay`` and the live worker produce identical numbers.
"""
