"""``parse_time`` against RFC 3339 §5.6, table-driven and with hypothesis (issue 14).

``matches_abnf`` below is a second, independent reading of the grammar: a
recursive-descent walk of the ABNF productions, with §5.7's value ranges. The property
test checks that whatever ``parse_time`` accepts, the grammar accepts too, and that
whatever the grammar builds from valid parts, ``parse_time`` reads to the same instant
as ``datetime``.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rfc3339_cases import NOT_RFC3339

from stream.core.timeutil import TimeParser, parse_time

# -- the grammar, production by production ----------------------------------------------


def matches_abnf(text: str) -> bool:
    """``date-time`` of RFC 3339 §5.6, with the §5.7 ranges (leap second allowed)."""
    pos = 0

    def digits(n: int) -> int | None:
        nonlocal pos
        part = text[pos : pos + n]
        if len(part) != n or any(c not in "0123456789" for c in part):
            return None
        pos += n
        return int(part)

    def literal(options: str) -> bool:
        nonlocal pos
        if pos < len(text) and text[pos] in options:
            pos += 1
            return True
        return False

    year = digits(4)  # date-fullyear
    if year is None or not literal("-"):
        return False
    month = digits(2)  # date-month 01-12
    if month is None or not 1 <= month <= 12 or not literal("-"):
        return False
    day = digits(2)  # date-mday 01-28, 01-29, 01-30, 01-31 based on month/year
    if day is None or not 1 <= day <= calendar.monthrange(year or 4, month)[1]:
        return False
    if not literal("Tt"):  # "T", case-insensitive (§5.6 NOTE)
        return False

    def hour_minute(second_top: int | None) -> bool:
        """time-hour ":" time-minute, then ":" time-second when ``second_top`` is set."""
        hour = digits(2)
        if hour is None or hour > 23 or not literal(":"):
            return False
        minute = digits(2)
        if minute is None or minute > 59:
            return False
        if second_top is None:
            return True
        second = digits(2) if literal(":") else None
        return second is not None and second <= second_top

    if not hour_minute(second_top=60):  # partial-time, leap second allowed
        return False
    if literal("."):  # time-secfrac = "." 1*DIGIT
        if digits(1) is None:
            return False
        while digits(1) is not None:
            pass
    # time-offset = "Z" / time-numoffset
    if not literal("Zz") and not (literal("+-") and hour_minute(second_top=None)):
        return False
    return pos == len(text)


# -- the table ---------------------------------------------------------------------------

GOOD = [
    ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00+00:00"),
    ("2026-12-01t18:34:59.825z", "2026-12-01T18:34:59.825+00:00"),  # lower case
    ("2026-12-01T10:00:00-00:00", "2026-12-01T10:00:00+00:00"),  # offset unknown: UTC
    ("2026-12-01T11:30:00+01:30", "2026-12-01T10:00:00+00:00"),
    ("2026-12-01T00:00:00-23:59", "2026-12-01T23:59:00+00:00"),
    ("2026-12-01T10:00:00.1Z", "2026-12-01T10:00:00.100+00:00"),
    ("2026-12-01T10:00:00.123456789Z", "2026-12-01T10:00:00.123+00:00"),  # truncated
    ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00+00:00"),  # leap year
    ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999+00:00"),  # leap second
    ("2017-01-01T08:59:60+09:00", "2016-12-31T23:59:59.999+00:00"),  # the same, in Tokyo
    ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00"),
]

BAD = [
    *NOT_RFC3339,
    "2026-12-01T10:00:00",  # no offset
    "20261201T100000Z",  # basic format
    "2026-12-01T24:00:00Z",
    "2026-12-01T10:60:00Z",
    "2026-12-01T10:00:61Z",
    "2026-13-01T10:00:00Z",
    "2026-00-01T10:00:00Z",
    "2025-02-29T10:00:00Z",  # not a leap year
    "2026-04-31T10:00:00Z",
    "2026-12-01T10:00:00+24:00",
    "2026-12-01T10:00:00+01:60",
    "２０２６-12-01T10:00:00Z",  # full-width digits are not DIGIT
    "2026-12-01T10:00:00.١Z",  # nor are Arabic-Indic ones
    " 2026-12-01T10:00:00Z",
    "2026-12-01T10:00:00Z ",
    "",
]


@pytest.mark.parametrize(("text", "instant"), GOOD)
def test_rfc3339_forms_are_read_exactly(text: str, instant: str) -> None:
    assert matches_abnf(text)
    expected = datetime.fromisoformat(instant)
    assert parse_time(text) == int(expected.timestamp() * 1000 + 0.5)


@pytest.mark.parametrize("text", BAD)
def test_everything_else_is_refused(text: str) -> None:
    assert not matches_abnf(text)
    with pytest.raises(ValueError):
        parse_time(text)


@pytest.mark.parametrize("text", ["1969-12-31T23:59:59Z", "2201-01-01T00:00:00Z"])
def test_years_outside_the_supported_range_are_refused(text: str) -> None:
    assert matches_abnf(text)  # the grammar allows them; cxkpi does not (bad_time)
    with pytest.raises(ValueError, match="outside"):
        parse_time(text)


# -- properties --------------------------------------------------------------------------

#: Characters a mutation may put in: the grammar's own, and near misses.
ALPHABET = "0123456789-:.+TtZz ,W#x\u0000２١"


def _mutations() -> st.SearchStrategy[str]:
    seeds = st.sampled_from([text for text, _ in GOOD] + BAD)

    def mutate(draw_seed: str, edits: list[tuple[int, int, str]]) -> str:
        text = draw_seed
        for kind, where, char in edits:
            where = where % (len(text) + 1)
            if kind == 0:
                text = text[:where] + char + text[where:]
            elif kind == 1:
                text = text[:where] + text[where + 1 :]
            else:
                text = text[:where] + char + text[where + 1 :]
        return text

    edit = st.tuples(st.integers(0, 2), st.integers(0, 40), st.sampled_from(ALPHABET))
    return st.builds(mutate, seeds, st.lists(edit, max_size=4))


@given(st.one_of(_mutations(), st.text(alphabet=ALPHABET, max_size=40), st.text(max_size=40)))
@example("2026-12-01T10:00:00.Z")
def test_whatever_parse_time_accepts_matches_the_grammar(text: str) -> None:
    try:
        parse_time(text)
    except ValueError:
        return
    assert matches_abnf(text), text


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2199, 12, 30)),
    st.integers(-(23 * 60 + 59), 23 * 60 + 59),
    st.sampled_from(["T", "t"]),
    st.sampled_from([0, 1, 3, 6, 9]),
)
def test_every_valid_form_reads_to_its_instant(local, offset_minutes, sep, fraction_digits):
    zone = timezone(timedelta(minutes=offset_minutes))
    moment = local.replace(tzinfo=zone)
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    fraction = f"{moment.microsecond:06d}000"[:fraction_digits]
    text = (
        moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
        + (f".{fraction}" if fraction_digits else "")
        + (f"{sign}{hours:02d}:{minutes:02d}" if offset_minutes else "Z")
    )
    assert matches_abnf(text)
    micro = int(fraction.ljust(6, "0")[:6]) if fraction_digits else 0
    expected = moment.replace(microsecond=micro).astimezone(UTC)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_time(text) == (expected - epoch) // timedelta(milliseconds=1)


# -- TimeParser: the same answers as parse_time, from its caches --------------------------


def outcome(parse, text: str) -> int | str:
    try:
        return parse(text)
    except ValueError as exc:
        return f"ValueError: {exc}"


def warmed(text: str) -> TimeParser:
    """A parser that has read a valid time of ``text``'s minute, if it has one, and
    ``text``'s tail after another minute: reading ``text`` then takes both caches."""
    parser = TimeParser()
    for tail in (":00Z", ":59.5+01:00", ":30-05:30"):
        outcome(parser, text[:16] + tail)
    outcome(parser, "2026-01-01T00:00" + text[16:])
    return parser


