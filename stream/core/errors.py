"""The one root exception of cxkpi and its kinds.

A bad *event* is never an exception: it becomes an ``Invalid`` value and goes to the
dead-letter topic. Exceptions are for operators (bad configuration) and for our own
bugs, which should fail loudly in tests.
"""


class CxkpiError(Exception):
    """Root of every error cxkpi raises on purpose."""


class ConfigError(CxkpiError):
    """The configuration file is unreadable or has a bad key or value."""
