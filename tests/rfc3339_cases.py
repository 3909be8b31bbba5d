"""Time strings that are not RFC 3339 date-times, shared by the parser and live tests.

The first ones are those issue 14 found accepted by the old ``fromisoformat`` parser.
"""

NOT_RFC3339 = (
    "2026-12-01T10:00:00xZ",
    "2026-12-01T10:00:00\u0000Z",
    "2026-12-01T10:00:00Z\u0000",
    "2026-12-01T10:00:00.Z",
    "2026-12-01T10:00:00#+01:00",
    "2026-12-01T10:00:00+01:00:00:00",
    "2026-12-01T10:00:00+0100",  # ISO 8601, not RFC 3339
    "2026-12-01T10:00:00+01",
    "2026-12-01T10:00:00+01:00:30",  # offset with seconds
    "2026-12-01T10:00Z",  # no seconds
    "2026-12-01T10:00:00,5Z",  # decimal comma
    "2026-W49-2T10:00:00Z",  # week date
    "2026-335T10:00:00Z",  # ordinal date
    "2026-12-01 10:00:00Z",  # a space is not in the grammar
)
