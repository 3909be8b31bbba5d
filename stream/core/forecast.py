"""The forward-looking KPIs as pure functions: estimated wait and agents required.

Estimated wait is the *queue-length* estimator, which Ibrahim & Whitt (M&SOM 2009)
show beats the delay-history ones (last to enter service, head of line, rolling ASA):
a contact joining now waits for the contacts ahead of it, less those that will
abandon, to be served by the agents serving the queue. Genesys Cloud's first formula
(AHT × position / active agents × (1 − abandon rate)) has the same parts.

Agents required is the smallest staffing whose steady state meets the queue's
service-level target, under Erlang A (M/M/n+M: Poisson arrivals, exponential handle
times and exponential patience, Garnett, Mandelbaum & Reiman 2002), or Erlang C when
nobody abandoned and so no patience can be estimated. The service level is the
model's version of the queue's own definition (SPEC §4, its ``service_level_mode``):
answered within the threshold over answered + abandoned − short abandons, over
answered, or with abandons within the threshold counted as met.

Erlang A's service level is computed in closed form (``erlang_a_service_level``):
three series of positive terms, the incomplete gamma function's, instead of the
textbook hypoexponential sums whose alternating terms lose every digit for long
queues, or a walk over every queue position. Results are cached by their inputs: the
evaluator asks again with the same window sums until one changes.
"""

from __future__ import annotations

import math
from functools import lru_cache

ABANDONS_NEGATIVE, ABANDONS_IGNORED, ABANDONS_POSITIVE = (
    "abandons_negative",
    "abandons_ignored",
    "abandons_positive",
)


def significant(value: float, digits: int = 3) -> float:
    """``value`` to ``digits`` significant digits: the evaluator rounds the inputs of
    ``agents_required`` so that consecutive scrapes of a busy queue, whose 15-minute
    rates move a little with every contact, find the answer in the cache. Finer than
    the 15-minute estimates themselves are; a large queue's search costs tens of ms."""
    return float(f"{value:.{digits - 1}e}")


def estimated_wait_seconds(
    ahead: int,
    longest_wait_s: float | None,
    serving: float,
    idle: int,
    aht_s: float | None,
    abandon_ratio: float,
) -> float | None:
    """How long a contact joining the queue now will wait; None: nothing to go by.

    - More idle agents than contacts waiting: one takes it at once, 0.
    - The queue-length estimator when the handle time and the agents are known:
      (ahead × (1 − abandon ratio) + 1) × AHT / serving agents. The contacts ahead
      that will abandon take no agent time (abandonment ahead, as in Genesys').
    - Otherwise the longest wait now (head of line), when someone waits.
    - Otherwise no estimate: never a made-up 0.
    """
    if idle > ahead:
        return 0.0
    if aht_s is not None and serving > 0:
        return (ahead * (1.0 - abandon_ratio) + 1.0) * aht_s / serving
    if ahead and longest_wait_s is not None:
        return longest_wait_s
    return None


def erlang_c_wait_probability(agents: int, load: float) -> float:
    """Erlang C: the probability that an arrival waits, ``load`` = λ × AHT in Erlangs.

    1.0 when the agents cannot carry the load (the queue grows without bound).
    """
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    blocking = 1.0  # Erlang B by its stable recursion
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return agents * blocking / (agents - load * (1.0 - blocking))


def erlang_c_service_level(agents: int, rate: float, aht_s: float, threshold_s: float) -> float:
    """Erlang C: the share of arrivals answered within ``threshold_s`` (nobody abandons,
    so every mode of SPEC §4 gives this)."""
    load = rate * aht_s
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    waits = erlang_c_wait_probability(agents, load)
    return max(0.0, 1.0 - waits * math.exp(-(agents - load) * threshold_s / aht_s))


