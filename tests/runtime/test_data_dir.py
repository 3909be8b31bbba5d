"""Where a worker keeps Faust's data directory: never the directory it was started in."""

from __future__ import annotations

from pathlib import Path

from stream.cli.main import build_parser
from stream.runtime.kafka_settings import KafkaSettings
from stream.runtime.worker import WorkerSettings, default_data_dir


def test_the_default_is_per_app_under_the_xdg_state_directory():
    assert default_data_dir("cxkpi", {"XDG_STATE_HOME": "/srv/state"}) == Path(
        "/srv/state/cxkpi/cxkpi"
    )
    assert default_data_dir("east", {}) == Path.home() / ".local/state/cxkpi/east"


def test_data_dir_chooses_it_and_faust_gets_it(tmp_path, monkeypatch):
    from stream.runtime.worker import Worker

    monkeypatch.setenv("CXKPI_DATA_DIR", str(tmp_path / "from-env"))
    args = build_parser("worker").parse_args(["worker"])
    assert args.data_dir == tmp_path / "from-env"
    args = build_parser("worker").parse_args(["worker", "--data-dir", str(tmp_path / "flag")])
    assert args.data_dir == tmp_path / "flag"

    settings = WorkerSettings(kafka=KafkaSettings(), app_id="dirs", data_dir=args.data_dir)
    assert Path(Worker(settings).app.conf.datadir) == tmp_path / "flag"
    unset = WorkerSettings(kafka=KafkaSettings(), app_id="dirs")
    assert unset.datadir == default_data_dir("dirs")
