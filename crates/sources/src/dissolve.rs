//! A grid's polygons built from published tables: the commune polygons (Admin Express)
//! dissolved by a commune → bassin table, so that any partition of communes (BMO bassins,
//! zones d'emploi, a custom grid) gets its outlines. Rings are oriented first (the union
//! reads the winding), holes and enclaves come out as the union leaves them, and the
//! communes that only one of the two files knows are reported, never dropped silently.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use geo::{Area, Orient, orient::Direction, unary_union};

use crate::error::{Error, Result};
use crate::territories::BassinShape;

/// One commune of the commune → bassin table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneAssignment {
    /// INSEE code.
    pub commune: String,
    /// Its bassin.
    pub bassin: String,
    /// The bassin's label, when the table gives it.
    pub bassin_label: Option<String>,
    /// The commune's département, when the table gives it.
    pub departement: Option<String>,
    /// Where the row is (`file line N`), for messages.
    pub location: String,
}

/// The grid's polygons, and what did not match.
#[derive(Debug, Clone, Default)]
pub struct Dissolved {
    /// One shape per bassin, by code.
    pub bassins: Vec<BassinShape>,
    /// Communes of the table with no polygon (another COG vintage, a commune created since).
    pub without_polygon: Vec<String>,
    /// Communes with a polygon and no bassin in the table.
    pub without_bassin: Vec<String>,
}

/// The commune → bassin rows of a `communes` table as read (its `code_commune`,
/// `code_bassin`, `libelle_bassin`, `code_departement`, `source_file` and `source_line`
/// columns). Rows without a commune or a bassin are left to staging, which rejects them.
pub fn commune_assignments(batches: &[RecordBatch]) -> Result<Vec<CommuneAssignment>> {
    let missing = |name: &str| Error::Grid { message: format!("the commune table has no column {name}") };
    let mut out = Vec::new();
    for batch in batches {
        let text =
            |name: &str| batch.column_by_name(name).map(|c| c.as_string::<i32>().clone()).ok_or_else(|| missing(name));
        let (commune, bassin, label, departement, file) = (
            text("code_commune")?,
            text("code_bassin")?,
            text("libelle_bassin")?,
            text("code_departement")?,
            text("source_file")?,
        );
        let line = batch
            .column_by_name("source_line")
            .map(|c| c.as_primitive::<Int64Type>().clone())
            .ok_or_else(|| missing("source_line"))?;
        for row in 0..batch.num_rows() {
            if commune.is_null(row) || bassin.is_null(row) {
                continue;
            }
            out.push(CommuneAssignment {
                commune: commune.value(row).to_owned(),
                bassin: bassin.value(row).to_owned(),
                bassin_label: (!label.is_null(row)).then(|| label.value(row).to_owned()),
                departement: (!departement.is_null(row)).then(|| departement.value(row).to_owned()),
                location: format!("{} line {}", file.value(row), line.value(row)),
            });
        }
    }
    Ok(out)
}

