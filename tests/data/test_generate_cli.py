"""``python -m data.generate`` answers bad input with one line on stderr and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT


def _run(args: list[str], env_extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, **(env_extra or {})}
    env.pop("BARBERPRO_DATABASE_URL", None)
    if env_extra and "BARBERPRO_DATABASE_URL" in env_extra:
        env["BARBERPRO_DATABASE_URL"] = env_extra["BARBERPRO_DATABASE_URL"]
    return subprocess.Popen(
        [sys.executable, "-m", "data.generate", "--quiet", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


BAD_ARGS = {
    "zero tenants": (["--tenants", "0"], "--tenants must be between"),
    "negative tenants": (["--tenants", "-5"], "--tenants must be between"),
    "huge tenants": (["--tenants", "1000000000"], "--tenants must be between"),
    "non-integer tenants": (["--tenants", "many"], "--tenants must be a whole number"),
    "zero months": (["--months", "0"], "--months must be between"),
    "too many months": (["--months", "121"], "--months must be between"),
    "fractional months": (["--months", "1.5"], "--months must be a whole number"),
    "unknown flag": (["--colour", "red"], "unrecognized arguments"),
    "both modes": (["--replace", "--if-empty"], "not allowed with"),
}


@pytest.fixture(scope="module")
def bad_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """Start every bad invocation at once (each is a fresh interpreter) and collect them."""
    base = tmp_path_factory.mktemp("cli")
    target = base / "never.db"
    cases: dict[str, tuple[list[str], dict[str, str] | None]] = {
        name: ([*args, "--database-url", f"sqlite:///{target}"], None)
        for name, (args, _) in BAD_ARGS.items()
    }
    cases["unreachable postgres"] = (
        ["--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/nowhere"],
        None,
    )
    cases["missing sqlite folder"] = (
        ["--database-url", f"sqlite:///{base}/no/such/dir/demo.db"],
        None,
    )
    cases["invalid url"] = (["--database-url", "not a url"], None)
    cases["unsupported backend"] = (["--database-url", "mysql://u@localhost/db"], None)
    cases["invalid url from env"] = ([], {"BARBERPRO_DATABASE_URL": "::nonsense::"})
    procs = {name: _run(args, env) for name, (args, env) in cases.items()}
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        out[name] = (
            subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr),
            target,
        )
    return out


EXPECTED = {
    **{name: text for name, (_, text) in BAD_ARGS.items()},
    "unreachable postgres": "cannot connect to the database",
    "missing sqlite folder": "folder for the SQLite database does not exist",
    "invalid url": "not a valid database URL",
    "unsupported backend": "must be sqlite or postgresql",
    "invalid url from env": "not a valid database URL",
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_gets_one_line_and_exit_2(bad_runs, case: str) -> None:
    result, target = bad_runs[case]
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("data.generate: error: ")
    assert EXPECTED[case] in lines[0]
    assert not target.exists()  # nothing written


def test_refuses_a_database_with_data_and_if_empty_skips(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = _run(["--tenants", "3", "--months", "1", "--database-url", url])
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert "bookings" in stdout
    again = _run(["--tenants", "3", "--months", "1", "--database-url", url])
    _, stderr = again.communicate(timeout=120)
    assert again.returncode == 2
    assert len(stderr.strip().splitlines()) == 1 and "--replace" in stderr
    skip = _run(["--if-empty", "--database-url", url])
    stdout, stderr = skip.communicate(timeout=120)
    assert skip.returncode == 0 and stderr == ""
    assert len(stdout.strip().splitlines()) == 1 and "already has 3 tenants" in stdout
    replace = _run(["--tenants", "4", "--months", "1", "--replace", "--database-url", url])
    _, stderr = replace.communicate(timeout=120)
    assert replace.returncode == 0, stderr
    import sqlite3

    con = sqlite3.connect(tmp_path / "demo.db")
    assert con.execute("SELECT COUNT(*) FROM tenants").fetchone()[0] == 4
    con.close()
