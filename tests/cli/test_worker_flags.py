"""Worker flags that must be refused before anything starts."""

from __future__ import annotations

from stream.cli.main import main


def test_the_agents_view_needs_a_password(capsys, tmp_path):
    code = main(["worker", "--agents-view", "--broker", "127.0.0.1:9", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0
    assert "--agents-view shows agent ids, which are personal data" in err
    assert "--web-config-file with basic_auth_users" in err
    assert "Traceback" not in err
