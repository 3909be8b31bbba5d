"""``cxkpi validate``: line-numbered problems on stdout, a summary on stderr, exit codes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import orjson
import pytest

from stream.cli.main import main

GOOD = orjson.dumps(
    {
        "specversion": "1.0",
        "id": "e-1",
        "source": "/pbx",
        "type": "call.queued",
        "time": "2024-05-02T09:30:00Z",
        "data": {"contact_id": "c-1", "queue": "billing"},
    }
)
BAD_NPS = GOOD.replace(b'"call.queued"', b'"survey.responded"').replace(
    b'{"contact_id":"c-1","queue":"billing"}', b'{"survey_id":"s","kind":"nps","score":11}'
)


def write(path: Path, *lines: bytes) -> str:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return str(path)


def test_a_valid_file_exits_0_and_prints_only_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(tmp_path / "ok.jsonl", GOOD, b"", GOOD + b"\r", b"   ")
    assert main(["validate", events]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "2 events in 1 file: 2 valid, 0 invalid" in err


def test_invalid_lines_are_reported_with_file_and_line_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(tmp_path / "mixed.jsonl", GOOD, b"", b"{oops", GOOD, BAD_NPS, b"\xff\xfe")
    assert main(["validate", events]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith(f"{events}:3: not_json: ")
    assert lines[1] == f"{events}:5: bad_value: data.score: 11 is above the maximum 10"
    assert lines[2].startswith(f"{events}:6: bad_utf8: ")
    assert len(lines) == 3
    assert "5 events in 1 file: 2 valid, 3 invalid" in err
    assert "bad_value 1" in err and "not_json 1" in err and "bad_utf8 1" in err


def test_several_files_are_checked_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write(tmp_path / "a.jsonl", GOOD)
    second = write(tmp_path / "b.jsonl", BAD_NPS, GOOD)
    assert main(["validate", first, second]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{second}:1: bad_value: data.score: 11 is above the maximum 10"]
    assert "3 events in 2 files" in err


def test_dash_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(GOOD + b"\n" + BAD_NPS + b"\n"))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["validate", "-"]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith("<stdin>:2: bad_value: ")


def test_an_unreadable_file_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.jsonl"
    assert main(["validate", str(missing)]) == 2
    _, err = capsys.readouterr()
    assert f"cxkpi validate: error: cannot read {missing}: No such file or directory" in err
    assert main(["validate", str(tmp_path)]) == 2  # a directory


def test_the_configured_size_limit_applies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cxkpi.toml"
    config.write_text("[limits]\nmax_event_bytes = 100\n")
    events = write(tmp_path / "e.jsonl", GOOD)
    assert main(["validate", "--config", str(config), events]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith(f"{events}:1: oversized: ")
    assert main(["validate", events]) == 0


def test_help_explains_the_output_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--help"])
    assert exit_info.value.code == 0
    out, _ = capsys.readouterr()
    assert "FILE:LINE: reason: detail" in out and "Exit status" in out


def test_validate_needs_at_least_one_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate"])
    assert exit_info.value.code == 2