@pytest.mark.parametrize("text", [*(good for good, _ in GOOD), *BAD])
def test_the_caching_parser_reads_and_refuses_exactly_as_parse_time(text: str) -> None:
    parser = warmed(text)
    for _ in range(2):  # a miss or a minute hit, then a whole-text hit
        assert outcome(parser, text) == outcome(parse_time, text)


@given(st.one_of(_mutations(), st.text(alphabet=ALPHABET, max_size=40), st.text(max_size=40)))
@example("2026-12-01T10:00:61Z")
@example("2026-12-01T10:00:00+01:60")
@example("2026-12-01T10:00:00.5")
def test_the_caching_parser_agrees_with_parse_time_on_anything(text: str) -> None:
    parser = warmed(text)
    assert outcome(parser, text) == outcome(parse_time, text)
    assert outcome(parser, text) == outcome(parse_time, text)


#: Tails of ``:SS.sssZ``'s length with what may look like digits, and leap seconds.
_TAILS = st.text(alphabet="0123456789569.:Zz+\u0662\u00b2\uff15", min_size=8, max_size=8)


@given(
    st.one_of(
        _mutations(),
        _TAILS.map(lambda tail: "2026-12-01T10:00" + tail),
        st.sampled_from(["2026-12-01T10:00:60.999Z", "2026-12-01T10:00:59.999z"]),
    )
)
@example("2026-12-01T10:00:0\u0662.123Z")
@example("2026-12-01T10:00:61.000Z")
def test_a_new_tail_in_a_known_minute_reads_as_parse_time(text: str) -> None:
    """The minute cached, the tail not: ``:SS.sssZ`` is read without the regular
    expression, anything else with it, and both as parse_time reads them."""
    parser = TimeParser()
    outcome(parser, text[:16] + ":00Z")
    assert outcome(parser, text) == outcome(parse_time, text)
    assert outcome(parser, text) == outcome(parse_time, text)


