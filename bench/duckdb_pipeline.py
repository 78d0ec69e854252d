"""skillgap's transformations on DuckDB, for `make bench`, in a process of its own (so that
its CPU time and peak RSS are its own): the offers from the same files to a typed,
deduplicated, placed table (`duckdb/offers.sql`), and the marts from the same silver
Parquet files to the gold tables, checked equal to skillgap's.

Usage: duckdb_pipeline.py BENCH_BIN PIPELINE.toml RUN_DIR DATA_DIR WORK_DIR — prints one
JSON object: each step's wall and CPU seconds, the process's peak RSS, the rows compared.

The mart SQL is skillgap's own, `crates/models/sql/`, compiled for the pipeline's
parameters (`skillgap-bench marts-sql PIPELINE` prints the script of `skillgap docs sql`),
run as it is; the referential staging is translated by hand in `duckdb/referentials.sql`.
Keeping one source of the formulas means the comparison measures two engines on one query,
and the equality check catches any divergence of either engine's semantics."""

import json
import math
import pathlib
import resource
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent

# Relative tolerance when comparing floating-point columns: the engines may sum in
# different orders (the marts' results are rounded for display anyway).
RELATIVE_TOLERANCE = 1e-9


def marts_sql(bench_bin, pipeline):
    report = subprocess.run([bench_bin, "marts-sql", str(pipeline)], check=True, capture_output=True, text=True).stdout
    return json.loads(report)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib():
    status = pathlib.Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024


def measured(step, results):
    """Records a step's wall and CPU seconds in results[step]."""
    class Step:
        def __enter__(self):
            self.clock, self.cpu = time.perf_counter(), cpu_seconds()

        def __exit__(self, *_):
            results[step] = {"seconds": time.perf_counter() - self.clock, "cpu_seconds": cpu_seconds() - self.cpu}
    return Step()


def referentials(connection, run_dir):
    connection.execute((HERE / "duckdb" / "referentials.sql").read_text().replace("{run}", str(run_dir)))


def offers(connection, data_dir, target):
    connection.execute((HERE / "duckdb" / "offers.sql").read_text().replace("{data}", str(data_dir)).replace("{target}", str(target)))


def build(connection, run_dir, marts):
    """Every gold table in DuckDB from the run's silver Parquet (staging referentials must
    exist)."""
    for schema in ("silver", "intermediate", "gold", "previous"):
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in sorted(path.name for path in (run_dir / "silver").iterdir()):
        connection.execute(f"CREATE OR REPLACE VIEW silver.{table} AS SELECT * FROM read_parquet('{run_dir}/silver/{table}/*.parquet')")
    connection.execute(marts["script"])


def compare_offers(connection, run_dir, target):
    """DuckDB's offers against skillgap's silver.offers: every DuckDB offer is in skillgap's
    with the same bassin and positions wherever both placed it without coordinates; the
    offers only skillgap kept must each follow a truncated NDJSON line (`bad_json` reject),
    which DuckDB's `ignore_errors` swallows together with the next record. Returns counts."""
    silver = f"read_parquet('{run_dir}/silver/offers/*.parquet')"
    rejects = f"read_parquet('{run_dir}/silver/rejects/*.parquet')"
    extra = connection.execute(f"SELECT COUNT(*) FROM (SELECT offer_id FROM '{target}' EXCEPT SELECT offer_id FROM {silver})").fetchone()[0]
    assert extra == 0, f"{extra} offers kept by DuckDB are not in skillgap's silver.offers"
    missing, unexplained = connection.execute(f"""
        SELECT COUNT(*), COUNT(*) FILTER (WHERE r.location IS NULL)
        FROM {silver} s
        LEFT JOIN (SELECT source_file, location FROM {rejects} WHERE input = 'offers' AND reason = 'bad_json') r
          ON r.source_file = s.source_file AND r.location = 'line ' || (TRY_CAST(substr(s.source_location, 6) AS BIGINT) - 1)
        WHERE s.offer_id NOT IN (SELECT offer_id FROM '{target}')""").fetchone()
    assert unexplained == 0, f"{unexplained} offers of skillgap's silver.offers are missing from DuckDB's without a truncated line before them"
    different = connection.execute(f"""
        SELECT COUNT(*) FROM '{target}' d JOIN {silver} s ON s.offer_id = d.offer_id
        WHERE s.geo_method IN ('commune', 'code_postal') AND (d.code_bassin <> s.code_bassin OR d.postes <> s.postes OR d.updated_at <> s.updated_at)""").fetchone()[0]
    assert different == 0, f"{different} offers placed or counted differently by DuckDB and skillgap"
    rows = connection.execute(f"SELECT COUNT(*) FROM '{target}'").fetchone()[0]
    return {"duckdb_offers": rows, "lost_after_truncated_lines": missing}


def _equal(left, right):
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) or isinstance(right, float):
        return math.isclose(float(left), float(right), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return left == right


def compare(connection, run_dir, marts):
    """Every gold table of DuckDB against skillgap's, row by row in the grain's order (the
    marts' ORDER BY): same columns, same rows, floats within RELATIVE_TOLERANCE. Returns
    {table: rows}; raises AssertionError naming the first difference."""
    rows = {}
    for name in marts["tables"]:
        ours = connection.execute(f"SELECT * FROM read_parquet('{run_dir}/gold/{name}/*.parquet')")
        our_columns = [d[0] for d in ours.description]
        our_rows = ours.fetchall()
        theirs = connection.execute(f"SELECT {', '.join(our_columns)} FROM gold.{name}")
        their_rows = theirs.fetchall()
        their_columns = [d[0] for d in connection.execute(f"SELECT * FROM gold.{name} LIMIT 0").description]
        assert sorted(their_columns) == sorted(our_columns), f"gold.{name}: DuckDB columns {their_columns} ≠ skillgap {our_columns}"
        assert len(our_rows) == len(their_rows), f"gold.{name}: skillgap {len(our_rows)} rows, DuckDB {len(their_rows)}"
        # Both in the same total order: every column, NULLs first (the grain makes it unique).
        key = lambda row: [(value is not None, value if not isinstance(value, float) else round(value, 6)) for value in row]
        for index, (a, b) in enumerate(zip(sorted(our_rows, key=key), sorted(their_rows, key=key))):
            for column, x, y in zip(our_columns, a, b):
                assert _equal(x, y), f"gold.{name} row {index}, column {column}: skillgap {x!r}, DuckDB {y!r}"
        rows[name] = len(our_rows)
    return rows


def main():
    bench_bin, pipeline, run_dir, data_dir, work_dir = sys.argv[1:]
    import duckdb

    run_dir, data_dir, work_dir = (pathlib.Path(p).resolve() for p in (run_dir, data_dir, work_dir))
    marts = marts_sql(bench_bin, pipeline)
    connection = duckdb.connect(str(work_dir / "duckdb.db"))
    connection.execute("SET threads = 2")
    connection.execute(f"SET temp_directory = '{work_dir / 'duckdb.tmp'}'")
    steps = {}
    target = work_dir / "duckdb_offers.parquet"
    with measured("offers", steps):
        referentials(connection, run_dir)
        offers(connection, data_dir, target)
    with measured("gold", steps):
        build(connection, run_dir, marts)
    peak = peak_rss_mib()
    checks = compare_offers(connection, run_dir, target)
    checks["gold_rows"] = compare(connection, run_dir, marts)
    print(json.dumps({"steps": steps, "peak_rss_mib": peak, "checks": checks, "duckdb": duckdb.__version__}))


if __name__ == "__main__":
    main()
