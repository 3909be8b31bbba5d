"""Agents: the roster (teams, queues, shifts) and each agent's state over the day.

Shifts follow demand. Each agent works one 8.5-hour shift a day (8 h plus a 30-minute
lunch) starting on a whole local hour (a flat day's on the quarter hours, spread
evenly); starts are chosen greedily so that staffed agent-hours track the arrival
curve, which yields the usual pattern of a skeleton night crew, a big morning wave and
a late shift. Every hour anyone is on shift, each queue is
served by at least one of those agents, so no queue is orphaned at 03:00.

Within a shift an agent takes two 15-minute breaks and lunch (state ``away``); a break
or shift end that falls during a contact waits until its wrap-up is done, as real
workforce tools do. States are emitted only when they change, with the agent's queues
and team, as ``agent.state_changed`` from the WFM system.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from ..core.timeutil import HOUR_MS, MINUTE_MS
from .curve import DailyCurve
from .settings import PRIORITY_QUEUES, team_names
from .world import World

SHIFT_HOURS = 8
SHIFT_MS = SHIFT_HOURS * HOUR_MS + 30 * MINUTE_MS
#: (hours into the shift, minutes away): morning break, lunch, afternoon break.
BREAKS = ((2.0, 15), (4.25, 30), (6.5, 15))
SECONDARY_QUEUE_SHARE = 0.5
#: Share of agents who also take priority queues (VIP lines go to seasoned agents).
PRIORITY_SKILL_SHARE = 0.3


@dataclass(slots=True, eq=False)
class Agent:
    """One agent and where they are right now."""

    index: int
    agent_id: str
    team: str
    queues: tuple[str, ...]
    shift_hour: int
    shift_minute: int = 0  # past shift_hour: a flat day's starts spread over the hour
    state: str | None = None
    on_shift: bool = False
    busy: bool = False  # ringing, on a contact or in after-contact work
    idle_since: int = 0
    pending_break_ms: int = 0
    break_token: int = 0


def night_crew(agents: int) -> int:
    """Fewest agents on shift at any hour: about 4 % of the roster, none for tiny ones."""
    return 0 if agents < 4 else max(1, round(agents * 0.04))


def plan_shift_hours(shape: tuple[float, ...], agents: int) -> list[int]:
    """Shift start hours (sorted) whose staffing tracks ``shape`` with a night crew.

    Staffed agents per hour should be proportional to demand, never below
    :func:`night_crew`. Least squares by local search: a greedy first plan, then move
    one agent from one start hour to another while that lowers Σ (staffed − target)²;
    a few dozen moves for any realistic roster.
    """

    def hours(start: int) -> list[int]:
        return [(start + k) % 24 for k in range(SHIFT_HOURS)]

    if len(set(shape)) == 1:
        # Flat demand: every plan with the same start count per hour staffs it alike, and
        # the search would settle on three big cohorts, whose breaks and lunch empty the
        # floor together. Stagger the starts evenly instead, as a workforce tool would.
        return [i * 24 // agents for i in range(agents)]
    total = sum(shape) or 1.0
    crew = night_crew(agents)
    target = [max(v / total * agents * SHIFT_HOURS, crew) for v in shape]
    counts = [0] * 24
    staffed = [0] * 24
    for _ in range(agents):  # greedy start: the shift covering the largest deficit
        start = max(range(24), key=lambda s: sum(target[h] - staffed[h] for h in hours(s)))
        counts[start] += 1
        for h in hours(start):
            staffed[h] += 1

    def gain(src: int, dst: int) -> float:
        # Cost change of moving one agent from src to dst; positive = better.
        out, into = set(hours(src)), set(hours(dst))
        before = after = 0.0
        for h in out ^ into:
            new = staffed[h] + (1 if h in into else -1)
            before += (staffed[h] - target[h]) ** 2 + 50 * max(0, crew - staffed[h]) ** 2
            after += (new - target[h]) ** 2 + 50 * max(0, crew - new) ** 2
        return before - after

    for _ in range(50 * agents):
        moves = [(gain(s, d), -s, -d) for s in range(24) if counts[s] for d in range(24) if d != s]
        best = max(moves, default=(0.0, 0, 0))
        if best[0] <= 1e-9:
            break
        src, dst = -best[1], -best[2]
        counts[src] -= 1
        counts[dst] += 1
        for h in hours(src):
            staffed[h] -= 1
        for h in hours(dst):
            staffed[h] += 1
    return [start for start in range(24) for _ in range(counts[start])]


def quarter_starts(starts: list[int]) -> list[int]:
    """Minutes past its hour for each of the evenly staggered ``starts`` of a flat day:
    each hour's shifts spread over its four quarters. Whole-hour cohorts leave a gap
    every hour between one cohort's end (once its contacts are wrapped up) and the next
    one's start, and a flat day's service level followed that hourly sawtooth. One
    pass (0.07 s for 100,000 agents); a scan per agent took minutes at that size."""
    per_hour = Counter(starts)
    seen: Counter[int] = Counter()
    minutes = []
    for start in starts:
        minutes.append(seen[start] * 4 // per_hour[start] * 15)
        seen[start] += 1
    return minutes


def build_roster(world: World, shape: tuple[float, ...]) -> list[Agent]:
    """Agents with teams, shifts and queues (a primary, some a second one)."""
    rng = world.rng("roster")
    count = world.settings.agents
    teams = team_names(count)
    starts = plan_shift_hours(shape, count)
    minutes = quarter_starts(starts) if len(set(shape)) == 1 else [0] * count
    # Smooth weighted round robin: primaries in proportion to volume, interleaved so
    # every shift wave gets a mix of queues.
    current = [0.0] * len(world.queues)
    total = sum(world.weights)
    agents = []
    for i in range(count):
        current = [c + w for c, w in zip(current, world.weights, strict=True)]
        best = max(range(len(current)), key=lambda j: (current[j], -j))
        current[best] -= total
        queues = [world.queues[best]]
        others = [q for q in world.queues if q != queues[0]]
        if others and rng.random() < SECONDARY_QUEUE_SHARE:
            # Second skills lean to the small queues, which need pooling most.
            weights = [world.weights[world.queues.index(q)] ** 0.5 for q in others]
            queues.append(rng.choices(others, weights)[0])
        for queue in PRIORITY_QUEUES.intersection(world.queues) - set(queues):
            if rng.random() < PRIORITY_SKILL_SHARE:
                queues.append(queue)
        team = teams[i * len(teams) // count]
        agents.append(
            Agent(
                i,
                f"agent-{i + 1:04d}",
                team,
                tuple(queues),
                starts[i],
                minutes[i],
            )
        )
    for hour in range(24):
        present = [a for a in agents if (hour - a.shift_hour) % 24 < SHIFT_HOURS]
        for queue in world.queues:
            if present and not any(queue in a.queues for a in present):
                helper = min(present, key=lambda a: (len(a.queues), a.index))
                helper.queues += (queue,)
    return agents


class Workforce:
    """Runs shifts and breaks; tells the contact centre when an agent is free."""

    def __init__(
        self,
        world: World,
        curve: DailyCurve,
        on_shift_end: Callable[[Agent], None],
    ) -> None:
        self.world = world
        self.curve = curve
        self.roster = build_roster(world, curve.shape)
        #: Available agents not reserved for a contact, longest idle first.
        self.idle: dict[str, Agent] = {}
        #: Agents on shift doing back-office work (``away``), sent there by the floor
        #: manager (``floor.py``); none without one.
        self.back_office: dict[str, Agent] = {}
        #: Called when an agent becomes available; the contact centre plugs in here.
        self.on_free: Callable[[Agent], None] = lambda agent: None
        self._on_shift_end = on_shift_end
        self._rng = world.rng("shifts")

    def start(self) -> None:
        """Plan yesterday's and today's shifts, then snapshot who is offline now."""
        now = self.world.sched.now
        today = self.curve.midnight_ms(now)
        self._plan_day(self.curve.midnight_ms(today - HOUR_MS))
        self._plan_day(today)
        self.world.sched.at(now, self._snapshot)

    def take(self, agent: Agent) -> None:
        """Reserve an idle agent for a contact."""
        del self.idle[agent.agent_id]
        agent.busy = True

    def set_state(self, agent: Agent, state: str) -> None:
        """Record a state; emitted only when it changes."""
        if agent.state == state:
            return
        agent.state = state
        self.world.emit(
            "agent.state_changed",
            {
                "agent_id": agent.agent_id,
                "state": state,
                "queues": list(agent.queues),
                "team": agent.team,
            },
        )

    def start_back_office(self, agent: Agent) -> None:
        """An idle agent leaves the phones for back-office work until called back."""
        del self.idle[agent.agent_id]
        self.back_office[agent.agent_id] = agent
        self.set_state(agent, "away")

    def end_back_office(self, agent: Agent) -> None:
        """Called back onto the phones: available at once."""
        del self.back_office[agent.agent_id]
        self.free(agent)

    def free(self, agent: Agent) -> None:
        """The agent has finished (or never started) a contact: what do they do next?"""
        agent.busy = False
        if not agent.on_shift:
            self.set_state(agent, "offline")
            self._on_shift_end(agent)
        elif agent.pending_break_ms:
            self._start_break(agent, agent.pending_break_ms)
        else:
            self.set_state(agent, "available")
            agent.idle_since = self.world.sched.now
            self.idle[agent.agent_id] = agent
            self.on_free(agent)

    def _plan_day(self, midnight_ms: int) -> None:
        sched, rng = self.world.sched, self._rng
        for agent in self.roster:
            begin = (
                midnight_ms
                + (agent.shift_hour * 60 + agent.shift_minute) * MINUTE_MS
                + round(rng.uniform(-5, 5) * MINUTE_MS)
            )
            end = begin + SHIFT_MS + round(rng.uniform(0, 10) * MINUTE_MS)
            if end <= sched.now:
                continue
            sched.at(begin, partial(self._shift_start, agent))
            for hours, minutes in BREAKS:
                at = begin + round((hours + rng.uniform(-0.25, 0.25)) * HOUR_MS)
                if at > sched.now:
                    sched.at(at, partial(self._break_start, agent, minutes * MINUTE_MS))
            sched.at(end, partial(self._shift_end, agent))
        next_midnight = self.curve.midnight_ms(midnight_ms + 26 * HOUR_MS)
        if next_midnight > sched.now:
            sched.at(next_midnight, partial(self._plan_day, next_midnight))

    def _snapshot(self) -> None:
        for agent in self.roster:
            if agent.state is None:
                self.set_state(agent, "offline")

    def _shift_start(self, agent: Agent) -> None:
        if agent.on_shift:
            return
        agent.on_shift = True
        if not agent.busy:
            self.free(agent)

    def _break_start(self, agent: Agent, length_ms: int) -> None:
        if self.back_office.pop(agent.agent_id, None) is not None:
            self._start_break(agent, length_ms)  # from back-office work to the break
            return
        if not agent.on_shift or agent.state == "away":
            return
        if agent.busy:
            agent.pending_break_ms = length_ms
            return
        self.idle.pop(agent.agent_id, None)
        self._start_break(agent, length_ms)

    def _start_break(self, agent: Agent, length_ms: int) -> None:
        agent.pending_break_ms = 0
        agent.break_token += 1
        self.set_state(agent, "away")
        self.world.sched.after(length_ms, partial(self._break_end, agent, agent.break_token))

    def _break_end(self, agent: Agent, token: int) -> None:
        if token == agent.break_token and agent.state == "away" and agent.on_shift:
            self.free(agent)

    def _shift_end(self, agent: Agent) -> None:
        agent.on_shift = False
        agent.pending_break_ms = 0
        if agent.busy:
            return  # goes offline after wrap-up, in free()
        self.idle.pop(agent.agent_id, None)
        self.back_office.pop(agent.agent_id, None)
        agent.break_token += 1
        self.set_state(agent, "offline")
        self._on_shift_end(agent)
