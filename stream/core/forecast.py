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

Erlang A's waiting-time distribution is computed by uniformisation of the tagged
contact's own Markov chain (q contacts ahead: one fewer at rate nμ + qθ; it abandons
at rate θ): every term is a sum of non-negative numbers, so it stays accurate where
the closed form's alternating sums lose every digit. Results are cached by their
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
#: Stationary probabilities below e^-40 of the largest are left out (below 1e-17).
_TAIL_LOG = 40.0
#: Queue positions modelled one by one; arrivals finding more ahead are lumped.
MAX_AHEAD = 2_000


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
        eligible = served_at_once + sum(
            p * _served_eventually(agents, mu, theta, q) for q, p in enumerate(ahead)
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
    log_rate, log_mu = math.log(rate), math.log(mu)
    logs = [0.0]
    for j in range(1, agents + 1):
        logs.append(logs[-1] + log_rate - log_mu - math.log(j))
    queued = [logs[-1]]  # j = n + q: q ahead
    tail: list[float] = []  # beyond MAX_AHEAD: only in the normalisation
    top = max(logs)
    last, k = logs[-1], 0
    while True:
        k += 1
        nxt = last + log_rate - math.log(agents * mu + k * theta)
        top = max(top, nxt)
        if nxt < last and nxt < top - _TAIL_LOG:
            break
        (queued if len(queued) < MAX_AHEAD else tail).append(nxt)
        last = nxt
    free = sum(math.exp(v - top) for v in logs[:-1])  # j < n: an agent is free
    weights = [math.exp(v - top) for v in queued]
    total = free + sum(weights) + sum(math.exp(v - top) for v in tail)
    return free / total, [w / total for w in weights]


def _absorbed_by(
    agents: int, mu: float, theta: float, ahead: list[float], times: list[float]
) -> tuple[list[float], list[float]]:
    """P(served by t) and P(abandoned by t) for each t, for a tagged contact that starts
    with probability ``ahead[q]`` of q ahead: uniformisation of its chain."""
    size = len(ahead)
    service = agents * mu
    uniform = service + size * theta  # the fastest total rate of any state
    stay = [1.0 - (service + q * theta + theta) / uniform for q in range(size)]
    advance = [(service + q * theta) / uniform for q in range(size)]
    leave = theta / uniform
    horizon = uniform * max(times)
    steps = int(horizon + 10.0 * math.sqrt(horizon) + 20.0)
    p = list(ahead)
    served_after = [0.0]  # absorbed mass after m uniformised steps
    abandoned_after = [0.0]
    for _ in range(steps):
        served = served_after[-1] + p[0] * advance[0]
        abandoned_after.append(abandoned_after[-1] + sum(p) * leave)
        served_after.append(served)
        p = [p[q] * stay[q] + p[q + 1] * advance[q + 1] for q in range(size - 1)] + [
            p[-1] * stay[-1]
        ]
    return (
        [_poisson_mix(served_after, uniform * t) for t in times],
        [_poisson_mix(abandoned_after, uniform * t) for t in times],
    )


def _poisson_mix(after: list[float], mean: float) -> float:
    """Σ_m Poisson(m; mean) × after[m]: the uniformised chain's mass at one time. The
    tail past the last step is counted at the last step's value (monotone, < 1e-12)."""
    if mean == 0:
        return after[0]
    log_mean = math.log(mean)
    total = weights = 0.0
    for m, value in enumerate(after):
        weight = math.exp(-mean + m * log_mean - math.lgamma(m + 1))
        total += weight * value
        weights += weight
    return total + max(0.0, 1.0 - weights) * after[-1]


def _served_eventually(agents: int, mu: float, theta: float, ahead: int) -> float:
    """P(a contact with ``ahead`` contacts ahead is served before it abandons)."""
    service = agents * mu
    chance = 1.0
    for q in range(ahead + 1):
        rate = service + q * theta
        chance *= rate / (rate + theta)
    return chance


@lru_cache(maxsize=8192)
def agents_required(
    rate: float,
    aht_s: float,
    threshold_s: float,
    target: float,
    patience_s: float | None = None,
    short_abandon_s: float = 0.0,
    mode: str = ABANDONS_NEGATIVE,
) -> int:
    """The fewest agents whose service level meets ``target``: Erlang A with a patience,
    Erlang C without one. No load needs no agents.

    The search stops at load + 20 √load + 50 agents, far past any real answer (a
    target of 1.0 is never met exactly, so that is what it then returns).
    """
    if rate <= 0:
        return 0
    load = rate * aht_s
    ceiling = math.ceil(load + 20.0 * math.sqrt(load) + 50.0)
    if patience_s is None:
        for n in range(max(1, math.floor(load) + 1), ceiling):
            if erlang_c_service_level(n, rate, aht_s, threshold_s) >= target:
                return n
        return ceiling

    def meets(n: int) -> bool:
        level = erlang_a_service_level(
            n, rate, aht_s, patience_s, threshold_s, short_abandon_s, mode
        )
        return level >= target

    low, high = 0, ceiling  # meets(low) is false (no agent answers anyone), test high
    if not meets(high):
        return ceiling
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high
