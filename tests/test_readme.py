"""The README's metric reference and commands must match what the code provides."""

import re
from pathlib import Path

from stream.core.catalog import SPECS

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_metric_reference_lists_exactly_the_catalog():
    listed = re.findall(r"^\| `(cx_[a-z_]+)` \|", README, flags=re.M)
    assert sorted(listed) == sorted(spec.name for spec in SPECS)


def test_metric_reference_rows_match_type_and_labels():
    for spec in SPECS:
        row = f"| `{spec.name}` | {spec.kind} | {', '.join(spec.labels) or '—'} |"
        assert row in README, spec.name


def test_exactly_two_setup_commands():
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"^```sh$", setup, flags=re.M)) == 2
