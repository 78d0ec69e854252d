"""Data engineers' view: DuckDB and pyarrow read every published table with the documented
one-line query, and agree with `skillgap sql` and the manifest on row counts, and with
`schemas/*.yml` on column names and types."""

import json
import os
import pathlib
import subprocess

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("SKILLGAP_BIN", str(REPOSITORY / "target" / "debug" / "skillgap"))

ARROW_TYPES = {
    "utf8": "string",
    "int64": "int64",
    "int32": "int32",
    "float64": "double",
    "boolean": "bool",
    "date32": "date32[day]",
    "timestamp_utc": "timestamp[us, tz=UTC]",
}


# DataFusion's type names (`skillgap sql "DESCRIBE …"`) and DuckDB's for the same column.
DUCKDB_TYPES = {
    "Utf8": "VARCHAR",
    "Int64": "BIGINT",
    "Int32": "INTEGER",
    "Float64": "DOUBLE",
    "Boolean": "BOOLEAN",
    "Date32": "DATE",
    'Timestamp(µs, "UTC")': "TIMESTAMP WITH TIME ZONE",
}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    subprocess.run([BINARY, "run", "--out", str(out)], cwd=REPOSITORY, check=True, capture_output=True, env={**os.environ, "SKILLGAP_LOG": "warn"})
    return out


def tables(out):
    current = out / "current"
    for layer in ("silver", "gold", "public"):
        for table in sorted((current / layer).iterdir()):
            yield layer, table.name


def skillgap_count(out, layer, table):
    result = subprocess.run([BINARY, "sql", "--out", str(out), "--format", "json", f"SELECT COUNT(*) AS n FROM {layer}.{table}"], check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[0])["n"]


def test_duckdb_and_pyarrow_read_every_table_like_skillgap(published):
    manifest = json.loads((published / "current" / "manifest.json").read_text())
    manifest_rows = {output["table"]: output["rows"] for output in manifest["outputs"]}
    seen = 0
    for layer, table in tables(published):
        # The documented one-line DuckDB query.
        path = published / "current" / layer / table / "*.parquet"
        duckdb_rows = duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{path}')").fetchone()[0]
        arrow_table = pq.read_table(published / "current" / layer / table)
        assert duckdb_rows == arrow_table.num_rows == skillgap_count(published, layer, table) == manifest_rows[f"{layer}.{table}"], f"{layer}.{table}"
        seen += 1
    specs = [yaml.safe_load(path.read_text()) for path in (REPOSITORY / "schemas").glob("*.yml")]
    assert seen == len(specs) + sum(1 for spec in specs if "public" in spec)


def spec_columns(table):
    """The specification's columns, `- include: <table>` entries resolved."""
    spec = yaml.safe_load((REPOSITORY / "schemas" / f"{table}.yml").read_text())
    columns = []
    for entry in spec["columns"]:
        columns.extend(spec_columns(entry["include"]) if "include" in entry else [entry])
    return columns


def test_column_names_types_and_descriptions_match_the_specifications(published):
    for layer, table in tables(published):
        columns = spec_columns(table)
        if layer == "public":
            columns = columns + [{"name": "secret", "type": "utf8", "definition": "The fields of this row suppressed by statistical secrecy, comma separated (empty when none); which fields, never why."}]
        schema = pq.read_schema(next((published / "current" / layer / table).glob("*.parquet")))
        assert [field.name for field in schema] == [column["name"] for column in columns], table
        for field, column in zip(schema, columns):
            expected = ARROW_TYPES.get(column["type"])
            if expected is None:
                assert str(field.type).startswith("list<"), (table, field.name, field.type)
            else:
                assert str(field.type) == expected, (table, field.name, str(field.type), expected)
            assert field.metadata[b"description"].decode() == column["definition"], (table, field.name)
        described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{published / 'current' / layer / table / '*.parquet'}')").fetchall()
        duckdb_types = {row[0]: row[1] for row in described}
        assert set(duckdb_types) == {column["name"] for column in columns}
        # DuckDB sees the types `skillgap sql` sees.
        result = subprocess.run([BINARY, "sql", "--out", str(published), "--format", "json", f"DESCRIBE {layer}.{table}"], check=True, capture_output=True, text=True)
        for row in (json.loads(line) for line in result.stdout.splitlines() if line.strip()):
            ours, theirs = row["data_type"], duckdb_types[row["column_name"]]
            assert DUCKDB_TYPES.get(ours, "list") == theirs or (ours.startswith("List(") and theirs.endswith("[]")), (layer, table, row["column_name"], ours, theirs)


def test_gold_values_agree_between_duckdb_and_skillgap(published):
    path = published / "current" / "gold" / "competence_gap" / "*.parquet"
    duckdb_totals = duckdb.sql(f"SELECT SUM(offres), SUM(postes), COUNT(*) FILTER (WHERE en_tension), ROUND(SUM(indice_tension), 9) FROM read_parquet('{path}')").fetchone()
    result = subprocess.run([BINARY, "sql", "--out", str(published), "--format", "json", "SELECT SUM(offres) AS a, SUM(postes) AS b, COUNT(*) FILTER (WHERE en_tension) AS c, ROUND(SUM(indice_tension), 9) AS d FROM gold.competence_gap"], check=True, capture_output=True, text=True)
    ours = json.loads(result.stdout.strip())
    assert (ours["a"], ours["b"], ours["c"]) == duckdb_totals[:3]
    assert abs(ours["d"] - duckdb_totals[3]) < 1e-6
