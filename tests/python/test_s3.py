"""Publishing to S3-compatible storage, for real: a moto S3 server on loopback (behind a
small proxy that can fail requests), `skillgap run` publishing the demo region to
`s3://…`, DuckDB (httpfs) and pyarrow reading the current run with the documented
queries, a failure injected mid-upload that leaves the previous run current, the bucket
lock, and no credential anywhere in what skillgap prints or writes."""

import http.client
import http.server
import json
import os
import pathlib
import socket
import subprocess
import threading

import boto3
import duckdb
import duckdb_ext
import pyarrow.fs
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("SKILLGAP_BIN", str(REPOSITORY / "target" / "debug" / "skillgap"))
BUCKET = "skillgap-test"
PREFIX = "hdf/nightly"
URL = f"s3://{BUCKET}/{PREFIX}"
# Sentinels: neither may appear in anything skillgap prints or writes.
KEY_ID = "AKIASENTINEL7KEYID42"
SECRET = "sentinel-secret-8d1f0c9e-do-not-print"
REGION = "eu-west-3"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FaultyProxy(http.server.ThreadingHTTPServer):
    """Forwards every request to the S3 server; once `fail_after` uploads under `runs/`
    have passed, answers every further one with 503 SlowDown (as S3 does under load)."""

    daemon_threads = True

    def __init__(self, upstream_port):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream_port = upstream_port
        self.fail_after = None
        self.uploads = 0
        self.failed = 0
        self.lock = threading.Lock()


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        server = self.server
        if self.command == "PUT" and "/runs/" in self.path:
            with server.lock:
                server.uploads += 1
                failing = server.fail_after is not None and server.uploads > server.fail_after
                server.failed += failing
            if failing:
                answer = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
                self.send_response(503)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                return
        upstream = http.client.HTTPConnection("127.0.0.1", server.upstream_port, timeout=30)
        headers = {key: value for key, value in self.headers.items() if key.lower() != "connection"}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    proxy = FaultyProxy(port)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name=REGION)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    work = tmp_path_factory.mktemp("s3")
    demo = (REPOSITORY / "pipelines" / "demo.toml").read_text()
    pipeline = demo.replace('data = "../fixtures/demo"', f'data = "{REPOSITORY / "fixtures" / "demo"}"').replace(
        'root = "../out/demo"\nkeep_runs = 5\n',
        f'root = "{URL}"\nkeep_runs = 1\nwork_dir = "{work / "work"}"\n\n'
        f'[output.s3]\nendpoint = "http://127.0.0.1:{proxy.server_address[1]}"\nallow_http = true\nregion = "{REGION}"\n'
        "retry_timeout_seconds = 5\nmax_retries = 1\n",
    )
    assert URL in pipeline
    (work / "s3.toml").write_text(pipeline)
    yield {"port": port, "proxy": proxy, "client": client, "pipeline": work / "s3.toml", "work": work}
    proxy.shutdown()
    server.stop()


def skillgap(s3, *arguments, log="info", log_format="human"):
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "SKILLGAP_LOG": log,
    }
    return subprocess.run(
        [BINARY, "--log-format", log_format, *arguments, "--pipeline", str(s3["pipeline"])], cwd=REPOSITORY, capture_output=True, text=True, env=environment
    )


def pointer(s3):
    return json.loads(s3["client"].get_object(Bucket=BUCKET, Key=f"{PREFIX}/current.json")["Body"].read())["run"]


def run_prefixes(s3):
    listing = s3["client"].list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/runs/", Delimiter="/")
    return sorted(entry["Prefix"].split("/")[-2] for entry in listing.get("CommonPrefixes", []))


def duckdb_connection(s3):
    connection = duckdb.connect()
    connection.execute(f"SET extension_directory = '{pathlib.Path(duckdb_ext.__path__[0]) / 'extensions'}'")
    connection.execute("LOAD httpfs")
    connection.execute(
        f"CREATE SECRET (TYPE s3, KEY_ID '{KEY_ID}', SECRET '{SECRET}', REGION '{REGION}', ENDPOINT '127.0.0.1:{s3['port']}', URL_STYLE 'path', USE_SSL false)"
    )
    return connection


def duckdb_count(connection, layer, table):
    # The documented query (docs/operations.md): resolve the pointer, then read the run.
    return connection.execute(
        f"SET VARIABLE skillgap_run = (SELECT run FROM read_json('{URL}/current.json')); "
        f"SELECT COUNT(*) FROM read_parquet('{URL}/runs/' || getvariable('skillgap_run') || '/{layer}/{table}/*.parquet');"
    ).fetchone()[0]


