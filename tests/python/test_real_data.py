"""Real published files read as published (F11): the national BMO 2024 XLSX, filtered to
Hauts-de-France, on the region's real BMO bassins, their outlines dissolved from the
Admin Express commune polygons. The reference figures are computed here from the XLSX
with openpyxl, independently of skillgap's readers, and compared with what the run
published in silver.bmo (read back with DuckDB)."""

import json
import os
import pathlib
import subprocess

import duckdb
import openpyxl

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("SKILLGAP_BIN", str(REPOSITORY / "target" / "debug" / "skillgap"))
REAL = REPOSITORY / "fixtures" / "real"

PIPELINE = """
name = "real-bmo"
[roots]
data = "data"
real = "{real}"
[output]
root = "out"
[grid]
kind = "bmo_bassins"
[dates]
as_of = "2026-11-26"
[inputs.offers]
paths = ["offers"]
[inputs.jobseekers]
path = "jobseekers.csv"
[inputs.bmo]
root = "real"
path = "bmo_2024_open_data.xlsx"
sheet = "BMO_2024_open_data"
filter = {{ REG = "32" }}
columns = {{ code_metier_bmo = "Code métier BMO", nom_metier_bmo = "Nom métier BMO" }}
[inputs.territories.communes]
root = "real"
path = "communes_bassins_bmo.csv"
filter = {{ reg = "32" }}
columns = {{ code_commune = "code_commune_insee", code_bassin = "code_bassin_BMO", libelle_bassin = "lib_bassin_BMO", code_departement = "dep" }}
[inputs.territories.commune_polygons]
root = "real"
path = "communes_hdf.geojson"
code_property = "code"
label_property = "nom"
[inputs.rome]
path = "rome.csv"
[inputs.rome_formacode]
path = "rome_formacode.csv"
[inputs.formacode]
path = "formacode.csv"
[inputs.nsf]
path = "nsf.csv"
"""

FILES = {
    # One offer in Amiens (80021), one placed by its coordinates only (Lille's centre).
    "offers/a.ndjson": '{"id":"o1","dateCreation":"2026-06-01T10:00:00Z","lieuTravail":{"commune":"80021"},"romeCode":"J1501"}\n'
    '{"id":"o2","dateCreation":"2026-06-01T10:00:00Z","lieuTravail":{"latitude":50.6305,"longitude":3.0706},"romeCode":"J1501"}\n',
    "jobseekers.csv": "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n",
    "rome.csv": "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nJ1501,Aide-soignant,V0X60,V0Z,santé\n",
    "rome_formacode.csv": "code_rome,formacode\n",
    "formacode.csv": "formacode,libelle,code_nsf\n",
    "nsf.csv": "code_nsf,libelle_nsf\n",
}


def published_figures():
    """Hauts-de-France's rows of the XLSX, as openpyxl reads them."""
    workbook = openpyxl.load_workbook(REAL / "bmo_2024_open_data.xlsx", read_only=True)
    rows = workbook["BMO_2024_open_data"].iter_rows(values_only=True)
    header = next(rows)
    figures = {"rows": 0, "bassins": set(), "sums": [0, 0, 0], "masked": [0, 0, 0], "other_regions": 0}
    for values in rows:
        row = dict(zip(header, values))
        if str(row["REG"]).strip() != "32":
            figures["other_regions"] += 1
            continue
        figures["rows"] += 1
        figures["bassins"].add(f"{int(row['BE24']):04d}")
        for index, column in enumerate(("met", "xmet", "smet")):
            value = str(row[column]).strip()
            if value == "*":
                figures["masked"][index] += 1
            else:
                figures["sums"][index] += int(value)
    return figures