@lru_cache(maxsize=8192)
def erlang_a_service_level(
    agents: int,
    rate: float,
    aht_s: float,
    patience_s: float,
    threshold_s: float,
    short_abandon_s: float = 0.0,
    mode: str = ABANDONS_NEGATIVE,
) -> float:
    """Erlang A (M/M/n+M): the service level of SPEC §4 under ``mode``, in steady state.

    ``met / eligible``, with met = answered within the threshold (plus abandons within
    it, not short, for ``abandons_positive``) and eligible = all arrivals less short
    abandons (answered only, for ``abandons_ignored``).

    In closed form (Mandelbaum & Zeltyn's, derived below), relative to π(n), the
    probability that all n agents are busy and nobody waits; x = nμ/θ, y = λ/θ:

    - F = Σ_{j<n} π(j)/π(n): an agent is free, answered at once (``_free``);
    - π(n + q)/π(n) = y^q / ((x+1)…(x+q)), in all A(x, y), where
      A(b, z) = Σ_k z^k / ((b+1)…(b+k)) is the incomplete gamma function's series
      (``_kummer``), and A(x, z) = 1 + z/(x+1) A(x+1, z);
    - of the arrivals that wait, still waiting at t: N(t) = E(t) A(x, z_t), and
      answered by t: M(t) = x/(x+1) (A(x+1, y) − E(t) A(x+1, z_t)), with
      z_t = y e^(−θt) and E(t) = e^(−(nμ+θ)t + y(1 − e^(−θt))); abandoned by t is the
      rest, A(x, y) − N(t) − M(t).

    Why: with q ahead the queue in front drains at nμ + iθ, so the wait for an agent
    is the (q+1)-th order statistic of x + q exponentials of rate θ; summed over q
    with the weights above, P(still queued at t, patience aside) is
    e^(−nμt + y(1 − e^(−θt))) A(x, z_t). Its own patience is Exp(θ): N(t) is that
    times e^(−θt), and M(t) the integral of the answers' density times e^(−θu),
    which integrates in closed form through γ(x+1, z) = x γ(x, z) − z^x e^(−z).

    So the service level is (F + M(T)) / (F + N(s) + M(s)) at threshold T and short
    abandon s (eligible: not abandoned by s); ``abandons_positive`` counts the
    eligible not still waiting at T, 1 − N(T) / (F + N(s) + M(s)); and
    ``abandons_ignored`` takes the eventually answered, F + x/(x+1) A(x+1, y), as
    eligible. Three series of positive terms (one per distinct time, and y), no
    alternating sums, no per-position loop: a few hundred multiplications.
    """
    if rate <= 0:
        return 1.0
    if agents <= 0:
        return 0.0
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    x, y = agents * mu / theta, rate / theta
    b = x + 1.0
    log_free, free = _free(agents, rate / mu)
    log_y, waiting = _kummer(b, y)
    top = max(log_free, log_y, 0.0)  # every sum below is scaled by e^(−top)
    free *= math.exp(log_free - top)
    waiting *= math.exp(log_y - top)
    service = agents * mu

    def absorbed(t: float) -> tuple[float, float]:
        """(N(t), M(t)), scaled."""
        if t <= 0:
            return math.exp(-top) + y / b * waiting, 0.0
        z = y * math.exp(-theta * t)
        log_e = -(service + theta) * t - y * math.expm1(-theta * t)
        log_z, at_t = _kummer(b, z)
        at_t *= math.exp(log_z + log_e - top)
        return math.exp(log_e - top) + z / b * at_t, max(0.0, x / b * (waiting - at_t))

    queued_t, met = absorbed(threshold_s)
    met += free
    if mode == ABANDONS_IGNORED:
        eligible = free + x / b * waiting
        return 0.0 if eligible <= 0 else min(1.0, met / eligible)
    queued_s, served_s = absorbed(short_abandon_s)
    eligible = free + queued_s + served_s
    if eligible <= 0:
        return 0.0
    if mode == ABANDONS_POSITIVE:
        met = eligible - queued_t
    return min(1.0, met / eligible)


#: Series are summed until the rest is below 2^-56 of the sum: to the float's last bit.
_EPS = 2.0**-56
#: Terms between two checks of the rest: the checks cost more than the terms.
_CHUNK = 16


def _kummer(b: float, z: float) -> tuple[float, float]:
    """A(b, z) = Σ_{k≥0} z^k / ((b+1)…(b+k)) as (log L, A / e^L), L the log of the
    largest term (at k = ⌊z − b⌋): long queues' terms pass 1e308.

    Summed outwards from the largest term: ratios z/(b+k) one way, (b+k)/z the other.
    """
    peak = math.floor(z - b) if z > b else 0
    centre = b + peak
    total = _rising(z, centre + 1.0, math.inf, 1.0)
    if not peak:
        return 0.0, total
    total = _falling(centre, z, peak, total)
    return peak * math.log(z) - (math.lgamma(centre + 1.0) - math.lgamma(b + 1.0)), total


def _free(agents: int, load: float) -> tuple[float, float]:
    """F = Σ_{k=1..n} n! / ((n−k)! load^k), π(n − k)/π(n), as (log L, F / e^L): the
    same outward summation as ``_kummer``, from the largest term (k = ⌊n + 1 − load⌋),
    ratios j/load for j = n − peak down to 1, and load/j for j = n − peak + 1 up."""
    peak = min(agents, math.floor(agents + 1 - load)) if agents + 1 > load else 0
    total = _falling(float(agents - peak), load, agents - peak, 0.0)
    if not peak:
        return 0.0, total
    total = _rising(load, float(agents - peak + 1), peak - 1, total + 1.0)
    log_peak = math.lgamma(agents + 1) - math.lgamma(agents - peak + 1) - peak * math.log(load)
    return log_peak, total


