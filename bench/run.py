#!/usr/bin/env python3
"""`make bench`: runs each skillgap benchmark beside a reference tool on the same files in
the same run, checks that both give the same results, and writes docs/benchmarks.md."""

import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPOSITORY / "target"))
BENCH_BIN = os.environ.get("SKILLGAP_BENCH_BIN", str(TARGET / "release" / "skillgap-bench"))
SKILLGAP_BIN = os.environ.get("SKILLGAP_RELEASE_BIN", str(TARGET / "release" / "skillgap"))
REAL = REPOSITORY / "fixtures" / "real"
WORK = REPOSITORY / "bench" / "out"
POINTS = int(os.environ.get("GEOCODE_POINTS", "1000000"))
OFFERS = int(os.environ.get("BENCH_OFFERS", "1000000"))
LHEO_MEGABYTES = [int(size) for size in os.environ.get("LHEO_MEGABYTES", "100,1000").split(",")]
# The documented bound: reading any catalogue keeps skillgap's peak RSS under this.
LHEO_RSS_BOUND_MIB = 64
# Scales of the end-to-end pipeline benchmark, and the extra run with twice the offers.
SCALES = [scale for scale in os.environ.get("BENCH_SCALES", "region,national").split(",") if scale]
DOUBLED_SCALE = os.environ.get("BENCH_DOUBLED_SCALE", SCALES[-1] if SCALES else "")
# End-to-end catalogue sizes (MB) and the bound on their peak-RSS ratio (F17: memory flat in
# the catalogue's size), with the engine pool of each run (MiB; the pipeline's default 2048).
CATALOGUE_MEGABYTES = [int(size) for size in os.environ.get("CATALOGUE_MEGABYTES", "100,1000").split(",")]
CATALOGUE_RSS_RATIO = 1.1
CATALOGUE_POOLS_MIB = [int(size) for size in os.environ.get("CATALOGUE_POOLS_MIB", "2048,256").split(",")]
# The targets (F8), reported against the measures.
TARGET_REBUILD_SECONDS, TARGET_RATIO, TARGET_INCREMENTAL_SECONDS, TARGET_RSS_MIB = 180, 1.0, 20, 4096
# One day of new and updated offers in the incremental scenario.
DAILY_OFFERS = int(os.environ.get("BENCH_DAILY_OFFERS", "20000"))


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} × {model}, {memory} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}, commit {commit}"