def test_the_national_bmo_xlsx_gives_exactly_the_published_hauts_de_france_figures(tmp_path):
    (tmp_path / "pipeline.toml").write_text(PIPELINE.format(real=REAL))
    for name, content in FILES.items():
        path = tmp_path / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    result = subprocess.run([BINARY, "run", "--pipeline", str(tmp_path / "pipeline.toml")], capture_output=True, env={**os.environ, "SKILLGAP_LOG": "warn"})
    assert result.returncode == 0, result.stderr.decode()
    current = tmp_path / "out" / "current"
    expected = published_figures()
    assert expected["rows"] == 3807 and expected["other_regions"] > 45000  # the national file

    silver = str(current / "silver" / "bmo" / "*.parquet")
    rows, bassins, met, xmet, smet, masked_met, masked_xmet, masked_smet, weights = duckdb.sql(
        f"""SELECT COUNT(*), COUNT(DISTINCT code_bassin_bmo), SUM(met), SUM(xmet), SUM(smet),
                   COUNT(*) FILTER (WHERE met IS NULL), COUNT(*) FILTER (WHERE xmet IS NULL), COUNT(*) FILTER (WHERE smet IS NULL),
                   COUNT(*) FILTER (WHERE poids <> 1 OR code_bassin <> code_bassin_bmo)
            FROM read_parquet('{silver}')"""
    ).fetchone()
    assert rows == expected["rows"]
    assert bassins == len(expected["bassins"]) == 28
    assert [met, xmet, smet] == expected["sums"]
    assert [masked_met, masked_xmet, masked_smet] == expected["masked"], "a masked * is NULL, never 0"
    assert weights == 0, "on the BMO grid each row is its own bassin's, weight 1"
    codes = {code for (code,) in duckdb.sql(f"SELECT DISTINCT code_bassin_bmo FROM read_parquet('{silver}')").fetchall()}
    assert codes == expected["bassins"]
    # No BMO row is a reject: the other regions are filtered out, not rejected.
    rejects = duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{current / 'silver' / 'rejects' / '*.parquet'}') WHERE input = 'bmo'").fetchone()[0]
    assert rejects == 0

    # The 28 bassins have dissolved outlines, labels from the commune table, and the offer
    # with coordinates only is placed in Lille's bassin by point-in-polygon.
    bassins_table = str(current / "silver" / "bassins" / "*.parquet")
    outlines = duckdb.sql(f"SELECT code_bassin, libelle_bassin, geometrie FROM read_parquet('{bassins_table}') WHERE code_bassin <> 'HORS_BASSIN' ORDER BY 1").fetchall()
    assert len(outlines) == 28
    labels = dict((code, label) for code, label, _ in outlines)
    assert labels["3203"] == "SANTERRE SOMME" and labels["3216"] == "LILLE"
    assert all(json.loads(geometry)["type"] == "MultiPolygon" for _, _, geometry in outlines)
    offers = dict(duckdb.sql(f"SELECT offer_id, code_bassin || ' ' || geo_method FROM read_parquet('{current / 'silver' / 'offers' / '*.parquet'}')").fetchall())
    assert offers == {"o1": "3202 commune", "o2": "3216 point"}

    # The manifest lists the communes the two grid files do not share, and the BMO
    # métiers no ROME of this one-line referential carries.
    manifest = json.loads((current / "manifest.json").read_text())
    unknown = manifest["unknown_codes"]
    without_polygon = [u["code"] for u in unknown if u["referential"] == "commune_polygons"]
    assert len(without_polygon) == 71
    metiers = {u["code"]: u["rows"] for u in unknown if u["referential"] == "bmo_metier"}
    assert "V0X60" not in metiers and len(metiers) > 100

    # The sheets say which figure is missing, and why (HTML and the XLSX's Méthode sheet).
    sheet = (current / "sheets" / "fiche-3202.html").read_text()
    assert "Donnée manquante" in sheet and "ROME → FAP 2021" in sheet
    method = openpyxl.load_workbook(current / "sheets" / "fiche-3202.xlsx", read_only=True)["Méthode"]
    assert any("Donnée manquante" in str(cell) for row in method.iter_rows(values_only=True) for cell in row if cell)
