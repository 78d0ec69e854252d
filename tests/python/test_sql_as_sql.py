"""A data engineer's check that the marts' SQL is SQL: `skillgap docs sql` prints the models
of `crates/models/sql/` compiled for a run's parameters, and DuckDB, running that script as
it is over the run's silver Parquet (and the referential staging of `bench/duckdb/`),
builds every gold table equal to skillgap's — for a semester run and for the run after it,
which carries the semester's snapshots forward."""

import importlib.util
import os
import pathlib
import subprocess

import duckdb
import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("SKILLGAP_BIN", str(REPOSITORY / "target" / "debug" / "skillgap"))
QUIET = {**os.environ, "SKILLGAP_LOG": "warn"}


def bench_module():
    """`bench/duckdb_pipeline.py`: the staging of the referentials and the comparison of
    gold tables that `make bench` uses."""
    spec = importlib.util.spec_from_file_location("duckdb_pipeline", REPOSITORY / "bench" / "duckdb_pipeline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(out, *arguments):
    subprocess.run([BINARY, "run", "--out", str(out), *arguments], cwd=REPOSITORY, check=True, capture_output=True, env=QUIET)
    return (out / "current").resolve()


def compiled_script(*arguments):
    return subprocess.run([BINARY, "docs", "sql", *arguments], cwd=REPOSITORY, check=True, capture_output=True, text=True, env=QUIET).stdout


def gold_tables(run_dir):
    return sorted(path.name for path in (run_dir / "gold").iterdir())


def duckdb_gold(run_dir, script, previous_run_dir=None):
    """A DuckDB database holding the run's silver tables as views, the staging
    referentials, the previous run's snapshots when given, and what the script builds."""
    bench = bench_module()
    connection = duckdb.connect()
    bench.referentials(connection, run_dir)
    for schema in ("silver", "intermediate", "gold", "previous"):
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in sorted(path.name for path in (run_dir / "silver").iterdir()):
        connection.execute(f"CREATE VIEW silver.{table} AS SELECT * FROM read_parquet('{run_dir}/silver/{table}/*.parquet')")
    if previous_run_dir is not None:
        connection.execute(f"CREATE TABLE previous.etat_des_lieux AS SELECT * FROM read_parquet('{previous_run_dir}/gold/etat_des_lieux/*.parquet')")
    connection.execute(script)
    return bench, connection


def test_the_printed_sql_builds_skillgaps_gold_tables_in_duckdb(tmp_path):
    out = tmp_path / "out"
    semester_run = run(out, "--semester", "2026-S1")
    script = compiled_script("--semester", "2026-S1")
    assert "$" not in "".join(line.split("--")[0] for line in script.splitlines()), "a parameter was left in the script"
    bench, connection = duckdb_gold(semester_run, script)
    rows = bench.compare(connection, semester_run, {"tables": gold_tables(semester_run)})
    assert set(rows) == set(gold_tables(semester_run)) and len(rows) == 8
    assert rows["etat_des_lieux"] == rows["competence_gap"] > 0, "the semester run's snapshot is competence_gap"

    next_run = run(out)
    assert next_run != semester_run
    bench, connection = duckdb_gold(next_run, compiled_script(), previous_run_dir=semester_run)
    rows = bench.compare(connection, next_run, {"tables": gold_tables(next_run)})
    assert rows["etat_des_lieux"] > 0, "the next run carries the semester's snapshot"
    assert all(rows[table] > 0 for table in ("competence_gap", "specialty_gap", "skills_demand", "upcoming_sessions", "bassin_summary"))


def test_one_tables_sql_and_an_unknown_table():
    one = compiled_script("competence_gap", "--as-of", "2026-07-01")
    assert one.lstrip().startswith("--") and "CREATE" not in one and one.rstrip().endswith(";")
    assert "DATE '2026-07-01'" in one and "DATE '2025-07-01'" in one, "D and the start of W12 as literals"
    unknown = subprocess.run([BINARY, "docs", "sql", "no_such_table"], cwd=REPOSITORY, capture_output=True, text=True, env=QUIET)
    assert unknown.returncode != 0 and "no_such_table" in unknown.stderr


def test_a_staging_scripts_views_compiled_for_the_pipeline():
    communes = compiled_script("staging.communes")
    assert "CREATE OR REPLACE VIEW staging.communes_kept AS" in communes
    assert "$" not in "".join(line.split("--")[0] for line in communes.splitlines()), "a parameter was left in the script"
    assert "WHEN TRUE AND g.code_bassin IS NULL" in communes, "the demo's grid has polygons: communes are checked against it"
    assert "CREATE OR REPLACE VIEW staging.projections_rejects AS" in compiled_script("staging.projections")
    unknown = subprocess.run([BINARY, "docs", "sql", "staging.no_such_model"], cwd=REPOSITORY, capture_output=True, text=True, env=QUIET)
    assert unknown.returncode != 0 and "no_such_model" in unknown.stderr and "offers_merged" in unknown.stderr
