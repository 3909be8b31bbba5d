"""The example files are exactly what the commands in examples/README.md produce."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from stream.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def documented_command(name: str) -> list[str]:
    """The `cxkpi simulate ...` command shown under the heading of ``name``."""
    readme = (EXAMPLES / "README.md").read_text()
    section = readme.split(f"## `{name}`", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    words = shlex.split(block.replace("\\\n", " "))
    assert words[:2] == ["cxkpi", "simulate"]
    return words[1:]


@pytest.mark.parametrize("name", ["day.jsonl", "small.jsonl"])
def test_example_file_matches_its_documented_command(name: str, tmp_path: Path) -> None:
    args = documented_command(name)
    output = args.index("-o") + 1
    assert args[output] == f"examples/{name}"
    args[output] = str(tmp_path / name)
    assert main([*args, "--quiet"]) == 0
    assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), (
        f"examples/{name} is stale: regenerate it with the command in examples/README.md "
        "and update the counts there"
    )


def test_line_count_in_readme_is_right() -> None:
    readme = (EXAMPLES / "README.md").read_text()
    for name in ("day.jsonl", "small.jsonl"):
        lines = (EXAMPLES / name).read_bytes().count(b"\n")
        assert f"**{lines:,}**" in readme.split(f"## `{name}`", 1)[1]