def measured(command, may_fail=False):
    """Runs one command alone and returns its JSON report with wall time and its own peak RSS.
    With `may_fail`, a failed run is returned as `{"error": its error line}` instead."""
    import tempfile

    clock = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors if may_fail else None, text=True)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            if may_fail:
                errors.seek(0)
                message = next((line for line in errors.read().splitlines() if line.startswith("Error:")), f"exit code {process.returncode}")
                return {"error": message.removeprefix("Error: "), "seconds": time.perf_counter() - clock}
            raise SystemExit(f"{command[0]} failed with exit code {process.returncode}")
    report = json.loads(output)
    report["process_seconds"] = time.perf_counter() - clock
    report["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    # The process's own VmHWM when it reports it: ru_maxrss includes the forking parent's peak.
    report["peak_rss_mib"] = report.get("peak_rss_kib", usage.ru_maxrss) / 1024
    return report


def lheo():
    import lxml

    WORK.mkdir(parents=True, exist_ok=True)
    source = REPOSITORY / "fixtures" / "demo" / "lheo" / "catalogue-2.3-utf8.xml.gz"
    rows, peaks = [], []
    for megabytes in LHEO_MEGABYTES:
        path = WORK / f"catalogue-{megabytes}mb.xml"
        subprocess.run([BENCH_BIN, "lheo-write", str(source), str(path), str(megabytes)], check=True, capture_output=True)
        ours = measured([BENCH_BIN, "lheo-read", str(path)])
        theirs = measured([sys.executable, str(REPOSITORY / "bench" / "lheo_lxml.py"), str(path)])
        for key in ("bytes", "formations", "sessions", "places"):
            assert ours[key] == theirs[key], f"{key}: skillgap {ours[key]} ≠ lxml {theirs[key]} on {path}"
        assert ours["rejected"] == 0
        peaks.append(ours["peak_rss_mib"])
        size = ours["bytes"] / 1e6
        for tool, report in ((f"skillgap `read_lheo` (quick-xml, streaming)", ours), (f"Python lxml {lxml.__version__} `iterparse` + clear", theirs)):
            rows.append([tool, f"{size:,.0f}", f"{report['sessions']:,}", f"{report['seconds']:.2f}", f"{report['cpu_seconds']:.2f}",
                         f"{size / report['seconds']:,.1f}", f"{report['peak_rss_mib']:.0f}", f"{report['seconds'] / theirs['seconds']:.2f}×"])
        path.unlink()
    assert max(peaks) < LHEO_RSS_BOUND_MIB, f"peak RSS {max(peaks):.0f} MiB over the documented {LHEO_RSS_BOUND_MIB} MiB"
    return {
        "title": "LHEO catalogue parsing (generated LHEO 2.3, UTF-8, one file)",
        "header": ["reader", "file (MB)", "sessions", "wall (s)", "CPU (s)", "MB/s", "peak RSS (MiB)", "ratio to lxml"],
        "rows": rows,
        "notes": (f"Same file read by both in the same run; formations, sessions and the sum of places agree. "
                  f"Memory is flat: skillgap's peak RSS is {' / '.join(f'{p:.0f}' for p in peaks)} MiB for "
                  f"{' / '.join(f'{m:,} MB' for m in LHEO_MEGABYTES)}, under the documented bound of {LHEO_RSS_BOUND_MIB} MiB "
                  "(one `<formation>` and one 8,192-row batch in memory at a time). The catalogue repeats the demo "
                  "fixture's formations with unique `numero`s (`skillgap-bench lheo-write`)."),
    }


# The tests' minimal pipeline, with the benchmark's reference date.
OFFERS_PIPELINE = (REPOSITORY / "tests" / "minimal-pipeline.toml").read_text() + '\n[dates]\nas_of = "2026-11-26"\n'

OFFERS_REFERENTIALS = {
    "communes.csv": "code_commune,libelle_commune,code_bassin,code_postal\n" + "".join(f"{d}001,C{d},00{i},{d}100\n" for i, d in enumerate(["02", "59", "60", "62", "80"])),
    "rome.csv": "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nA1111,A,M1,F1,s\nB2222,B,M2,F1,s\nC3333,C,M3,F2,s\n",
    "rome_formacode.csv": "code_rome,formacode\n",
    "formacode.csv": "formacode,libelle,code_nsf\n",
    "nsf.csv": "code_nsf,libelle_nsf\n",
    "jobseekers.csv": "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n",
    "bmo.csv": "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n",
}


def offers_ingestion():
    import shutil

    import duckdb

    work = WORK / "offers"
    shutil.rmtree(work, ignore_errors=True)
    (work / "data").mkdir(parents=True)
    for name, text in OFFERS_REFERENTIALS.items():
        (work / "data" / name).write_text(text)
    (work / "pipeline.toml").write_text(OFFERS_PIPELINE)
    (work / "data" / "offers").mkdir()
    source = work / "data" / "offers" / "offers.ndjson.gz"
    written = json.loads(subprocess.run([BENCH_BIN, "offers-write", str(OFFERS), str(source)], check=True, capture_output=True, text=True).stdout)
    raw_bytes = sum(len(line) for line in __import__("gzip").open(source, "rb"))
    ours = measured([BENCH_BIN, "run", str(work / "pipeline.toml")])
    assert ours["offers_read"] == OFFERS and ours["silver_offers"] == OFFERS, ours

    # DuckDB, same file, same run: read_json → Parquet (zstd), then the same with typing and
    # deduplication by id (closer to what silver.offers does).
    target = work / "duckdb_offers.parquet"
    connection = duckdb.connect()
    connection.sql("SET threads = 2")
    clock = time.perf_counter()
    connection.sql(f"COPY (SELECT * FROM read_json('{source}', format = 'newline_delimited')) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    plain_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    connection.sql(f"""COPY (
        SELECT id AS offer_id, CAST(dateCreation AS TIMESTAMPTZ) AS created_at, CAST(COALESCE(dateActualisation, dateCreation) AS TIMESTAMPTZ) AS updated_at,
               romeCode AS code_rome, typeContrat AS type_contrat, GREATEST(COALESCE(nombrePostes, 1), 1) AS postes, lieuTravail.commune AS code_commune, competences
        FROM read_json('{source}', format = 'newline_delimited')
        QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY COALESCE(dateActualisation, dateCreation) DESC) = 1
        ORDER BY offer_id) TO '{target}' (FORMAT parquet, COMPRESSION zstd)""")
    typed_seconds = time.perf_counter() - clock
    duckdb_rows = connection.sql(f"SELECT COUNT(*) FROM read_parquet('{target}')").fetchone()[0]
    assert duckdb_rows == OFFERS, duckdb_rows
    megabytes = raw_bytes / 1e6
    skillgap_seconds = ours["ingest_seconds"] + ours["transform_seconds"]
    return {
        "title": f"Offers ingestion ({OFFERS:,} generated offers, NDJSON gzip, to Parquet)",
        "header": ["tool", "what", "wall (s)", "offers / s", "MB/s (uncompressed JSON)", "ratio to DuckDB typed"],
        "rows": [
            ["skillgap `run`: read → bronze → silver.offers", "parse every record, bronze Parquet, type, validate ROME, dedup, geocode, sort, write; plus the (empty) gold", f"{skillgap_seconds:.2f}", f"{OFFERS / skillgap_seconds:,.0f}", f"{megabytes / skillgap_seconds:,.1f}", f"{skillgap_seconds / typed_seconds:.2f}×"],
            ["  of which ingest (read → bronze)", "", f"{ours['ingest_seconds']:.2f}", f"{OFFERS / ours['ingest_seconds']:,.0f}", f"{megabytes / ours['ingest_seconds']:,.1f}", ""],
            [f"DuckDB {duckdb.__version__} `read_json` → Parquet", "all columns as inferred", f"{plain_seconds:.2f}", f"{OFFERS / plain_seconds:,.0f}", f"{megabytes / plain_seconds:,.1f}", f"{plain_seconds / typed_seconds:.2f}×"],
            [f"DuckDB {duckdb.__version__} `read_json` → typed, deduplicated Parquet", "the core of silver.offers (no geocoding, no rejects)", f"{typed_seconds:.2f}", f"{OFFERS / typed_seconds:,.0f}", f"{megabytes / typed_seconds:,.1f}", "1.00×"],
        ],
        "notes": (f"Same file in the same run ({written['bytes'] / 1e6:,.0f} MB gzip, {megabytes:,.0f} MB of JSON); both produce {OFFERS:,} rows. "
                  f"DuckDB limited to 2 threads (the machine's cores). skillgap process wall time {ours['process_seconds']:.2f} s, "
                  f"peak RSS {ours['peak_rss_mib']:.0f} MiB."),
    }


def geocode():
    import geopandas
    import pandas

    WORK.mkdir(parents=True, exist_ok=True)
    zones_path = REAL / "zones_emploi_hdf.geojson"
    points_path, results_path = WORK / "points.csv", WORK / "skillgap_codes.txt"
    ours = measured([BENCH_BIN, "geocode", str(zones_path), "ze2020", str(points_path), str(POINTS), "42", str(results_path)])

    zones = geopandas.read_file(zones_path)[["ze2020", "geometry"]]
    points = pandas.read_csv(points_path)
    frame = geopandas.GeoDataFrame(geometry=geopandas.points_from_xy(points.longitude, points.latitude), crs=zones.crs)
    clock = time.perf_counter()
    joined = geopandas.sjoin(frame, zones, how="left", predicate="intersects")
    # A point on a shared border matches two zones: keep the smallest code, as skillgap does.
    theirs = joined.groupby(level=0)["ze2020"].min().reindex(range(len(frame)))
    reference_seconds = time.perf_counter() - clock

    ours_codes = [line.rstrip("\n") or None for line in open(results_path)]
    theirs_codes = [None if pandas.isna(code) else code for code in theirs]
    differences = sum(1 for a, b in zip(ours_codes, theirs_codes) if a != b)
    assert len(ours_codes) == len(theirs_codes) == POINTS, (len(ours_codes), len(theirs_codes))
    assert differences == 0, f"{differences} points placed differently by skillgap and geopandas"
    locate = ours["index_seconds"] + ours["locate_seconds"]
    return {
        "title": "Point-in-polygon geocoding (real Hauts-de-France grid, 24 zones)",
        "header": ["tool", "points", "placed", "index + locate (s)", "points / s", "ratio to reference"],
        "rows": [
            ["skillgap `bassin_at_point` (R-tree + exact test, 1 partition)", f"{POINTS:,}", f"{ours['placed']:,}", f"{locate:.3f}", f"{POINTS / locate:,.0f}", f"{locate / reference_seconds:.2f}×"],
            [f"geopandas {geopandas.__version__} `sjoin(predicate='intersects')`", f"{POINTS:,}", f"{int(theirs.notna().sum()):,}", f"{reference_seconds:.3f}", f"{POINTS / reference_seconds:,.0f}", "1.00×"],
        ],
        "notes": f"Results identical for all {POINTS:,} points (same CSV read by both). skillgap process wall time including point generation and I/O: {ours['process_seconds']:.2f} s, peak RSS {ours['peak_rss_mib']:.0f} MiB.",
    }


def real_inputs():
    """The published files of fixtures/real read as published (F11): the national BMO XLSX
    filtered to REG 32 beside openpyxl on the same file, the grid dissolved from the commune
    polygons, the ROME referential build; each step alone in its process."""
    import openpyxl

    rows = []
    for step, what in (("bmo", "national BMO 2024 XLSX (53,443 rows) → REG 32"), ("grid", "commune table (37,497 rows) → 28 bassins dissolved from 3,808 commune polygons"), ("rome", "ROME 4.0 + DARES XLS + FAP 2021 → rome.csv")):
        report = measured([BENCH_BIN, "real-input", step, str(REAL)])
        rows.append([f"skillgap {what}", f"{report['rows']:,}", f"{report['process_seconds']:.2f}", f"{report['cpu_seconds']:.2f}", f"{report['peak_rss_mib']:.0f}"])
    clock = time.perf_counter()
    workbook = openpyxl.load_workbook(REAL / "bmo_2024_open_data.xlsx", read_only=True)
    kept = sum(1 for row in workbook["BMO_2024_open_data"].iter_rows(min_row=2, values_only=True) if str(row[5]).strip() == "32")
    rows.append([f"openpyxl {openpyxl.__version__} read-only, same XLSX → REG 32 (reference)", f"{kept:,}", f"{time.perf_counter() - clock:.2f}", "", ""])
    return {"title": "Real published inputs (fixtures/real)", "header": ["step", "rows kept", "wall (s)", "CPU (s)", "peak RSS (MiB)"], "rows": rows,
            "notes": "Release build, each skillgap step in its own process (`skillgap-bench real-input bmo|grid|rome`), wall and peak RSS of that process; openpyxl timed in the harness on the same file."}


def bench_pipeline(scale, directory, inputs):
    """The demo pipeline pointed at `inputs`, writing into `directory/output`."""
    text = (REPOSITORY / "pipelines" / "demo.toml").read_text()
    text = text.replace('data = "../fixtures/demo"', f'data = "{inputs}"').replace('root = "../out/demo"', 'root = "output"')
    text = text.replace('name = "demo"', f'name = "bench-{scale}"')
    path = directory / "pipeline.toml"
    path.write_text(text)
    return path


def generate(scale, inputs, offers_factor=1):
    import shutil

    shutil.rmtree(inputs, ignore_errors=True)
    clock = time.perf_counter()
    subprocess.run([SKILLGAP_BIN, "fixtures", "generate", "--scale", scale, "--seed", "42", "--offers-factor", str(offers_factor), "--out", str(inputs)],
                   check=True, capture_output=True)
    seconds = time.perf_counter() - clock
    size = sum(path.stat().st_size for path in inputs.rglob("*") if path.is_file())
    return seconds, size


def pipeline_scale(scale):
    """One scale: fixtures generated, skillgap's run measured, then DuckDB on the same files
    in a process of its own, its gold checked equal to skillgap's."""
    import shutil

    directory = WORK / scale
    inputs = directory / "inputs"
    generation_seconds, input_bytes = generate(scale, inputs)
    shutil.rmtree(directory / "output", ignore_errors=True)
    pipeline = bench_pipeline(scale, directory, inputs)
    ours = measured([BENCH_BIN, "run", str(pipeline)])
    run_dir = pathlib.Path(ours["run_dir"]).resolve()
    duck_work = directory / "duckdb"
    shutil.rmtree(duck_work, ignore_errors=True)
    duck_work.mkdir()
    theirs = measured([sys.executable, str(REPOSITORY / "bench" / "duckdb_pipeline.py"), BENCH_BIN, str(pipeline), str(run_dir), str(inputs), str(duck_work)])
    shutil.rmtree(duck_work, ignore_errors=True)
    return {"scale": scale, "generation_seconds": generation_seconds, "input_bytes": input_bytes, "ours": ours, "theirs": theirs,
            "pipeline": pipeline, "inputs": inputs, "directory": directory}


def doubled_offers(scale):
    """The same world with twice the offers: skillgap's peak RSS must stay flat."""
    import shutil

    directory = WORK / f"{scale}-x2"
    inputs = directory / "inputs"
    generate(scale, inputs, offers_factor=2)
    pipeline = bench_pipeline(scale, directory, inputs)
    report = measured([BENCH_BIN, "run", str(pipeline)])
    shutil.rmtree(directory, ignore_errors=True)
    return report


def incremental(result):
    """Yesterday's published run, then one day of new and updated offers (an NDJSON file of
    DAILY_OFFERS offers, a third of them new versions of offers already published)."""
    day = result["inputs"] / "offers" / "ndjson" / "offres-next-day.ndjson.gz"
    subprocess.run([BENCH_BIN, "offers-day", str(result["ours"]["run_dir"]), str(DAILY_OFFERS), str(day)], check=True, capture_output=True)
    report = measured([BENCH_BIN, "run", str(result["pipeline"])])
    day.unlink()
    assert report["built_on"] == pathlib.Path(result["ours"]["run_dir"]).name, f"the nightly run was not built on the previous one: {report['built_on']}"
    return report


def stage(report, name):
    return next((s for s in report["stages"] if s["stage"] == name), {"seconds": 0.0, "cpu_seconds": 0.0, "peak_rss_mib": 0.0})


def pipeline_end_to_end():
    import duckdb

    WORK.mkdir(parents=True, exist_ok=True)
    results = [pipeline_scale(scale) for scale in SCALES]
    rows, scaling, notes = [], [], []
    for result in results:
        ours, theirs, scale = result["ours"], result["theirs"], result["scale"]
        offers_read = next(i["rows_read"] for i in ours["inputs"] if i["name"] == "offers")
        megabytes = result["input_bytes"] / 1e6
        ingest, silver, gold = stage(ours, "ingest"), stage(ours, "silver"), stage(ours, "gold")
        duck_offers, duck_gold = theirs["steps"]["offers"], theirs["steps"]["gold"]
        staged = {"seconds": ingest["seconds"] + silver["seconds"], "cpu_seconds": ingest["cpu_seconds"] + silver["cpu_seconds"]}
        def line(what, rows_count, ours_stage, theirs_stage, rss="", theirs_rss=""):
            ratio = f"{ours_stage['seconds'] / theirs_stage['seconds']:.2f}×" if theirs_stage else ""
            return [scale, what, f"{rows_count:,}" if rows_count else "", f"{ours_stage['seconds']:.2f}", f"{ours_stage['cpu_seconds']:.1f}", rss,
                    f"{theirs_stage['seconds']:.2f}" if theirs_stage else "—", f"{theirs_stage['cpu_seconds']:.1f}" if theirs_stage else "—", theirs_rss, ratio]
        rows.append(line(f"inputs → bronze → silver (all inputs; DuckDB: offers only) — {offers_read / staged['seconds']:,.0f} offers/s, {megabytes / staged['seconds']:,.1f} MB/s",
                         offers_read, staged, duck_offers, f"{silver['peak_rss_mib']:.0f}"))
        rows.append(line("silver → gold (the marts, same SQL)", sum(theirs["checks"]["gold_rows"].values()), gold, duck_gold))
        for name in ("tests", "public", "sheets"):
            rows.append(line(name, 0, stage(ours, name), None))
        total_ours = {"seconds": ours["process_seconds"], "cpu_seconds": ours["cpu_seconds"]}
        total_theirs = {"seconds": duck_offers["seconds"] + duck_gold["seconds"], "cpu_seconds": duck_offers["cpu_seconds"] + duck_gold["cpu_seconds"]}
        rows.append(line("**end to end**", offers_read, total_ours, total_theirs, f"{ours['peak_rss_mib']:.0f}", f"{theirs['peak_rss_mib']:.0f}"))
        scaling.append((scale, offers_read, ours["process_seconds"], ours["peak_rss_mib"], result["generation_seconds"], megabytes))
        checks = theirs["checks"]
        notes.append(f"{scale}: inputs generated in {result['generation_seconds']:.0f} s ({megabytes:,.0f} MB); gold tables equal "
                     f"({', '.join(f'{t} {n:,}' for t, n in checks['gold_rows'].items())} rows); DuckDB kept {checks['duckdb_offers']:,} offers, "
                     f"{checks['lost_after_truncated_lines']:,} fewer than skillgap, each the record after a truncated NDJSON line "
                     "(DuckDB's `ignore_errors` drops it with the broken one).")
    national = results[-1]
    sections = [{
        "title": "End-to-end pipeline, skillgap beside DuckDB on the same files (`skillgap run`, release build)",
        "header": ["scale", "stage", "rows", "skillgap wall (s)", "skillgap CPU (s)", "skillgap peak RSS (MiB)", "DuckDB wall (s)", "DuckDB CPU (s)", "DuckDB peak RSS (MiB)", "ratio skillgap/DuckDB"],
        "rows": rows,
        "notes": (f"DuckDB {duckdb.__version__} (2 threads) runs `bench/duckdb/offers.sql` (offers from the same API pages and NDJSON files to a typed, "
                  "deduplicated table placed by commune and postal code) and the marts' own SQL files (`crates/models/sql/`, compiled for the run's "
                  "parameters as `skillgap docs sql` prints them) over skillgap's silver Parquet, in a process of its own. skillgap's first stage does more than DuckDB's: "
                  "it also parses the LHEO catalogue, session outcomes, jobseekers, BMO and referentials, geocodes by point-in-polygon, keeps every "
                  "reject with its reason and writes bronze; the tests, public and sheets stages have no DuckDB counterpart. "
                  "Peak RSS is the process's own high-water mark at the end of each stage. " + " ".join(notes)),
    }]
    scaling_rows = []
    base = scaling[0]
    for scale, offers_read, seconds, rss, generation, megabytes in scaling:
        scaling_rows.append([scale, f"{offers_read:,}", f"{megabytes:,.0f}", f"{seconds:.1f}", f"{offers_read / base[1]:.1f}×", f"{seconds / base[2]:.1f}×", f"{rss:,.0f}"])
    notes = ["Cost per offer stays flat from region to national when the time ratio follows the offers ratio."]
    if DOUBLED_SCALE:
        doubled = doubled_offers(DOUBLED_SCALE)
        doubled_read = next(i["rows_read"] for i in doubled["inputs"] if i["name"] == "offers")
        reference = next(r for r in results if r["scale"] == DOUBLED_SCALE)["ours"]
        reference_read = next(i["rows_read"] for i in reference["inputs"] if i["name"] == "offers")
        scaling_rows.append([f"{DOUBLED_SCALE}, offers ×2", f"{doubled_read:,}", "", f"{doubled['process_seconds']:.1f}", f"{doubled_read / base[1]:.1f}×",
                             f"{doubled['process_seconds'] / base[2]:.1f}×", f"{doubled['peak_rss_mib']:,.0f}"])
        notes.append(f"Doubling the offers ({reference_read:,} → {doubled_read:,}) moves skillgap's peak RSS from {reference['peak_rss_mib']:,.0f} to "
                     f"{doubled['peak_rss_mib']:,.0f} MiB ({doubled['peak_rss_mib'] / reference['peak_rss_mib']:.2f}×).")
    else:
        doubled = None
    sections.append({"title": "Scaling with the offers", "header": ["scale", "offers read", "inputs (MB)", "skillgap wall (s)", "offers ratio", "time ratio", "peak RSS (MiB)"],
                     "rows": scaling_rows, "notes": " ".join(notes)})
    nightly = incremental(national)
    day_stages = ", ".join(f"{s['stage']} {s['seconds']:.1f} s" for s in nightly["stages"])
    ours = national["ours"]
    duck_total = national["theirs"]["steps"]["offers"]["seconds"] + national["theirs"]["steps"]["gold"]["seconds"]
    same_work = stage(ours, "ingest")["seconds"] + stage(ours, "silver")["seconds"] + stage(ours, "gold")["seconds"]
    def verdict(measure, bound):
        return "met" if measure <= bound else "**missed**"
    target_rows = [
        [f"full {national['scale']} rebuild end to end", f"≤ {TARGET_REBUILD_SECONDS} s", f"{ours['process_seconds']:.1f} s", verdict(ours["process_seconds"], TARGET_REBUILD_SECONDS)],
        [f"{national['scale']}: skillgap / DuckDB on the stages both run", f"≤ {TARGET_RATIO:.1f}×", f"{same_work / duck_total:.2f}× ({same_work:.1f} s / {duck_total:.1f} s)", verdict(same_work / duck_total, TARGET_RATIO)],
        [f"incremental nightly run ({DAILY_OFFERS:,} new and updated offers)", f"≤ {TARGET_INCREMENTAL_SECONDS} s", f"{nightly['process_seconds']:.1f} s ({day_stages})", verdict(nightly["process_seconds"], TARGET_INCREMENTAL_SECONDS)],
        [f"peak RSS at {national['scale']} scale", f"≤ {TARGET_RSS_MIB:,} MiB", f"{ours['peak_rss_mib']:,.0f} MiB", verdict(ours["peak_rss_mib"], TARGET_RSS_MIB)],
    ]
    if doubled:
        target_rows.append(["peak RSS when the offers double", "flat (≤ 1.10×)", f"{doubled['peak_rss_mib'] / reference['peak_rss_mib']:.2f}×", verdict(doubled["peak_rss_mib"] / reference["peak_rss_mib"], 1.10)])
    sections.append({"title": "Targets (issue F8)", "header": ["target", "bound", "measured", "verdict"], "rows": target_rows,
                     "notes": ("The incremental scenario publishes the national run, adds one NDJSON file of the next day's offers "
                               f"(`skillgap-bench offers-day`: {DAILY_OFFERS:,} offers, a third of them new versions of published offers) and runs again: "
                               "the run builds on the previous one (its manifest's `built_on`, checked), reads only the new file, links the "
                               "previous bronze, `silver.sessions` and rejects, merges the new offers into `silver.offers` and rebuilds gold, "
                               "tests, public tables and sheets (docs/operations.md). The ratio to DuckDB compares skillgap's ingest, silver "
                               "and gold stages with DuckDB's offers and marts steps, although skillgap's do more (see above).")})
    return sections


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port, processes, seconds=60):
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise SystemExit("a Ballista process exited while starting")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def peak_rss_mib(pid):
    """A live process's own high-water mark (VmHWM)."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tables_equal(left, right):
    """Every silver, gold and public table of two published runs, compared row for row."""
    import pyarrow.parquet as parquet

    compared = 0
    for layer in ("silver", "gold", "public"):
        for table in sorted((left / layer).iterdir()):
            ours = parquet.read_table(table).replace_schema_metadata(None)
            theirs = parquet.read_table(right / layer / table.name).replace_schema_metadata(None)
            if not ours.equals(theirs):
                raise SystemExit(f"{layer}.{table.name} differs between the local engine and Ballista")
            compared += 1
    return compared


def distributed():
    """Local engine vs a Ballista cluster on this machine (a scheduler and two executors of
    one task each, separate processes on loopback), same inputs, same release binary; every
    table checked equal."""
    import shutil

    rows, notes = [], []
    for scale in SCALES:
        directory = WORK / f"{scale}-ballista"
        inputs = WORK / scale / "inputs"
        if not inputs.is_dir():
            generate(scale, inputs)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        (directory / "local").mkdir()
        local = measured([BENCH_BIN, "run", str(bench_pipeline(scale, directory / "local", inputs))])
        scheduler_port = free_port()
        logs = open(directory / "cluster.log", "w")
        processes = [subprocess.Popen([SKILLGAP_BIN, "cluster", "scheduler", "--bind", f"127.0.0.1:{scheduler_port}"], stdout=logs, stderr=logs)]
        try:
            wait_for(scheduler_port, processes)
            for index in (1, 2):
                flight, grpc = free_port(), free_port()
                (directory / f"executor-{index}").mkdir()
                processes.append(subprocess.Popen([SKILLGAP_BIN, "cluster", "executor", "--scheduler", f"127.0.0.1:{scheduler_port}", "--flight-port", str(flight),
                                                   "--grpc-port", str(grpc), "--concurrent-tasks", "1", "--work-dir", str(directory / f"executor-{index}")],
                                                  stdout=logs, stderr=logs))
                wait_for(grpc, processes)
            (directory / "ballista").mkdir()
            pipeline = bench_pipeline(scale, directory / "ballista", inputs)
            text = pipeline.read_text()
            pipeline.write_text(text.replace('\nengine = "local"\n', f'\nengine = {{ ballista = "df://127.0.0.1:{scheduler_port}" }}\n', 1))
            if pipeline.read_text() == text:
                raise SystemExit("pipelines/demo.toml no longer says engine = \"local\": update bench/run.py")
            cluster_cpu = sum(cpu_seconds(process.pid) for process in processes)
            ballista = measured([BENCH_BIN, "run", str(pipeline)])
            cluster_cpu = sum(cpu_seconds(process.pid) for process in processes) - cluster_cpu
            executors_rss = [peak_rss_mib(process.pid) for process in processes[1:]]
        finally:
            for process in processes:
                process.kill()
                process.wait()
            logs.close()
        compared = tables_equal(pathlib.Path(local["run_dir"]), pathlib.Path(ballista["run_dir"]))
        offers_read = next(i["rows_read"] for i in local["inputs"] if i["name"] == "offers")
        for label, report, extra_cpu, rss in (("local engine", local, 0.0, f"{local['peak_rss_mib']:,.0f}"),
                                              ("Ballista, 2 executors", ballista, cluster_cpu,
                                               f"{ballista['peak_rss_mib']:,.0f} + {' + '.join(f'{r:,.0f}' for r in executors_rss)}")):
            silver, gold = stage(report, "silver"), stage(report, "gold")
            rows.append([scale, f"{offers_read:,}", label, f"{report['process_seconds']:.1f}", f"{stage(report, 'ingest')['seconds']:.1f}", f"{silver['seconds']:.1f}",
                         f"{gold['seconds']:.1f}", f"{report['cpu_seconds'] + extra_cpu:.0f}", rss])
        notes.append(f"{scale}: {compared} tables equal; Ballista / local {ballista['process_seconds'] / local['process_seconds']:.2f}× end to end, "
                     f"{stage(ballista, 'silver')['seconds'] / stage(local, 'silver')['seconds']:.2f}× on silver, "
                     f"{stage(ballista, 'gold')['seconds'] / stage(local, 'gold')['seconds']:.2f}× on gold.")
        shutil.rmtree(directory, ignore_errors=True)
    return [{
        "title": "Distributed engine: local vs Apache Ballista on this machine",
        "header": ["scale", "offers read", "engine", "end to end (s)", "ingest (s)", "silver (s)", "gold (s)", "CPU, all processes (s)", "peak RSS (MiB): driver + executors"],
        "rows": rows,
        "notes": ("Same release binary (`--features ballista`), same inputs. The cluster is a `skillgap cluster scheduler` and two `skillgap cluster executor "
                  "--concurrent-tasks 1` processes on loopback, so both engines have the machine's two cores; ingestion (parsing the files into bronze) "
                  "stays on the driver in both. Every silver, gold and public table of the two runs is checked equal before the figures are kept. "
                  "On one machine Ballista only adds work (plans serialized per task, shuffles written to disk and fetched over Arrow Flight, "
                  "in-memory tables written to shared Parquet); it is the path to more machines, not a speed-up here. " + " ".join(notes)),
    }]


def merge(text, sections):
    """docs/benchmarks.md with `sections` replacing (or appended after) those of the same title."""
    import re

    parts = re.split(r"(?m)^(?=## )", text)
    head, existing = parts[0], parts[1:]
    rendered = {section["title"]: render([section]).split("\n## ", 1)[1] for section in sections}
    kept = []
    for part in existing:
        title = part[3:].split("\n", 1)[0]
        kept.append("## " + rendered.pop(title) + "\n" if title in rendered else part)
    kept = [part if part.endswith("\n\n") else part.rstrip("\n") + "\n\n" for part in kept]
    kept += ["## " + body + "\n" for body in rendered.values()]
    stamp = (f"Re-measured alone on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} (`BENCH_ONLY`, {machine()}): "
             + ", ".join(section["title"] for section in sections) + ".")
    head = re.sub(r"(?m)^Re-measured alone on .*\n\n?", "", head).rstrip("\n") + "\n\n" + stamp + "\n\n"
    return head + "".join(kept)


def disclosure_audit():
    """The disclosure audit (F13) at each scale: the run's public stage (public tables built,
    audited, re-suppressed until nothing is at risk) and `skillgap audit` alone on the
    published run, with what the audit saw and added."""
    import shutil

    rows = []
    for scale in ["demo", *SCALES]:
        directory = WORK / f"audit-{scale}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        inputs = REPOSITORY / "fixtures" / "demo" if scale == "demo" else directory / "inputs"
        if scale != "demo":
            generate(scale, inputs)
        pipeline = bench_pipeline(scale, directory, inputs)
        report = measured([BENCH_BIN, "run", str(pipeline)])
        public = stage(report, "public")
        clock = time.perf_counter()
        process = subprocess.Popen([SKILLGAP_BIN, "audit", "--pipeline", str(pipeline)], stdout=subprocess.PIPE, text=True)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - clock
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"skillgap audit failed at scale {scale}: {output}")
        audit = json.loads((pathlib.Path(report["run_dir"]).resolve() / "manifest.json").read_text())["audit"]
        rows.append([scale, f"{audit['cells']:,}", f"{audit['equations']:,}", f"{audit['suppressed_before_audit']:,}", f"{audit['suppressed']:,}",
                     f"{audit['added_by_audit']:,}", f"{public['seconds']:.2f}", f"{seconds:.2f}", f"{(usage.ru_utime + usage.ru_stime):.1f}",
                     f"{usage.ru_maxrss / 1024:.0f}"])
        shutil.rmtree(directory, ignore_errors=True)
    return [{
        "title": "Disclosure audit of the public tables (`skillgap run` public stage, `skillgap audit`, release build)",
        "header": ["scale", "person-count cells", "equations", "suppressed (table rules)", "suppressed (after audit)", "added by the audit",
                   "public stage of the run (s)", "`skillgap audit` wall (s)", "`skillgap audit` CPU (s)", "`skillgap audit` peak RSS (MiB)"],
        "rows": rows,
        "notes": ("Counts rounded to tens (the default). The public stage builds the public tables in memory, audits them (per connected group of equations, one "
                  "microlp programme solved again from its previous basis for each bound; a count whose values in the points already found span the "
                  "protection range needs no bound of its own), suppresses the cells the audit names and audits again, "
                  "re-solving only the groups that changed; `skillgap audit` reads a published run's public tables and solves every group once."),
    }]


def catalogue_memory():
    """The demo pipeline end to end with a large catalogue beside the demo's (its formations
    repeated with unique numeros, `lheo-write`): peak RSS by stage at each size and engine
    pool, and whether it stays flat (≤ CATALOGUE_RSS_RATIO from the smallest to the largest)."""
    import shutil

    rows, verdicts = [], []
    source = REPOSITORY / "fixtures" / "demo" / "lheo" / "catalogue-2.3-utf8.xml.gz"
    for pool in CATALOGUE_POOLS_MIB:
        peaks = []
        for megabytes in CATALOGUE_MEGABYTES:
            directory = WORK / f"catalogue-{megabytes}mb"
            shutil.rmtree(directory, ignore_errors=True)
            inputs = directory / "inputs"
            shutil.copytree(REPOSITORY / "fixtures" / "demo", inputs)
            subprocess.run([BENCH_BIN, "lheo-write", str(source), str(inputs / "lheo" / f"catalogue-{megabytes}mb.xml"), str(megabytes)],
                           check=True, capture_output=True)
            pipeline = bench_pipeline(f"catalogue-{megabytes}", directory, inputs)
            pipeline.write_text(pipeline.read_text().replace("[thresholds]", f"[resources]\nmemory_limit_mib = {pool}\n\n[thresholds]", 1))
            report = measured([BENCH_BIN, "run", str(pipeline)], may_fail=True)
            if "error" in report:
                # Memory that cannot suffice is a clear error naming the stage (exit 10 from the CLI).
                rows.append([f"{pool:,}", f"{megabytes:,}", "", f"{report['seconds']:.1f}", "", "refused: " + report["error"].split(" (")[0], ""])
                shutil.rmtree(directory, ignore_errors=True)
                continue
            peaks.append(report["peak_rss_mib"])
            by_stage = " / ".join(f"{stage(report, name)['peak_rss_mib']:.0f}" for name in ("ingest", "silver", "gold", "public"))
            rows.append([f"{pool:,}", f"{megabytes:,}", f"{report['silver_sessions']:,}", f"{report['seconds']:.1f}", by_stage,
                         f"{report['peak_rss_mib']:.0f}", f"{stage(report, 'public')['seconds']:.1f}"])
            shutil.rmtree(directory, ignore_errors=True)
        if len(peaks) < len(CATALOGUE_MEGABYTES):
            verdicts.append(f"pool {pool:,} MiB: not every size ran within the pool")
            continue
        ratio = peaks[-1] / peaks[0]
        verdicts.append(f"pool {pool:,} MiB: {peaks[-1]:.0f} / {peaks[0]:.0f} MiB = {ratio:.2f}× "
                        f"({'met' if ratio <= CATALOGUE_RSS_RATIO else 'missed'}, target ≤ {CATALOGUE_RSS_RATIO}×)")
    return [{
        "title": "Memory against the catalogue's size (demo pipeline end to end, release build)",
        "header": ["engine pool (MiB)", "extra catalogue (MB)", "sessions", "wall (s)", "peak RSS ingest / silver / gold / public (MiB)",
                   "peak RSS (MiB)", "public stage (s)"],
        "rows": rows,
        "notes": ("The demo's inputs plus one generated LHEO 2.3 file of that size (the demo catalogue's formations repeated with unique "
                  "numeros). Peak RSS of the whole process (VmHWM) at the end of each stage. Largest over smallest: " + "; ".join(verdicts) + ". "
                  "Sorts and aggregations spill past the pool; when the pool cannot hold what an operator must keep (a hash join's build "
                  "side, a sort's first batches), the run stops before publishing with exit code 10, naming the stage and `memory_limit_mib` "
                  "(the bench binary's error line is shown)."),
    }]


def render(sections):
    lines = ["# Benchmarks", "", "<!-- Written by `make bench` (bench/run.py); do not edit by hand. -->", "",
             f"Last run: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} on {machine()}.", ""]
    for section in sections:
        lines += [f"## {section['title']}", "", "| " + " | ".join(section["header"]) + " |", "|" + "---|" * len(section["header"])]
        lines += ["| " + " | ".join(row) + " |" for row in section["rows"]]
        lines += ["", section["notes"], ""]
    return "\n".join(lines)


def main():
    # BENCH_ONLY=distributed (say) runs those sections alone and replaces them in
    # docs/benchmarks.md when BENCH_UPDATE=1, noting when they were re-measured.
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    chosen = lambda name: not only or name in only
    sections = [section() for name, section in (("geocode", geocode), ("lheo", lheo), ("offers", offers_ingestion), ("real", real_inputs)) if chosen(name)]
    if SCALES and chosen("pipeline"):
        sections += pipeline_end_to_end()
    if chosen("audit"):
        sections += disclosure_audit()
    if chosen("catalogue"):
        sections += catalogue_memory()
    if SCALES and chosen("distributed"):
        sections += distributed()
    text = render(sections)
    document = REPOSITORY / "docs" / "benchmarks.md"
    if not only:
        document.write_text(text)
    elif os.environ.get("BENCH_UPDATE") == "1" and document.exists():
        document.write_text(merge(document.read_text(), sections))
    print(text)


if __name__ == "__main__":
    sys.exit(main())
