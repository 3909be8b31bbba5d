"""``cxkpi worker``: the Faust worker, configured from flags and environment variables."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ..core.config import Config, load_config
from ..core.errors import ConfigError
from .args import add_kafka_arguments, at_least, kafka_settings, positive_int

DESCRIPTION = """\
Consume call, chat, ticket, survey and agent events from Kafka, keep the KPI state in
changelog-backed Faust tables, and serve the KPIs at http://WEB_HOST:WEB_PORT/metrics.

Start as many workers as you like with the same --app-id: they form one consumer
group, split the partitions, and together export every series exactly once (each
worker exports what it owns). A restarted worker restores its tables from the
changelog topics and goes on with the same numbers.

Endpoints: /metrics (Prometheus text), /healthz (200 while the process runs),
/readyz (200 once tables are recovered and partitions assigned; 503 during a
rebalance). The log says "cxkpi worker ready" each time a rebalance completes.
"""

EPILOG = """\
examples:
  cxkpi worker --broker kafka-1:9092,kafka-2:9092 --config cxkpi.toml
  CXKPI_BROKER=kafka:9092 CXKPI_WEB_PORT=6066 cxkpi worker --web-host 0.0.0.0
  cxkpi worker --security-protocol SASL_SSL --sasl-mechanism SCRAM-SHA-512 \\
      --sasl-username cxkpi --ssl-cafile ca.pem      # password in CXKPI_SASL_PASSWORD
