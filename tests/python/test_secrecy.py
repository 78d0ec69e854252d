"""An attacker's view of statistical secrecy (issue F13): with nothing but the public tables
of the demo run, replay the attacks that once recovered suppressed person counts — a
session's entrants as a total published elsewhere minus the sessions published beside it,
a specialty's leavers as the bassin's minus the other specialties', a masked métier share
as the published sessions × 1/|M(s)|, rate × denominator — and check that each now leaves
every suppressed count in an interval at least MIN_COUNT wide. Interval arithmetic here is
written independently of skillgap's audit; the restricted gold tables only confirm that
the attacks were aimed at real suppressed cells."""

import json
import os
import pathlib
import re
import subprocess

import duckdb
import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("SKILLGAP_BIN", str(REPOSITORY / "target" / "debug" / "skillgap"))
MIN_COUNT = 5


def run(pipeline, out, *arguments):
    subprocess.run(
        [BINARY, "run", "--pipeline", str(pipeline), "--out", str(out), *arguments],
        cwd=REPOSITORY,
        check=True,
        capture_output=True,
        env={**os.environ, "SKILLGAP_LOG": "warn"},
    )


def pipeline_with(tmp_path, rounding_base):
    """The demo pipeline with its data root made absolute and the given rounding base."""
    text = (REPOSITORY / "pipelines" / "demo.toml").read_text()
    text = text.replace('data = "../fixtures/demo"', f'data = "{REPOSITORY / "fixtures" / "demo"}"')
    text = text.replace("max_reject_ratio = 0.05", f"max_reject_ratio = 0.05\nrounding_base = {rounding_base}")
    path = tmp_path / f"demo-{rounding_base}.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The demo's semester run and nightly run, counts rounded to tens (the default)."""
    tmp = tmp_path_factory.mktemp("secrecy")
    out = tmp / "out"
    pipeline = REPOSITORY / "pipelines" / "demo.toml"
    run(pipeline, out, "--semester", "2026-S1")
    run(pipeline, out)
    return out, 10


@pytest.fixture(scope="module")
def published_exact(tmp_path_factory):
    """The demo published with exact counts (rounding base 1): secrecy by suppression alone."""
    tmp = tmp_path_factory.mktemp("secrecy-exact")
    out = tmp / "out"
    run(pipeline_with(tmp, 1), out, "--semester", "2026-S1")
    return out, 1


