"""What happens while a customer and an agent are connected: call and chat scripts.

Each script is a process for the scheduler: it emits the events of the conversation
(holds, chat messages) as they happen and returns how the connection ends —
``("ended", None)`` or ``("transfer", to_queue)``. The contact centre then takes over
(after-contact work, re-queueing), so these scripts never touch agents or queues.
"""

from __future__ import annotations

from typing import Any

from .scheduler import Process
from .world import World, lognormal_ms, uniform_ms

Outcome = tuple[str, str | None]


def call_script(world: World, contact_id: str, queue: str, may_transfer: bool) -> Process:
    """Talk with lognormal length, perhaps one or two holds, perhaps a transfer."""
    rng, b = world.rng("talk"), world.behaviour
    talk = lognormal_ms(rng, b.talk_median_voice_s, b.talk_sigma)
    transfer_to = None
    if may_transfer and len(world.queues) > 1 and rng.random() < b.transfer_answered_share:
        transfer_to = world.pick_queue(rng, other_than=queue)
        talk = round(talk * rng.uniform(0.15, 0.5))  # found the wrong queue early on
    holds = 0
    if rng.random() < b.hold_share:
        holds = 2 if rng.random() < 0.2 else 1
    spoken = 0  # talk time so far; holds come on top of it
    for at in sorted(round(talk * rng.uniform(0.15, 0.85)) for _ in range(holds)):
        yield at - spoken
        spoken = at
        world.emit("call.hold_started", {"contact_id": contact_id})
        yield lognormal_ms(rng, b.hold_median_s, 0.7)
        world.emit("call.hold_ended", {"contact_id": contact_id})
    yield max(talk - spoken, uniform_ms(rng, (5, 20)))
    return ("transfer", transfer_to) if transfer_to else ("ended", None)


def _message(world: World, contact_id: str, author: str) -> None:
    data: dict[str, Any] = {"contact_id": contact_id, "author": author}
    world.emit("chat.message", data)


def chat_waiting_script(world: World, contact: Any, entry: int) -> Process:
    """While a chat waits: the bot greets, the customer explains, the bot reassures.

    ``contact`` is the waiting contact and ``entry`` its waiting spell; the script stops
    as soon as that spell is over (answered, abandoned or transferred).
    """
    rng = world.rng("chat")
    yield uniform_ms(rng, (0.5, 2))
    if contact.entry != entry:
        return None
    _message(world, contact.contact_id, "bot")
    yield uniform_ms(rng, (5, 25))
    if contact.entry != entry:
        return None
    _message(world, contact.contact_id, "customer")
    while True:
        yield uniform_ms(rng, (100, 140))
        if contact.entry != entry:
            return None
        _message(world, contact.contact_id, "bot")  # "you are number 3 in line"
        if rng.random() < 0.3:
            yield uniform_ms(rng, (5, 30))
            if contact.entry != entry:
                return None
            _message(world, contact.contact_id, "customer")


def chat_script(world: World, contact_id: str, queue: str, may_transfer: bool) -> Process:
    """Agent greets, then customer and agent alternate; sometimes a transfer midway."""
    rng, b = world.rng("chat"), world.behaviour
    yield uniform_ms(rng, (3, 15))
    _message(world, contact_id, "agent")
    turns = rng.randint(*b.chat_turns)
    transfer_at = -1
    if may_transfer and len(world.queues) > 1 and rng.random() < b.transfer_answered_share:
        transfer_at = rng.randint(0, max(0, turns // 2))
    for turn in range(turns):
        yield lognormal_ms(rng, b.chat_customer_reply_median_s, 0.7)
        _message(world, contact_id, "customer")
        yield lognormal_ms(rng, b.chat_agent_reply_median_s, 0.6)
        _message(world, contact_id, "agent")
        if turn == transfer_at:
            yield uniform_ms(rng, (3, 10))
            return ("transfer", world.pick_queue(rng, other_than=queue))
    yield uniform_ms(rng, (10, 60))  # the customer's thanks and goodbye
    if rng.random() < 0.7:
        _message(world, contact_id, "customer")
        yield uniform_ms(rng, (2, 15))
    return ("ended", None)
