//! Generated offers in the API's JSON shape, deterministic for a seed.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// `count` offers created over the `days` before `now`, spread over `departements` (each
/// offer's commune is `<département>001`), ids `G<seed>-<n>`; every third offer was
/// updated a day after its creation.
pub fn generate_offers(
    count: usize,
    seed: u64,
    departements: &[&str],
    romes: &[&str],
    now: DateTime<Utc>,
    days: i64,
) -> Vec<Value> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    (0..count)
        .map(|index| {
            let seconds = (next() % (days.max(1) as u64 * 86_400)) as i64;
            let created = now - Duration::seconds(seconds + 60);
            let updated = if index % 3 == 0 { (created + Duration::days(1)).min(now - Duration::seconds(30)) } else { created };
            let departement = departements[index % departements.len().max(1)];
            let rome = romes[(next() as usize) % romes.len().max(1)];
            json!({
                "id": format!("G{seed}-{index:07}"),
                "intitule": format!("Offre {index}"),
                "dateCreation": created.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "dateActualisation": updated.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "lieuTravail": {"libelle": format!("{departement} - COMMUNE"), "commune": format!("{departement}001"), "codePostal": format!("{departement}100")},
                "romeCode": rome,
                "typeContrat": if index % 2 == 0 { "CDI" } else { "CDD" },
                "typeContratLibelle": if index % 2 == 0 { "Contrat à durée indéterminé" } else { "Contrat à durée déterminée - 6 Mois" },
                "nombrePostes": 1 + (index % 3),
                "competences": [{"code": "100001", "libelle": "Accueillir", "exigence": "E"}],
            })
        })
        .collect()
}