def table(out, layer, name):
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{out}/current/{layer}/{name}/*.parquet')")
    return [dict(zip(relation.columns, row)) for row in relation.fetchall()]


def missing(value):
    return value is None


def secret(row, field):
    return field in (row["secret"] or "").split(",")


def shown(value, base, integer=True):
    """The values that publish as `value` (rounded half away from zero to `base`)."""
    if base == 1:
        return (value, value)
    half = base / 2
    if integer:
        low, high = value - half, value + half - 1
    else:
        low, high = value - half, value + half
    low = max(low, 0)
    if integer and value == 0:
        # 1 to MIN_COUNT − 1 would have been suppressed, not shown as 0.
        high = 0
    return (low, high)


def session_leavers(session, base):
    """What the public tables say of a session's expected leavers: (low, high) or None."""
    if secret(session, "sortants_prevus") or missing(session["sortants_prevus"]):
        return None
    if missing(session["entrees"]) and not secret(session, "entrees") and not missing(session["places"]):
        return (session["places"], session["places"])  # leavers = places, published exactly
    return shown(session["sortants_prevus"], base)


def difference_attack(total, parts, base):
    """Suppressed parts of a published total: each one's (low, high), every part ≥ 1."""
    hidden = [part for part in parts if part is None]
    if not hidden:
        return []
    low_total, high_total = shown(total, base)
    known = [part for part in parts if part is not None]
    low = low_total - sum(high for _, high in known)
    high = high_total - sum(low for low, _ in known)
    count = len(hidden)
    # One hidden part is the difference; of several, each may be as small as 1.
    return [(max(1, low) if count == 1 else 1, high - (count - 1)) for _ in hidden]


def assert_protected(intervals, what):
    narrow = [(key, low, high) for key, low, high in intervals if high - low < MIN_COUNT]
    assert not narrow, f"{what}: suppressed counts pinned by the published figures: {narrow[:5]}"


def sessions_attack(out, base):
    """A session's leavers as its specialty's (or bassin's) total minus the published ones."""
    sessions = table(out, "public", "upcoming_sessions")
    intervals = []
    for partner, keys, column in (("specialty_gap", ("code_bassin", "code_nsf"), "sortants_prevus_6m"), ("bassin_summary", ("code_bassin",), "sortants_prevus_6m")):
        for row in table(out, "public", partner):
            if missing(row[column]):
                continue
            group = [s for s in sessions if all(s[k] == row[k] for k in keys) and (secret(s, "sortants_prevus") or not missing(s["sortants_prevus"]))]
            parts = [session_leavers(s, base) for s in group]
            names = [s["session_id"] for s in group if session_leavers(s, base) is None]
            intervals += [(f"{partner}:{name}", low, high) for name, (low, high) in zip(names, difference_attack(row[column], parts, base))]
    return intervals


def test_a_session_is_not_recovered_from_a_total_published_elsewhere(published):
    out, base = published
    intervals = sessions_attack(out, base)
    # The attack has targets: sessions hidden beside a published total, small ones among them.
    assert len(intervals) >= 5, intervals
    gold = {s["session_id"]: s["sortants_prevus"] for s in table(out, "gold", "upcoming_sessions")}
    small = [key for key, _, _ in intervals if 0 < gold[key.split(":", 1)[1]] < MIN_COUNT]
    assert small, "the attack must aim at counts under MIN_COUNT"
    assert_protected(intervals, "upcoming sessions")


def test_a_specialty_is_not_recovered_from_its_bassin(published):
    out, base = published
    specialties = table(out, "public", "specialty_gap")
    intervals = []
    for bassin in table(out, "public", "bassin_summary"):
        if missing(bassin["sortants_prevus_6m"]):
            continue
        rows = [s for s in specialties if s["code_bassin"] == bassin["code_bassin"] and (secret(s, "sortants_prevus_6m") or not missing(s["sortants_prevus_6m"]))]
        parts = [None if secret(s, "sortants_prevus_6m") else shown(s["sortants_prevus_6m"], base) for s in rows]
        names = [s["code_nsf"] for s in rows if secret(s, "sortants_prevus_6m")]
        intervals += [(f"{bassin['code_bassin']}/{n}", lo, hi) for n, (lo, hi) in zip(names, difference_attack(bassin["sortants_prevus_6m"], parts, base))]
    assert intervals, "some specialty leavers are suppressed beside a published bassin total"
    assert_protected(intervals, "specialty leavers")


def test_a_masked_metier_share_is_not_the_published_sessions_weighted(published):
    out, base = published
    sessions = table(out, "public", "upcoming_sessions")
    attacked = 0
    narrow = []
    for row in table(out, "public", "competence_gap"):
        if not secret(row, "sortants_prevus_6m"):
            continue
        shares = [(s, 1 / len(s["codes_rome"])) for s in sessions if s["code_bassin"] == row["code_bassin"] and s["codes_rome"] is not None and row["code_rome"] in list(s["codes_rome"])]
        known = [(session_leavers(s, base), w) for s, w in shares]
        if not shares or any(k is None for k, _ in known):
            continue
        if all(missing(s["entrees"]) and not secret(s, "entrees") for s, _ in shares):
            continue  # published places only: capacity, not persons
        attacked += 1
        low = sum(lo * w for (lo, _), w in known)
        high = sum(hi * w for (_, hi), w in known)
        largest = max(w for _, w in known)
        if high - low < MIN_COUNT * largest:
            narrow.append((row["code_bassin"], row["code_rome"], low, high, largest))
    assert attacked > 0, "masked shares computed from published sessions exist in the demo"
    assert not narrow, f"masked shares pinned below their weighted protection range: {narrow[:5]}"


def test_rates_give_back_only_rounded_counts(published):
    out, base = published
    checked = 0
    for name in ("specialty_gap", "bassin_summary"):
        gold = {tuple(r[k] for k in ("code_bassin", "code_nsf") if k in r): r for r in table(out, "gold", name)}
        for row in table(out, "public", name):
            if missing(row["taux_remplissage"]) or missing(row["places_12m"]):
                continue
            entrants = row["taux_remplissage"] * row["places_12m"]
            assert abs(entrants - round(entrants / base) * base) < 1e-6, (name, row)
            exact = gold[tuple(row[k] for k in ("code_bassin", "code_nsf") if k in row)]["entrees_12m"]
            checked += exact % base != 0
    assert checked > 0, "some exact entrant counts are not multiples of the base, and the rates hide them"


def test_secret_says_which_fields_never_why(published):
    out, _ = published
    hidden_values = []
    for name in ("competence_gap", "specialty_gap", "bassin_summary", "upcoming_sessions", "etat_des_lieux"):
        public = table(out, "public", name)
        assert not any(re.search(r"\(|secondaire|lié", row["secret"] or "") for row in public), name
        if name == "upcoming_sessions":
            gold = {r["session_id"]: r for r in table(out, "gold", name)}
            hidden_values += [gold[r["session_id"]]["entrees"] for r in public if secret(r, "entrees")]
    # Secondary suppressions (values ≥ MIN_COUNT) are listed exactly like primary ones.
    assert any(v >= MIN_COUNT for v in hidden_values) and any(v < MIN_COUNT for v in hidden_values), hidden_values


def test_the_audit_passes_on_the_run_and_fails_a_stricter_range(published):
    out, _ = published
    manifest = json.loads((out / "current" / "manifest.json").read_text())
    audit = manifest["audit"]
    assert audit["rounding_base"] == 10 and audit["suppressed"] >= audit["suppressed_before_audit"] > 0
    ok = subprocess.run([BINARY, "audit", "--out", str(out)], cwd=REPOSITORY, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "no suppressed count is pinned" in ok.stdout
    strict = subprocess.run([BINARY, "audit", "--out", str(out), "--protection-range", "30"], cwd=REPOSITORY, capture_output=True, text=True)
    assert strict.returncode == 9, strict.stdout + strict.stderr
    assert "at risk:" in strict.stdout and " by " in strict.stdout


def test_exact_publication_needs_linked_suppression_and_gets_it(published_exact):
    out, base = published_exact
    audit = json.loads((out / "current" / "manifest.json").read_text())["audit"]
    # Table-by-table suppression alone left counts recoverable: the audit suppressed more.
    assert audit["added_by_audit"] > 0, audit
    assert_protected(sessions_attack(out, base), "upcoming sessions, exact publication")
