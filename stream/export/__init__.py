"""Rendering evaluated KPI families: Prometheus (a Collector) and JSON."""
