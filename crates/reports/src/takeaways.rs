//! « À retenir », the box a sheet opens with: in plain French, the bassin's métiers en
//! tension that have no training place in the bassin or a low coverage, with their gap in
//! whole positions and the nearest bassins that do train for them, then those that are well
//! covered. Everything comes from `public.competence_gap` and the bassins' outlines.

use crate::data::{Bassin, RunTables};
use crate::format::{integer, percent};
use crate::sections::{Cell, Section, by_priority, metier};
use crate::table::Row;

/// The anchor of the box.
pub const ID: &str = "retenir";

/// Below this coverage (places / positions), a métier en tension is poorly covered.
pub const LOW_COVERAGE: f64 = 0.5;

/// From this coverage on, a métier en tension is well covered (the fill-rate target's 80 %).
pub const GOOD_COVERAGE: f64 = 0.8;

/// How many nearby bassins are named for a métier.
const NEARBY: usize = 2;

/// Whether the row's métier has no training place in its bassin: no session started in the
/// 12 months with known places (`capacite_12m` NULL) or none at all (0); unknown when the
/// figure is under secrecy.
pub fn without_places(row: &Row<'_>) -> bool {
    !row.secret("capacite_12m") && row.number("capacite_12m").is_none_or(|places| places <= 0.0)
}

/// The box's sentences, as a one-column section (a worksheet of its own in the XLSX).
pub fn takeaways(tables: &RunTables, bassin: &Bassin) -> Section {
    let tense: Vec<Row<'_>> =
        by_priority(tables, bassin).into_iter().filter(|row| row.flag("en_tension") == Some(true)).collect();
    let mut lines = Vec::new();
    if tense.is_empty() {
        lines.push("Aucun métier n'est en tension (niveaux 4 et 5) dans le bassin pour la période.".to_owned());
    }
    for row in &tense {
        let coverage = row.number("couverture").filter(|_| !row.secret("couverture"));
        let situation = if without_places(row) {
            "aucune place de formation dans le bassin".to_owned()
        } else {
            match coverage {
                Some(value) if value < LOW_COVERAGE => format!("couverture de {} seulement", percent(value)),
                _ => continue,
            }
        };
        let gap = row
            .number("ecart")
            .map(|gap| {
                let positions = if integer(gap.abs()) == "1" { "poste" } else { "postes" };
                format!(" ; écart de {} {positions}", integer(gap))
            })
            .unwrap_or_default();
        let nearby = nearby_training(tables, bassin, row);
        let nearby = if nearby.is_empty() {
            " ; aucun bassin voisin ne forme à ce métier".to_owned()
        } else {
            format!(" ; formé à proximité : {}", nearby.join(", "))
        };
        lines.push(format!("{} : {situation}{gap}{nearby}.", metier(row)));
    }
    let covered: Vec<String> = tense
        .iter()
        .filter(|row| !row.secret("couverture") && row.number("couverture").is_some_and(|value| value >= GOOD_COVERAGE))
        .map(metier)
        .collect();
    if !tense.is_empty() {
        lines.push(if covered.is_empty() {
            format!("Aucun métier en tension n'a de places pour {} de ses postes.", whole_percent(GOOD_COVERAGE))
        } else {
            format!(
                "Bien couverts (places pour au moins {} des postes) : {}.",
                whole_percent(GOOD_COVERAGE),
                covered.join(", ")
            )
        });
    }
    Section {
        id: ID,
        sheet: "À retenir",
        title: "À retenir",
        intro: format!(
            "Les métiers en tension du bassin sans place de formation ou couverts à moins de {}, avec l'écart entre postes offerts et places sur 12 mois et les bassins les plus proches qui y forment.",
            whole_percent(LOW_COVERAGE)
        ),
        headers: vec!["À retenir"],
        rows: lines.into_iter().map(|line| vec![Cell::text(line)]).collect(),
        note: None,
    }
}

/// A threshold as a whole percentage (« 80 % »).
fn whole_percent(share: f64) -> String {
    format!("{}\u{a0}%", integer(share * 100.0))
}

/// The nearest other bassins with training places for the row's métier, as « Nom (n places,
/// d km) », by the distance between the bassins' centres (the mean of their outlines'
/// vertices).
fn nearby_training(tables: &RunTables, bassin: &Bassin, row: &Row<'_>) -> Vec<String> {
    let Some(here) = bassin.outline.as_ref().and_then(centre) else { return Vec::new() };
    let code = row.text("code_rome");
    let mut candidates: Vec<(f64, String)> = tables
        .gap
        .rows()
        .filter(|other| other.text("code_rome") == code && !other.secret("capacite_12m"))
        .filter_map(|other| {
            let places = other.number("capacite_12m").filter(|places| *places > 0.0)?;
            let code = other.text("code_bassin")?;
            let neighbour = tables.bassins.iter().find(|b| b.code == code && b.code != bassin.code)?;
            let kilometres = distance(here, neighbour.outline.as_ref().and_then(centre)?);
            Some((kilometres, format!("{} ({} places, {} km)", neighbour.label, integer(places), integer(kilometres))))
        })
        .collect();
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    candidates.into_iter().take(NEARBY).map(|(_, text)| text).collect()
}

/// The mean of an outline's outer-ring vertices (longitude, latitude).
fn centre(outline: &crate::svg::Outline) -> Option<(f64, f64)> {
    let points: Vec<&(f64, f64)> = outline.iter().filter_map(|polygon| polygon.first()).flatten().collect();
    if points.is_empty() {
        return None;
    }
    let count = points.len() as f64;
    Some((points.iter().map(|p| p.0).sum::<f64>() / count, points.iter().map(|p| p.1).sum::<f64>() / count))
}

/// Kilometres between two (longitude, latitude) points, on a plane tangent at their mean
/// latitude (exact enough between neighbouring bassins).
fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    let latitude = ((a.1 + b.1) / 2.0).to_radians();
    let east = (b.0 - a.0) * 111.32 * latitude.cos();
    let north = (b.1 - a.1) * 110.57;
    (east * east + north * north).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centres_and_distances() {
        let square = vec![vec![vec![(2.0, 50.0), (3.0, 50.0), (3.0, 51.0), (2.0, 51.0)]]];
        assert_eq!(centre(&square), Some((2.5, 50.5)));
        assert_eq!(centre(&Vec::new()), None);
        // One degree of latitude is about 110.6 km; one of longitude at 50° N about 71.6 km.
        assert!((distance((2.0, 50.0), (2.0, 51.0)) - 110.57).abs() < 1e-9);
        assert!((distance((2.0, 50.0), (3.0, 50.0)) - 71.55).abs() < 0.01);
    }
}
