"""Operations: `skillgap run` killed with SIGKILL at twenty points spread over its stages
(ingest, transform, Parquet writes, sheets, publish) never leaves readers with half a
run: after each kill, `current` is a complete published run that DuckDB reads with the
documented query, with the row counts of its manifest; the next run completes. And a
rollback makes an earlier run current again."""

import json
import os
import pathlib
import signal
import subprocess
import time

import duckdb

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("SKILLGAP_BIN", str(REPOSITORY / "target" / "debug" / "skillgap"))
ENVIRONMENT = {**os.environ, "SKILLGAP_LOG": "warn"}


def run(out):
    return subprocess.run([BINARY, "run", "--out", str(out)], cwd=REPOSITORY, capture_output=True, env=ENVIRONMENT)


def check_current(out):
    """`current` is a complete run: every table of its manifest reads in DuckDB with its row count."""
    current = out / "current"
    manifest = json.loads((current / "manifest.json").read_text())
    for output in manifest["outputs"]:
        layer, table = output["table"].split(".", 1)
        rows = duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{current / layer / table / '*.parquet'}')").fetchone()[0]
        assert rows == output["rows"], (output["table"], rows, output["rows"])
    assert (current / "sheets" / "index.html").is_file()
    return os.readlink(current)


def kill_after(out, delay):
    """Starts a run and kills it with SIGKILL after `delay` seconds."""
    process = subprocess.Popen([BINARY, "run", "--out", str(out)], cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENVIRONMENT)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_sigkill_at_twenty_points_never_leaves_half_a_run(tmp_path):
    out = tmp_path / "out"
    started = time.perf_counter()
    first = run(out)
    duration = time.perf_counter() - started
    assert first.returncode == 0, first.stderr.decode()
    published = {check_current(out)}
    outcomes = []
    for point in range(20):
        kill_after(out, duration * (0.02 + 0.96 * point / 19))
        # Either the kill came first (the previous run is still current) or the run had
        # published (a new run is current): in both cases a complete one.
        current = check_current(out)
        outcomes.append("published" if current not in published else "previous")
        published.add(current)
    assert "previous" in outcomes, outcomes
    last = run(out)
    assert last.returncode == 0, last.stderr.decode()
    check_current(out)


def test_rollback_makes_an_earlier_run_current(tmp_path):
    out = tmp_path / "out"
    assert run(out).returncode == 0
    earlier = os.readlink(out / "current")
    assert run(out).returncode == 0
    assert os.readlink(out / "current") != earlier
    run_id = pathlib.Path(earlier).name
    result = subprocess.run([BINARY, "publish", "--out", str(out), "--rollback", run_id], cwd=REPOSITORY, capture_output=True, env=ENVIRONMENT)
    assert result.returncode == 0, result.stderr.decode()
    assert os.readlink(out / "current") == earlier
    check_current(out)
    unknown = subprocess.run([BINARY, "publish", "--out", str(out), "--rollback", "no-such-run"], cwd=REPOSITORY, capture_output=True, env=ENVIRONMENT)
    assert unknown.returncode == 2, unknown.stderr.decode()


def test_a_write_failure_mid_run_keeps_the_previous_run_and_says_why(tmp_path):
    """A full disk, simulated by a file-size limit (RLIMIT_FSIZE, writes fail with EFBIG)."""
    import resource

    out = tmp_path / "out"
    assert run(out).returncode == 0
    before = check_current(out)

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 * 1024, 512 * 1024))

    result = subprocess.run([BINARY, "run", "--out", str(out)], cwd=REPOSITORY, capture_output=True, env=ENVIRONMENT, preexec_fn=limit_file_size)
    message = result.stderr.decode()
    assert result.returncode == 5, (result.returncode, message)
    assert "File too large" in message or "too large" in message.lower(), message
    assert check_current(out) == before
    staging = out / ".staging"
    assert not staging.exists() or not any(staging.iterdir()), "the failed run's staging directory is removed"


def test_two_concurrent_runs_one_exits_with_the_lock_code(tmp_path):
    out = tmp_path / "out"
    assert run(out).returncode == 0
    processes = [subprocess.Popen([BINARY, "run", "--out", str(out)], cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENVIRONMENT) for _ in range(2)]
    results = [(process.wait(), process.stderr.read().decode()) for process in processes]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 6], results
    locked = next(message for code, message in results if code == 6)
    assert "lock" in locked.lower(), locked
    check_current(out)


def complete_run_directories(out):
    """The run directories under runs/, each checked complete: a manifest whose every listed file is there with its size."""
    runs = sorted(path for path in (out / "runs").iterdir() if path.is_dir())
    for run_dir in runs:
        manifest = json.loads((run_dir / "manifest.json").read_text())
        for output in manifest["outputs"]:
            for relative, size in output["files"]:
                assert (run_dir / relative).stat().st_size == size, (run_dir.name, relative)
    return [path.name for path in runs]


def test_sigkill_around_retention_never_leaves_an_incomplete_run_listed(tmp_path):
    """Kills timed at the end of runs, where publication and retention (keep_runs = 5 in the
    demo pipeline) delete old runs: every run directory left under runs/ is complete, every
    listed run is queryable, and a rollback to each works."""
    out = tmp_path / "out"
    started = time.perf_counter()
    for _ in range(6):
        assert run(out).returncode == 0
    duration = (time.perf_counter() - started) / 6
    for point in range(12):
        kill_after(out, duration * (0.85 + 0.2 * point / 11))
        directories = complete_run_directories(out)
        listed = subprocess.run([BINARY, "runs", "--out", str(out)], cwd=REPOSITORY, capture_output=True, env=ENVIRONMENT)
        assert listed.returncode == 0, listed.stderr.decode()
        ids = [line.split()[-1] for line in listed.stdout.decode().splitlines() if line.strip()]
        assert ids == directories, (ids, directories)
        check_current(out)
    for run_id in ids:
        query = subprocess.run([BINARY, "sql", "--out", str(out), "--run", run_id, "SELECT COUNT(*) FROM gold.competence_gap"], cwd=REPOSITORY, capture_output=True, env=ENVIRONMENT)
        assert query.returncode == 0, (run_id, query.stderr.decode())