/// Dissolves commune `polygons` (their `code` is the commune's) into one shape per bassin
/// of `assignments`. A commune assigned to two different bassins is an error naming both
/// rows.
pub fn dissolve(polygons: &[BassinShape], assignments: &[CommuneAssignment], display_path: &str) -> Result<Dissolved> {
    let mut by_commune: BTreeMap<&str, &CommuneAssignment> = BTreeMap::new();
    for assignment in assignments {
        if let Some(earlier) = by_commune.insert(&assignment.commune, assignment)
            && earlier.bassin != assignment.bassin
        {
            return Err(Error::Grid {
                message: format!(
                    "commune {} is in two bassins: {} ({}) and {} ({})",
                    assignment.commune, earlier.bassin, earlier.location, assignment.bassin, assignment.location
                ),
            });
        }
    }
    let mut parts: BTreeMap<&str, Vec<geo::Polygon<f64>>> = BTreeMap::new();
    let mut departements: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut with_polygon = std::collections::BTreeSet::new();
    let mut without_bassin = Vec::new();
    for BassinShape { code: commune, geometry: area, .. } in polygons {
        match by_commune.get(commune.as_str()) {
            Some(assignment) => {
                with_polygon.insert(commune.as_str());
                parts.entry(&assignment.bassin).or_default().extend(area.orient(Direction::Default).0);
                if let Some(departement) = &assignment.departement {
                    *departements.entry(&assignment.bassin).or_default().entry(departement).or_default() += 1;
                }
            }
            None => without_bassin.push(commune.clone()),
        }
    }
    let without_polygon: Vec<String> = by_commune
        .keys()
        .filter(|commune| !with_polygon.contains(*commune))
        .map(|commune| (*commune).to_owned())
        .collect();
    let labels: BTreeMap<&str, &str> =
        assignments.iter().filter_map(|a| a.bassin_label.as_deref().map(|label| (a.bassin.as_str(), label))).collect();
    let mut bassins = Vec::with_capacity(parts.len());
    for (bassin, polygons) in parts {
        let union = unary_union(&polygons);
        let area: f64 = polygons.iter().map(Area::unsigned_area).sum();
        if union.0.is_empty() || !union.unsigned_area().is_finite() || union.unsigned_area() <= 0.0 {
            return Err(Error::Grid {
                message: format!(
                    "{display_path}: the union of the {} polygons of bassin {bassin} is empty",
                    polygons.len()
                ),
            });
        }
        // Communes tile their bassin: the union's area is the sum of theirs, up to the
        // slivers and overlaps of simplified outlines.
        if (union.unsigned_area() - area).abs() > 0.01 * area {
            tracing::warn!(
                bassin,
                union = union.unsigned_area(),
                communes = area,
                "the communes of this bassin overlap by more than 1 % of its area"
            );
        }
        let departement = departements.get(bassin).and_then(|counts| {
            counts
                .iter()
                .max_by_key(|(code, count)| (**count, std::cmp::Reverse(**code)))
                .map(|(code, _)| (*code).to_owned())
        });
        bassins.push(BassinShape {
            code: bassin.to_owned(),
            label: labels.get(bassin).map(|label| (*label).to_owned()),
            departement,
            geometry: union.orient(Direction::Default),
        });
    }
    if !without_polygon.is_empty() {
        tracing::warn!(file = display_path, communes = without_polygon.len(), first = %without_polygon.iter().take(5).cloned().collect::<Vec<_>>().join(", "), "communes of the bassin table have no polygon: their points are placed by code only");
    }
    if !without_bassin.is_empty() {
        tracing::warn!(file = display_path, communes = without_bassin.len(), first = %without_bassin.iter().take(5).cloned().collect::<Vec<_>>().join(", "), "commune polygons have no bassin in the table: they are outside the grid");
    }
    Ok(Dissolved { bassins, without_polygon, without_bassin })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, MultiPolygon, Point, polygon};

    fn square(x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side), (x: x, y: y)],
        ])
    }

    fn commune(code: &str, geometry: MultiPolygon<f64>) -> BassinShape {
        BassinShape { code: code.to_owned(), label: None, departement: None, geometry }
    }

    fn assign(commune: &str, bassin: &str) -> CommuneAssignment {
        CommuneAssignment {
            commune: commune.to_owned(),
            bassin: bassin.to_owned(),
            bassin_label: Some(format!("Bassin {bassin}")),
            departement: Some("80".to_owned()),
            location: format!("t.csv line {commune}"),
        }
    }

    #[test]
    fn communes_dissolve_into_their_bassins_with_enclaves_as_holes() {
        // A 3×3 block of communes: the centre one is bassin B, enclosed by bassin A.
        let mut polygons = Vec::new();
        let mut assignments = Vec::new();
        for i in 0..3 {
            for j in 0..3 {
                let code = format!("{i}{j}");
                let area = square(f64::from(i), f64::from(j), 1.0);
                polygons.push(commune(&code, if (i + j) % 2 == 0 { area } else { area.orient(Direction::Reversed) }));
                assignments.push(assign(&code, if code == "11" { "B" } else { "A" }));
            }
        }
        assignments.push(assign("99", "A"));
        polygons.push(commune("77", square(10.0, 10.0, 1.0)));
        let dissolved = dissolve(&polygons, &assignments, "t.csv").unwrap();
        assert_eq!(dissolved.bassins.len(), 2);
        let a = &dissolved.bassins[0];
        assert_eq!(
            (a.code.as_str(), a.label.as_deref(), a.departement.as_deref()),
            ("A", Some("Bassin A"), Some("80"))
        );
        assert_eq!(a.geometry.0.len(), 1, "one outline");
        assert_eq!(a.geometry.0[0].interiors().len(), 1, "the enclave is a hole");
        assert!((a.geometry.unsigned_area() - 8.0).abs() < 1e-9);
        assert!(!a.geometry.contains(&Point::new(1.5, 1.5)) && a.geometry.contains(&Point::new(0.5, 1.5)));
        assert!(dissolved.bassins[1].geometry.contains(&Point::new(1.5, 1.5)));
        assert_eq!(dissolved.without_polygon, ["99"]);
        assert_eq!(dissolved.without_bassin, ["77"]);
    }

    #[test]
    fn a_commune_in_two_bassins_is_an_error_naming_both_rows() {
        let polygons = vec![commune("01", square(0.0, 0.0, 1.0))];
        let message = dissolve(&polygons, &[assign("01", "A"), assign("01", "B")], "t.csv").unwrap_err().to_string();
        assert!(
            message.contains("commune 01 is in two bassins")
                && message.contains("A (t.csv line 01)")
                && message.contains("B (t.csv line 01)"),
            "{message}"
        );
        // The same commune twice in the same bassin (two COG vintages) is not a conflict.
        assert_eq!(dissolve(&polygons, &[assign("01", "A"), assign("01", "A")], "t.csv").unwrap().bassins.len(), 1);
    }
}
