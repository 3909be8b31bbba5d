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

Erlang A's waiting-time distribution is computed in closed form per queue position
(``_absorbed_by``: order statistics of exponentials, a negative-binomial tail), one
pass over the positions, instead of the textbook hypoexponential sums whose
alternating terms lose every digit for long queues. Results are cached by their
inputs: the evaluator asks again with the same window sums until one changes.
"""

from __future__ import annotations

import math
from functools import lru_cache

ABANDONS_NEGATIVE, ABANDONS_IGNORED, ABANDONS_POSITIVE = (
    "abandons_negative",
    "abandons_ignored",
    "abandons_positive",
)
#: Stationary probabilities below e^-30 of the largest are left out (below 1e-13).
_TAIL_LOG = 30.0
#: Queue positions modelled one by one; arrivals finding more ahead are lumped.
MAX_AHEAD = 2_000


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
    """
    if rate <= 0:
        return 1.0
    if agents <= 0:
        return 0.0
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    served_at_once, ahead = _arrival_view(agents, rate, mu, theta)
    times = sorted({0.0, short_abandon_s, threshold_s})
    served, abandoned = _absorbed_by(agents, mu, theta, ahead, times)
    served = [served_at_once + s for s in served]
    at = {t: i for i, t in enumerate(times)}
    met = served[at[threshold_s]]
    if mode == ABANDONS_POSITIVE:
        met += abandoned[at[threshold_s]] - abandoned[at[short_abandon_s]]
    if mode == ABANDONS_IGNORED:
        service = agents * mu  # P(served) with q ahead: see _absorbed_by
        eligible = served_at_once + sum(
            p * service / (service + (q + 1) * theta) for q, p in enumerate(ahead)
        )
    else:
        eligible = 1.0 - abandoned[at[short_abandon_s]]
    return 0.0 if eligible <= 0 else min(1.0, met / eligible)


def _arrival_view(agents: int, rate: float, mu: float, theta: float) -> tuple[float, list[float]]:
    """What an arrival finds (PASTA): P(an agent is free), and P(q waiting ahead) for
    q < ``MAX_AHEAD``; arrivals finding more ahead are in neither (they are eligible,
    and neither served nor abandoned within any threshold worth modelling).

    Birth-death chain: up at λ; down at jμ below n agents busy, at nμ + (j − n)θ above.
    """
    log, exp = math.log, math.exp
    log_load = log(rate / mu)
    # Logs relative to j = n (all n busy, none ahead), walking out both ways until the
    # terms are negligible and falling: a few dozen terms around the mode, not n.
    free_logs: list[float] = []  # j = n − 1, n − 2, ...: an agent is free
    value, j, top = 0.0, agents, 0.0
    while j > 0:
        value += log(j) - log_load  # π(j − 1) / π(j) = jμ / λ
        j -= 1
        if free_logs and value < free_logs[-1] and value < top - _TAIL_LOG:
            break
        free_logs.append(value)
        if value > top:
            top = value
    queued = [0.0]  # j = n + q: q ahead
    tail: list[float] = []  # beyond MAX_AHEAD: only in the normalisation
    last, k, log_rate, service = 0.0, 0, log(rate), agents * mu
    while True:
        k += 1
        nxt = last + log_rate - log(service + k * theta)
        if nxt > top:
            top = nxt
        if nxt < last and nxt < top - _TAIL_LOG:
            break
        (queued if len(queued) < MAX_AHEAD else tail).append(nxt)
        last = nxt
    free = sum([exp(v - top) for v in free_logs])
    weights = [exp(v - top) for v in queued]
    total = free + sum(weights) + sum([exp(v - top) for v in tail])
    return free / total, [w / total for w in weights]


def _absorbed_by(
    agents: int, mu: float, theta: float, ahead: list[float], times: list[float]
) -> tuple[list[float], list[float]]:
    """P(served by t) and P(abandoned by t) for each t, for a tagged contact that finds q
    ahead with probability ``ahead[q]``.

    With q ahead, the queue in front moves on at nμ + iθ (i ahead), so the time until
    the tagged contact reaches an agent, S, is a sum of exponentials with rates
    nμ + iθ, i = 0..q: the (q+1)-th order statistic of nμ/θ + q exponentials of rate θ,
    P(S ≤ t) = I_p(q + 1, nμ/θ) with p = 1 − e^(−θt) (the regularised incomplete beta,
    which for a whole first argument is a negative-binomial tail). Its own patience
    is an independent Exp(θ). Served by t: every stage must end before it abandons,
    which at stage i has odds (nμ + iθ) / (nμ + (i+1)θ); the product telescopes to
    nμ / (nμ + (q+1)θ), and the stages then take Exp(nμ + (i+1)θ) each, so
    P(served by t) = nμ / (nμ + (q+1)θ) × I_p(q + 1, nμ/θ + 1). Abandoned by t: reached
    no agent and lost patience, 1 − e^(−θt) P(S > t) − P(served by t).

    The recursion's factors depend on the position alone, so they are taken once for
    every t; only ``log p`` depends on t.
    """
    log, exp = math.log, math.exp
    service = agents * mu
    c = service / theta
    # The negative-binomial terms C(q + b − 1, q) p^q (1 − p)^b, in logs (the first
    # is below 1e-308 for long queues) and by recursion: one log per position.
    steps = [(0.0, 0.0)] + [(log((q + c) / q), log((q + c - 1) / q)) for q in range(1, len(ahead))]
    terms = [
        (weight, weight * service / (service + (q + 1) * theta), *step)
        for q, (weight, step) in enumerate(zip(ahead, steps, strict=True))
    ]
    served_by, abandoned_by = [], []
    for t in times:
        if t <= 0:
            served_by.append(0.0)
            abandoned_by.append(0.0)
            continue
        log_p, log_rest = log(-math.expm1(-theta * t)), -theta * t
        patient = exp(-theta * t)
        served = absorbed = 0.0
        reached_served = reached = 1.0  # I_p(q + 1, c + 1) and I_p(q + 1, c), from 1 down
        log_served, log_reached = (c + 1) * log_rest - log_p, c * log_rest - log_p
        for weight, share, step_served, step_reached in terms:
            log_served += step_served + log_p
            log_reached += step_reached + log_p
            reached_served -= exp(log_served)
            reached -= exp(log_reached)
            if reached_served > 0.0:
                served += share * reached_served
            absorbed += weight * (1.0 - patient * (1.0 - (reached if reached > 0.0 else 0.0)))
        served_by.append(served)
        abandoned_by.append(absorbed - served)
    return served_by, abandoned_by


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
    starts from ``hint`` (the answer of the previous scrape, usually right or one
    off: two or three evaluations) or else from Erlang C's answer, which abandons only lower,
    and gallops from there: it never probes the deeply overloaded staffings whose
    long queues cost the most. The answer does not depend on where it starts (the
    service level only grows with agents), only the cost does.
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