"""


#: uvloop is a dependency wherever it is built (not on Windows).
DEFAULT_LOOP = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _setting(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    for convert in (int, float):
        try:
            return key, convert(value)
        except ValueError:
            pass
    lowered = value.lower()
    if lowered in ("true", "false"):
        return key, lowered == "true"
    return key, value


def register(subparsers: argparse._SubParsersAction, help_text: str) -> None:
    parser = subparsers.add_parser(
        "worker",
        help=help_text,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_kafka_arguments(parser)
    group = parser.add_argument_group("worker")
    group.add_argument(
        "--config",
        default=os.environ.get("CXKPI_CONFIG"),
        metavar="FILE",
        help="TOML configuration (CXKPI_CONFIG; default: SPEC defaults)",
    )
    group.add_argument(
        "--app-id",
        default=_env("CXKPI_APP_ID", "cxkpi"),
        metavar="ID",
        help="consumer group and table-topic prefix; workers sharing it share the work "
        "(CXKPI_APP_ID, default cxkpi)",
    )
    group.add_argument(
        "--topic-prefix",
        default=_env("CXKPI_TOPIC_PREFIX", ""),
        metavar="P",
        help="put before every cx.* topic name (CXKPI_TOPIC_PREFIX, default none)",
    )
    group.add_argument(
        "--partitions",
        type=positive_int,
        default=_env("CXKPI_PARTITIONS", "8"),  # a string: argparse checks it
        metavar="N",
        help="partitions of topics the worker creates; existing topics keep theirs, and "
        "all cx.* topics must have the same count (CXKPI_PARTITIONS, default 8)",
    )
    group.add_argument(
        "--replication-factor",
        type=positive_int,
        default=_env("CXKPI_REPLICATION_FACTOR", "1"),  # a string: argparse checks it
        metavar="N",
        help="of the topics the worker creates; 3 on a production cluster "
        "(CXKPI_REPLICATION_FACTOR, default 1)",
    )
    group.add_argument(
        "--store",
        default=_env("CXKPI_STORE", "memory://"),
        metavar="URL",
        help="Faust table store: memory:// restores the tables from the whole changelogs "
        "at start; rocksdb:// keeps them in RocksDB under --data-dir too, so a restart "
        "on the same disk reads only the changelogs' tails (CXKPI_STORE, default memory://)",
    )
    group.add_argument(
        "--web-config-file",
        type=Path,
        default=os.environ.get("CXKPI_WEB_CONFIG_FILE"),
        metavar="FILE",
        help="TLS and basic auth for /metrics, /wallboard and /readyz, in the format of "
        "Prometheus' exporter-toolkit (tls_server_config, basic_auth_users with bcrypt "
        "hashes); /healthz stays open (CXKPI_WEB_CONFIG_FILE; default: plain HTTP)",
    )
    group.add_argument(
        "--agents-view",
        action="store_true",
        default=_env("CXKPI_AGENTS_VIEW", "") == "1",
        help="add an agents panel to the wallboard: each agent's state, time in it, "
        "contacts handled and AHT today, by team. Agent ids are personal data, so it "
        "needs --web-config-file with basic_auth_users, and they never go into /metrics "
        "or the log (CXKPI_AGENTS_VIEW=1; default off)",
    )
    group.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("CXKPI_DATA_DIR"),
        metavar="DIR",
        help="Faust's data directory (CXKPI_DATA_DIR; default "
        "$XDG_STATE_HOME/cxkpi/APP_ID, i.e. ~/.local/state/cxkpi/APP_ID)",
    )
    group.add_argument(
        "--session-timeout",
        type=float,
        default=_env("CXKPI_SESSION_TIMEOUT", "10"),  # a string: argparse checks it
        metavar="SECONDS",
        help="consumer-group session timeout: how soon a dead worker's partitions move "
        "(CXKPI_SESSION_TIMEOUT, default 10)",
    )
    group.add_argument(
        "--sweep-every",
        type=float,
        default=_env("CXKPI_SWEEP_EVERY", "60"),  # a string: argparse checks it
        metavar="SECONDS",
        help="how often finished entities and expired buckets are dropped; it never "
        "changes a result (CXKPI_SWEEP_EVERY, default 60)",
    )
    group.add_argument(
        "--commit-interval",
        type=at_least(0.01, float),
        default=_env("CXKPI_COMMIT_INTERVAL", "1"),  # a string: argparse checks it
        metavar="SECONDS",
        help="how often changed state goes to the changelog topics and offsets are "
        "committed; after a crash the events of at most this long are read again, and "
        "never counted twice (CXKPI_COMMIT_INTERVAL, default 1)",
    )
    group.add_argument(
        "--gc-full-every",
        type=at_least(0, float),
        default=_env("CXKPI_GC_FULL_EVERY", "600"),  # a string: argparse checks it
        metavar="SECONDS",
        help="the worker freezes its long-lived state at every checkpoint, so that "
        "garbage collections stop pausing ingestion for hundreds of ms; a full "
        "collection this often frees the rare cycles frozen with it (0: never; "
        "CXKPI_GC_FULL_EVERY, default 600)",
    )
    group.add_argument(
        "--fetch-max-wait-ms",
        type=at_least(0, int),
        default=_env("CXKPI_FETCH_MAX_WAIT_MS", "100"),  # a string: argparse checks it
        metavar="MS",
        help="how long a fetch may wait on the broker for new events; the wallboard "
        "on a quiet queue is up to this much behind (CXKPI_FETCH_MAX_WAIT_MS, default "
        "100; Faust's own default is 1500)",
    )
    group.add_argument(
        "--faust",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any further Faust setting, e.g. producer_max_batch_size=1 (repeatable)",
    )
    web = parser.add_argument_group("web")
    web.add_argument(
        "--web-host",
        default=_env("CXKPI_WEB_HOST", "127.0.0.1"),
        metavar="HOST",
        help="address to serve /metrics on; 0.0.0.0 in a container (CXKPI_WEB_HOST)",
    )
    web.add_argument(
        "--web-advertised-host",
        default=_env("CXKPI_WEB_ADVERTISED_HOST", ""),
        metavar="HOST",
        help="the name the group's other workers reach this one's web server by, for "
        "the whole center on every wallboard (CXKPI_WEB_ADVERTISED_HOST; default: "
        "--web-host, or this machine's host name when that is 0.0.0.0 or ::)",
    )
    web.add_argument(
        "--web-port",
        type=int,
        default=_env("CXKPI_WEB_PORT", "6066"),  # a string: argparse checks it
        metavar="PORT",
        help="(CXKPI_WEB_PORT, default 6066)",
    )
    web.add_argument(
        "--render-interval",
        type=at_least(0, float),
        default=_env("CXKPI_RENDER_INTERVAL", "0.25"),  # a string: argparse checks it
        metavar="SECONDS",
        help="/metrics and /wallboard evaluate the KPIs at most this often, however many "
        "clients ask; each evaluation pauses ingestion briefly (CXKPI_RENDER_INTERVAL, "
        "default 0.25)",
    )
    parser.add_argument(
        "--event-loop",
        default=_env("CXKPI_EVENT_LOOP", DEFAULT_LOOP),
        choices=("uvloop", "asyncio"),
        help="uvloop (faster: Faust's callbacks, tasks and futures cost less) or "
        f"asyncio's own loop (CXKPI_EVENT_LOOP, default {DEFAULT_LOOP})",
    )
    parser.add_argument(
        "--log-level",
        default=_env("CXKPI_LOG_LEVEL", "info"),
        choices=("debug", "info", "warning", "error"),
        help="(CXKPI_LOG_LEVEL, default info)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    import faust

    from ..runtime.transport import EXIT_UNDECODABLE, UndecodableBatch
    from ..runtime.web_access import load_web_config
    from ..runtime.worker import Worker, WorkerSettings

    if args.event_loop == "uvloop":
        import asyncio

        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    config = load_config(args.config) if args.config else Config()
    if args.agents_view:
        config = replace(config, agents_view=True)
    try:
        kafka = kafka_settings(args, environ)
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc)) from exc
    web_access = load_web_config(args.web_config_file) if args.web_config_file else None
    if args.agents_view and not (web_access and web_access.needs_password):
        raise ConfigError(
            "--agents-view shows agent ids, which are personal data: it needs "
            "--web-config-file with basic_auth_users, so that only people with a "
            "password see them"
        )
    settings = WorkerSettings(
        kafka=kafka,
        web_access=web_access,
        config=config,
        app_id=args.app_id,
        topic_prefix=args.topic_prefix,
        partitions=args.partitions,
        replication_factor=args.replication_factor,
        web_host=args.web_host,
        web_advertised_host=args.web_advertised_host or None,
        web_port=args.web_port,
        store=args.store,
        data_dir=args.data_dir,
        session_timeout=args.session_timeout,
        sweep_every_s=args.sweep_every,
        gc_full_every_s=args.gc_full_every,
        commit_interval_s=args.commit_interval,
        fetch_max_wait_ms=args.fetch_max_wait_ms,
        render_interval_s=args.render_interval,
        faust=dict(args.faust),
    )
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Faust warns "producer buffer full" whenever a batch writes more than 100 records,
    # which ours always do: hundreds of lines a minute that say nothing is wrong.
    logging.getLogger("faust.transport.producer").setLevel(logging.ERROR)
    worker = Worker(settings)
    created = worker.create_topics()
    if created:
        logging.getLogger("cxkpi.worker").info("created topics: %s", ", ".join(created))
    logging.getLogger("cxkpi.worker").info(
        "cxkpi worker starting: app %s, broker %s, %d partitions, web %s://%s:%d%s, "
        "%s loop, data in %s",
        settings.app_id,
        kafka.describe(),
        settings.partitions,
        settings.web_scheme,
        settings.web_host,
        settings.web_port,
        " (password required)" if web_access and web_access.needs_password else "",
        args.event_loop,
        settings.datadir,
    )
    runner = faust.Worker(worker.app, loglevel=args.log_level, quiet=True)
    try:
        runner.execute_from_commandline()
    except SystemExit:
        # The transport has logged where and what to install; a distinct status lets a
        # supervisor tell "fix the environment" from a crash worth restarting.
        if isinstance(runner.crash_reason, UndecodableBatch):
            return EXIT_UNDECODABLE
        raise
    return 0