def test_the_caches_stay_bounded_and_exact() -> None:
    parser = TimeParser()
    base = parse_time("2026-12-01T00:00:00Z")
    for n in range(3 * TimeParser.SIZE):
        minute, millis = divmod(n, 7)
        text = f"2026-12-01T{minute // 60 % 24:02}:{minute % 60:02}:00.{millis:03}Z"
        assert parser(text) == base + (minute % 1440) * 60_000 + millis
    assert len(parser._times) <= TimeParser.SIZE and len(parser._minutes) <= TimeParser.SIZE
    assert len(parser._tails) <= TimeParser.TAILS and len(parser._seconds) <= TimeParser.SECONDS


@given(
    st.sampled_from(["2026-12-01T10:00:07", "2026-12-01T10:00:60", "2024-02-29t23:59:59"]),
    st.integers(0, 999),
    st.text(alphabet="0123456789\u0662\u00b2\uff15.:Zz+", min_size=4, max_size=4),
)
@example("2026-12-01T10:00:07", 5, "\u0662\u0662\u0662Z")
@example("2026-12-01T10:00:60", 5, "500Z")
def test_a_second_read_whole_serves_its_other_milliseconds_as_parse_time(second, first, rest):
    """``:SS.sssZ`` of a second already read is one lookup and three digits: only ASCII
    digits, never a leap second (read as :59.999 whatever its milliseconds)."""
    parser = TimeParser()
    outcome(parser, f"{second}.{first:03}Z")
    text = f"{second}.{rest[:3]}{rest[3:]}"
    for _ in range(2):
        assert outcome(parser, text) == outcome(parse_time, text)


def test_a_tail_read_in_one_minute_serves_every_minute_and_offset_stays_its_own() -> None:
    parser = TimeParser()
    assert parser("2026-12-01T10:00:07.394Z") == parse_time("2026-12-01T10:00:07.394Z")
    for text in (
        "2026-12-01T10:01:07.394Z",  # the minute is new: parsed whole
        "2026-12-01T10:01:07.394+02:00",  # a tail of its own
        "2026-12-01T10:00:07.394+02:00",  # both remembered
        "2027-02-28T23:59:07.394Z",
    ):
        assert parser(text) == parse_time(text)


def test_a_full_tail_cache_starts_over_and_stays_exact() -> None:
    class Small(TimeParser):
        __slots__ = ()
        TAILS = 4

    parser, base = Small(), parse_time("2026-12-01T00:00:00Z")
    for millis in range(50):
        text = f"2026-12-01T00:00:00.{millis:03}Z"
        assert parser(text) == base + millis
        assert len(parser._tails) <= Small.TAILS
