"""What the worker's web endpoints serve: one exposition per render interval, for everyone.

A scrape evaluates the KPIs on the event loop that ingests, so every evaluation is
time not spent on events. Prometheus, a Grafana wallboard, several ``/wallboard``
browsers and a load balancer's probes each asking on their own schedule would
multiply that. So the families are evaluated at most once per ``interval_s``
(``--render-interval``, default 250 ms), lazily, when a request finds the last
evaluation older than that; every request in between gets the same bodies, each body
written once per evaluation. A value on a wallboard is then at most one interval
older than it could be, well inside the wallboard's own refresh.

An evaluation and the writing of a body each hold the event loop: ingestion waits
for them. So they are many holds, not one, each of about ``step_s``, with a turn for
ingestion between them (``evaluate.Evaluation``): first the read of the state, a part
at a time, then the agents-required searches (Erlang A, most of a busy centre's
evaluation, pure functions of numbers the read copied). The read must see one moment,
so ``Gate`` keeps the writers of the state out until it ends: a batch of stage 2
waits its turn (stage 1, which writes none of it, goes on), and a read does not begin
while a batch of stage 2 is half applied. The body is written in a hold of its own,
after a turn for ingestion: the turn in which the searches' end reaches the requests
waiting for them, or, when the evaluation ended in the hold of the request that began
it, one it gives before writing. Each hold is reported to ``observe_hold`` (the
worker's ``cx_worker_render_seconds``), so the stall a scrape causes is measured where
it happens, not guessed from outside.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import orjson

from ..core.evaluate import Evaluation, Family
from ..export.text import TextWriter
from ..export.wallboard import WALLBOARD_PAGE, wallboard_data

Clock = Callable[[], float]
#: How long one step of an evaluation's searches may hold the event loop (seconds).
STEP_S = 0.02


class Phase:
    """A read or a write of the state: whether one is under way, and a wait for its end."""

    def __init__(self) -> None:
        self.under_way = False
        self.other: Phase | None = None  # the phase that may not be under way at once
        self._over = asyncio.Event()
        self._over.set()

    def begin(self) -> None:
        assert self.other is None or not self.other.under_way, "a read and a write at once"
        self.under_way = True
        self._over.clear()

    def end(self) -> None:
        self.under_way = False
        self._over.set()

    async def over(self) -> None:
        """Until none is under way."""
        while self.under_way:
            await self._over.wait()


class Gate:
    """Keeps an evaluation's read of the state and the writes to that state apart.

    Both span several turns of the event loop: a read goes in steps, and a write (a
    stage-2 batch) waits for the broker before it stores. Neither holds the other up
    longer than it must: a read waits for a write under way to end, and a write that
    finds a read under way is the writer's to put off (the worker keeps such batches
    and applies them when the read is over).
    """

    def __init__(self) -> None:
        self.read, self.write = Phase(), Phase()
        self.read.other, self.write.other = self.write, self.read


class Exposition:
    """The KPI families as of the last evaluation, and the bodies written from them."""

    def __init__(
        self,
        evaluate: Callable[[int], Evaluation],
        interval_s: float,
        wall_ms: Callable[[], int],
        monotonic: Clock = time.monotonic,
        min_sample: int = 10,
        sparklines: Callable[[int], dict] | None = None,
        agents: Callable[[int], list] | None = None,
        observe_hold: Callable[[float], None] | None = None,
        step_s: float = STEP_S,
        gate: Gate | None = None,
    ) -> None:
        self._evaluate, self.interval_s, self.step_s = evaluate, interval_s, step_s
        self.min_sample = min_sample
        self._sparklines = sparklines
        self._agents = agents  # None: the agents view is off
        self._wall_ms, self._monotonic = wall_ms, monotonic
        self._observe_hold = observe_hold
        self.gate = gate or Gate()
        self._text = TextWriter()
        self._taken: float | None = None
        self._at_ms = 0
        self._families: list[Family] = []
        self._bodies: dict[str, bytes] = {}
        self._searching: asyncio.Future | None = None  # an evaluation's steps under way
        #: the last evaluation ended in the hold of the request that began it, with no
        #: turn for ingestion since: that request gives one before writing a body
        self._held_through = False
        self.evaluations = 0

    async def families(self) -> tuple[int, list[Family]]:
        """(evaluation time, families), evaluated again if older than the interval.

        The request that finds them old begins the read in its own hold, once no
        write is under way; what is left goes on in a task, a step per turn, that
        every request meanwhile waits for (and that a request going away does not
        cancel)."""
        while True:
            if self._searching is not None:
                return await asyncio.shield(self._searching)
            now = self._monotonic()
            if self._taken is not None and now - self._taken < self.interval_s:
                return self._at_ms, self._families
            if not self.gate.write.under_way:
                break
            await self.gate.write.over()  # a batch half applied: its end first
        at_ms = self._wall_ms()
        self.gate.read.begin()
        try:
            evaluation = self._evaluate(at_ms)
            done = self._step(evaluation, now)
        except BaseException:  # a failed read must not keep stage 2 waiting
            self.gate.read.end()
            raise
        if done:
            self._publish(now, at_ms, evaluation, now)
            self._held_through = True
            return at_ms, self._families
        self._held(now)
        self._searching = asyncio.ensure_future(self._search(now, at_ms, evaluation))
        return await asyncio.shield(self._searching)

    def _step(self, evaluation: Evaluation, began: float) -> bool:
        """One step of ``evaluation`` from ``began``; the gate opens once its read ends."""
        done = evaluation.step(began + self.step_s, self._monotonic)
        if self.gate.read.under_way and not evaluation.reading:
            self.gate.read.end()
        return done

    async def _search(
        self, taken: float, at_ms: int, evaluation: Evaluation
    ) -> tuple[int, list[Family]]:
        """The rest of an evaluation, a step per turn of the event loop."""
        try:
            done = False
            while not done:
                await asyncio.sleep(0)  # ingestion's turn
                began = self._monotonic()
                done = self._step(evaluation, began)
                if not done:
                    self._held(began)
            return self._publish(taken, at_ms, evaluation, began)
        finally:
            self._searching = None
            if evaluation.reading:  # given up half read (shutdown): writes may go on
                self.gate.read.end()

    def _publish(
        self, taken: float, at_ms: int, evaluation: Evaluation, hold_began: float
    ) -> tuple[int, list[Family]]:
        """Keep an evaluation whose searches are done for the requests of its interval;
        its last hold, which began at ``hold_began``, ends here."""
        self._at_ms, self._families = at_ms, evaluation.families()
        self._bodies = {}
        self._held_through = False
        self._taken = taken
        self.evaluations += 1
        self._held(hold_began)
        return at_ms, self._families

    async def metrics(self) -> bytes:
        """The KPI families in the Prometheus text format."""
        return await self._body("metrics", lambda families, at_ms: self._text.render(families))

    def wallboard(self) -> bytes:
        """The built-in wallboard page: the same bytes always; it asks ``wallboard_json``."""
        return WALLBOARD_PAGE

    async def wallboard_json(self) -> bytes:
        """What the wallboard shows, as JSON (``export/wallboard.py``)."""

        def write(families: list[Family], at_ms: int) -> bytes:
            lines = self._sparklines(at_ms) if self._sparklines else {}
            agents = self._agents(at_ms) if self._agents else None
            return orjson.dumps(wallboard_data(families, at_ms, self.min_sample, lines, agents))

        return await self._body("wallboard.json", write)

    async def _body(self, name: str, write: Callable[[list[Family], int], bytes]) -> bytes:
        before = self.evaluations
        at_ms, families = await self.families()  # a new evaluation empties the bodies
        mine = self.evaluations
        body = self._bodies.get(name)
        if body is not None:
            return body  # written by an earlier request since the evaluation
        if mine != before and self._held_through:
            # Evaluated just now, in this request's hold: ingestion's turn, then the body.
            # (Searches done in a task of their own reach their waiters a turn later.)
            self._held_through = False
            await asyncio.sleep(0)
            if self.evaluations == mine and (body := self._bodies.get(name)) is not None:
                return body  # another request wrote it meanwhile
        began = self._monotonic()
        body = write(families, at_ms)
        self._held(began)
        if self.evaluations == mine:  # still the latest: the next requests share it
            self._bodies[name] = body
        return body

    def _held(self, since: float) -> None:
        if self._observe_hold is not None:
            self._observe_hold(self._monotonic() - since)