@pytest.fixture(scope="module")
def first_run(s3):
    result = skillgap(s3, "run", log="trace")
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_a_run_publishes_to_s3_and_duckdb_pyarrow_and_skillgap_sql_read_it_alike(s3, first_run):
    run = pointer(s3)
    assert f"{URL}/runs/{run}/" in first_run.stdout
    manifest = json.loads(s3["client"].get_object(Bucket=BUCKET, Key=f"{PREFIX}/runs/{run}/manifest.json")["Body"].read())
    assert manifest["run_id"] == run
    connection = duckdb_connection(s3)
    filesystem = pyarrow.fs.S3FileSystem(access_key=KEY_ID, secret_key=SECRET, region=REGION, endpoint_override=f"127.0.0.1:{s3['port']}", scheme="http")
    read = [output for output in manifest["outputs"] if output["table"].split(".")[0] in ("gold", "public")]
    assert len(read) >= 14
    counts = " UNION ALL ".join(f"SELECT '{output['table']}' AS t, COUNT(*) AS n FROM {output['table']}" for output in read)
    query = skillgap(s3, "sql", "--format", "json", counts, log="warn")
    assert query.returncode == 0, query.stderr
    skillgap_rows = {row["t"]: row["n"] for row in map(json.loads, query.stdout.split())}
    for output in read:
        layer, table = output["table"].split(".", 1)
        arrow_rows = pq.read_table(f"{BUCKET}/{PREFIX}/runs/{run}/{layer}/{table}", filesystem=filesystem).num_rows
        assert duckdb_count(connection, layer, table) == arrow_rows == skillgap_rows[output["table"]] == output["rows"], output["table"]
    runs = skillgap(s3, "runs", log="warn")
    assert runs.stdout.split() == ["*", run], runs.stdout
    sheets = s3["client"].list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/runs/{run}/sheets/")
    assert any(entry["Key"].endswith("/index.html") for entry in sheets["Contents"])
    # Sheets rendered again from the bucket (what they read is downloaded, then removed).
    to = s3["work"] / "sheets-from-s3"
    rendered = skillgap(s3, "sheets", "--out", URL, "--format", "xlsx", "--to", str(to), log="warn")
    assert rendered.returncode == 0, rendered.stderr
    published = {entry["Key"].rsplit("/", 1)[1] for entry in sheets["Contents"] if entry["Key"].endswith(".xlsx")}
    assert published and {path.name for path in to.glob("*.xlsx")} == published


def test_a_failure_mid_upload_leaves_the_previous_run_current_and_the_next_run_completes(s3, first_run):
    before = pointer(s3)
    connection = duckdb_connection(s3)
    counts = {table: duckdb_count(connection, "gold", table) for table in ("competence_gap", "bassin_summary")}
    proxy = s3["proxy"]
    with proxy.lock:
        proxy.uploads, proxy.failed, proxy.fail_after = 0, 0, 12
    failed = skillgap(s3, "run")
    with proxy.lock:
        proxy.fail_after = None
    assert failed.returncode == 5, failed.stderr[-3000:]
    assert proxy.failed >= 1 and proxy.uploads > 12
    assert "uploading" in failed.stderr and f"s3://{BUCKET}/{PREFIX}/runs/" in failed.stderr, failed.stderr[-2000:]
    # Readers still see the previous run, whole; the partial upload was removed.
    assert pointer(s3) == before
    assert {table: duckdb_count(connection, "gold", table) for table in counts} == counts
    assert run_prefixes(s3) == [before]
    # The next run completes, becomes current, and retention (keep_runs = 1) keeps one other.
    again = skillgap(s3, "run")
    assert again.returncode == 0, again.stderr[-3000:]
    after = pointer(s3)
    assert after != before and run_prefixes(s3) == sorted([before, after])
    # Rollback through the bucket.
    rollback = skillgap(s3, "publish", "--rollback", before, log="warn")
    assert rollback.returncode == 0, rollback.stderr
    assert pointer(s3) == before
    assert skillgap(s3, "publish", "--rollback", "../../etc", log="warn").returncode == 2


def test_a_held_bucket_lock_refuses_a_second_run_with_the_lock_code(s3, first_run):
    lease = {"owner": "run 20260101T000000000Z on another-host (pid 1)", "acquired_at": "2026-01-01T00:00:00Z", "expires_at": "2999-01-01T00:00:00Z"}
    s3["client"].put_object(Bucket=BUCKET, Key=f"{PREFIX}/.lock", Body=json.dumps(lease).encode())
    before = pointer(s3)
    try:
        locked = skillgap(s3, "run", log="warn")
    finally:
        s3["client"].delete_object(Bucket=BUCKET, Key=f"{PREFIX}/.lock")
    assert locked.returncode == 6, locked.stderr
    assert "another-host" in locked.stderr and ".lock" in locked.stderr
    assert pointer(s3) == before


def test_no_credential_appears_in_logs_outputs_or_the_bucket(s3, first_run):
    json_logs = skillgap(s3, "runs", log="trace", log_format="json")
    printed = [first_run.stdout, first_run.stderr, json_logs.stdout, json_logs.stderr]
    assert len(first_run.stderr) > 10_000, "the trace-level run logged little: the check would prove nothing"
    for text in printed:
        assert KEY_ID not in text and SECRET not in text
    for path in s3["work"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert KEY_ID.encode() not in data and SECRET.encode() not in data, path
    client = s3["client"]
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for entry in page.get("Contents", []):
            data = client.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read()
            assert KEY_ID.encode() not in data and SECRET.encode() not in data, entry["Key"]