def _rising(scale: float, x: float, count: float, total: float) -> float:
    """``total`` plus up to ``count`` terms, each the last times scale / x for
    x, x + 1, …, ratios that only fall: stopped once the rest, below the last term
    times r/(1 − r) for the next ratio r, no longer counts."""
    term = 1.0
    while count > 0:
        for _ in range(min(_CHUNK, count)):
            term *= scale / x
            total += term
            x += 1.0
        count -= _CHUNK
        ratio = scale / x
        if term * ratio < _EPS * total * (1.0 - ratio):
            break
    return total


def _falling(x: float, scale: float, count: int, total: float) -> float:
    """``_rising``'s mirror: terms each the last times x / scale for x, x − 1, …"""
    term = 1.0
    while count > 0:
        for _ in range(min(_CHUNK, count)):
            term *= x / scale
            total += term
            x -= 1.0
        count -= _CHUNK
        ratio = x / scale
        if term * ratio < _EPS * total * (1.0 - ratio):
            break
    return total


def _erlang_c_required(
    load: float, aht_s: float, threshold_s: float, target: float, ceiling: int
) -> int:
    """Erlang C's answer, carrying Erlang B from one staffing to the next (one pass)."""
    blocking = 1.0
    for n in range(1, ceiling):
        blocking = load * blocking / (n + load * blocking)
        if n > load:
            waits = n * blocking / (n - load * (1.0 - blocking))
            level = 1.0 - waits * math.exp(-(n - load) * threshold_s / aht_s)
            if level >= target:
                return n
    return ceiling


def staffing_hint(load: float, last_load: float, last_answer: int) -> int:
    """Where a search starts: the last answer, moved with the load by square-root
    staffing (n = a + β√a, Halfin & Whitt's regime, β kept from the last answer).

    Under traffic a busy queue's 15-minute load moves with every scrape, and a large
    queue's answer by several agents with it; moved this way, the start is mostly the
    answer or one off: two or three Erlang A evaluations instead of five or more.
    """
    if last_load <= 0 or load <= 0:
        return last_answer
    beta = (last_answer - last_load) / math.sqrt(last_load)
    return max(1, round(load + beta * math.sqrt(load)))


def agents_required(
    rate: float,
    aht_s: float,
    threshold_s: float,
    target: float,
    patience_s: float | None = None,
    short_abandon_s: float = 0.0,
    mode: str = ABANDONS_NEGATIVE,
    hint: int | None = None,
) -> int:
    """The fewest agents whose service level meets ``target``: Erlang A with a patience,
    Erlang C without one. No load needs no agents.

    The search stops at load + 20 √load + 50 agents, far past any real answer (a
    target of 1.0 is never met exactly, so that is what it then returns). Erlang A
    starts from ``hint`` (``staffing_hint``: the last scrape's answer moved with the
    load, usually right or one off: two or three evaluations) or else from Erlang C's
    answer, which abandons only lower, and gallops from there: it never probes the
    deeply overloaded staffings whose long queues cost the most. The answer does not
    depend on where it starts (the service level only grows with agents), only the
    cost does.
    """
    if rate <= 0:
        return 0
    load = rate * aht_s
    ceiling = math.ceil(load + 20.0 * math.sqrt(load) + 50.0)
    if patience_s is None:
        return _erlang_c_required(load, aht_s, threshold_s, target, ceiling)

    def meets(n: int) -> bool:
        if n <= 0:
            return False
        if n >= ceiling:
            return True  # the search's end: taken as the answer
        level = erlang_a_service_level(
            n, rate, aht_s, patience_s, threshold_s, short_abandon_s, mode
        )
        return level >= target

    start = hint if hint is not None and hint > 0 else None
    if start is None:
        start = _erlang_c_required(load, aht_s, threshold_s, target, ceiling)
    start = min(start, ceiling)
    # Gallop by 1, 1, 2, 4, ...: between two scrapes the answer mostly stays or moves
    # by one, which then costs two or three evaluations.
    if meets(start):  # gallop down to the first staffing that fails
        high, low, step = start, start - 1, 1
        while meets(low):
            high, low, step = low, max(0, low - step), step * 2
    else:  # gallop up to the first that meets
        low, high, step = start, min(ceiling, start + 1), 1
        while not meets(high):
            low, high, step = high, min(ceiling, high + step), step * 2
    while high - low > 1:  # meets(high), not meets(low)
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high
