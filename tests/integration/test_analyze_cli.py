"""``flask surveys analyze``: one JSON object per reply, from an argument or a CSV file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import Result
from flask import Flask

from surveys.cli import surveys_cli

REPO = Path(__file__).resolve().parents[2]
NOTICE = "consider this my two weeks notice"
KEYS = {"rating", "polarity", "negative", "category", "quit_intent", "opt_out"}


def _run(*args: str) -> Result:
    app = Flask(__name__)
    app.cli.add_command(surveys_cli)
    return app.test_cli_runner().invoke(args=["surveys", "analyze", *args])


def test_analyze_command_text_prints_one_json_object() -> None:
    result = _run("2 - still no laptop and nobody answers")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= KEYS
    assert (data["rating"], data["negative"], data["category"]) == (2, True, "equipment_access")


def test_analyze_command_csv_prints_json_lines_in_row_order(tmp_path: Path) -> None:
    path = tmp_path / "replies.csv"
    path.write_text(
        '\ufeffid,text,site\n1,"5, great crew",A\n2,STOP,B\n3,"I\'m giving my notice",C\n4,,D\n',
        encoding="utf-8",
    )
    result = _run("--csv", str(path))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["rating"], r["opt_out"], r["quit_intent"]) for r in rows] == [
        (5, False, False),
        (None, True, False),
        (None, False, True),
        (None, False, False),
    ]
    assert all(set(r) >= KEYS for r in rows)


def test_analyze_command_scale_reads_ratings_on_that_scale() -> None:
    assert json.loads(_run("--scale", "10", "8 out of 10").output)["rating"] == 8
    assert json.loads(_run("--scale", "10", "4").output)["negative"] is True


def test_analyze_command_csv_without_text_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "replies.csv"
    path.write_text("id,body\n1,hello\n", encoding="utf-8")
    result = _run("--csv", str(path))
    assert result.exit_code == 2
    assert "no 'text' column" in result.output
    assert "id, body" in result.output


def test_analyze_command_without_text_or_csv_says_what_it_wants() -> None:
    result = _run()
    assert result.exit_code == 2
    assert "either TEXT or --csv FILE" in result.output


def test_analyze_command_with_text_and_csv_refuses(tmp_path: Path) -> None:
    path = tmp_path / "replies.csv"
    path.write_text("text\nhi\n", encoding="utf-8")
    result = _run("hello", "--csv", str(path))
    assert result.exit_code == 2
    assert "either TEXT or --csv FILE" in result.output


def test_analyze_command_runs_through_the_wsgi_app(tmp_path: Path) -> None:
    # The way the team measures: `flask --app wsgi surveys analyze`, nothing else running.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'pulse.sqlite3'}"}
    env.pop("REDIS_URL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "surveys", "analyze", NOTICE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    assert data["quit_intent"] is True
    assert data["opt_out"] is False
