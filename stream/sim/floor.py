"""The floor manager: the real-time analyst who moves agents between the queues and
back-office work to hold each queue's service level near its target.

Without one, a queue's 15-minute service level swings from window to window by about
the width of a supervisor's comfort band (70–90 %), whatever the staffing: a
15-minute window holds only about two handle times, so its arrivals alone move the
load by several agents (bench/README.md, "how normal the demo's day is"). Real floors
damp that by hand: when a queue slips, agents doing back-office work (email, call
backs, training) are pulled onto the phones; when it runs far ahead, idle agents are
sent back to that work. This model does the same every 20 seconds from the queue's
outcomes of the last five minutes, one or two agents at a time, as an analyst watching
the wallboard would (timings tuned in bench/README.md). Back-office agents are
``away`` in the event stream, like any agent off the phones; a break or the shift's
end ends their back-office spell.

It can only move the agents on shift: a surge bigger than the back office still turns
its queue red, which is what the demo's scripted surge is for.
"""

from __future__ import annotations

from collections import deque

from ..core.config import QueuePolicy
from ..core.timeutil import MINUTE_MS
from .workforce import Workforce
from .world import World

#: SPEC's defaults (the core's queue policy): answered within 20 s is in service
#: level, an abandon under 10 s is not counted.
THRESHOLD_MS = QueuePolicy().threshold_ms
SHORT_ABANDON_MS = QueuePolicy().short_abandon_ms
#: How often the analyst looks; once a minute was too slow for the swings.
CHECK_MS = 20_000
#: Outcomes older than this no longer steer (a few handle times).
MEMORY_MS = 5 * MINUTE_MS
#: Distance from the target before anyone is moved: the band a supervisor accepts.
SLACK = 0.03
#: Fewest recent outcomes worth acting on.
MIN_OUTCOMES = 8


class FloorManager:
    """Steers each queue's recent service level to ``target`` with back-office moves."""

    def __init__(self, world: World, workforce: Workforce, target: float) -> None:
        self.world = world
        self.workforce = workforce
        self.target = target
        #: Per queue: (time, within threshold?) of its recent answers and abandons.
        self._outcomes: dict[str, deque[tuple[int, bool]]] = {q: deque() for q in world.queues}

    def start(self) -> None:
        self.world.sched.after(CHECK_MS, self._check)

    def answered(self, queue: str, waited_ms: int) -> None:
        self._outcomes[queue].append((self.world.sched.now, waited_ms <= THRESHOLD_MS))

    def abandoned(self, queue: str, waited_ms: int) -> None:
        if waited_ms >= SHORT_ABANDON_MS:
            self._outcomes[queue].append((self.world.sched.now, False))

    def recent_level(self, queue: str) -> float | None:
        """Share of the queue's recent outcomes within threshold, or None if too few."""
        outcomes = self._outcomes[queue]
        horizon = self.world.sched.now - MEMORY_MS
        while outcomes and outcomes[0][0] < horizon:
            outcomes.popleft()
        if len(outcomes) < MIN_OUTCOMES:
            return None
        return sum(within for _, within in outcomes) / len(outcomes)

    def _check(self) -> None:
        for queue in self.world.queues:
            level = self.recent_level(queue)
            if level is None:
                continue
            if level < self.target - SLACK:
                self._recall(queue, 2 if level < self.target - 3 * SLACK else 1)
            elif level > self.target + SLACK:
                self._release(queue, 2 if level > self.target + 3 * SLACK else 1)
        self.world.sched.after(CHECK_MS, self._check)

    def _recall(self, queue: str, count: int) -> None:
        """Back onto the phones: back-office agents who serve ``queue``, theirs first."""
        office = self.workforce.back_office.values()
        ranked = sorted(
            (a for a in office if queue in a.queues), key=lambda a: (a.queues[0] != queue, a.index)
        )
        for agent in ranked[:count]:
            self.workforce.end_back_office(agent)

    def _release(self, queue: str, count: int) -> None:
        """Off the phones: the longest idle agents whose own queue is ``queue``."""
        idle = [a for a in self.workforce.idle.values() if a.queues[0] == queue]
        for agent in idle[:count]:
            self.workforce.start_back_office(agent)
