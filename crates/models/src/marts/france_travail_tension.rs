//! `gold.france_travail_tension` — grain (bassin, code_rome): France Travail's own tension
//! indicator and its causes (PERSP_2) for the run's year — the latest ≤ the year of D —,
//! one column per code, beside skillgap's level, for the grid bassins silver placed them in
//! (each grid bassin takes its main BMO bassin's figures).

use crate::parameters::Parameters;
use crate::staging::TENSION_CODES;

/// The gold column of each cause code (the main indicator is `niveau_tension_ft`).
pub const CAUSE_COLUMNS: [(&str, &str); 7] = [
    ("MAIN_OEUVRE", "main_oeuvre_disponible"),
    ("INT_EMB", "intensite_embauches"),
    ("COND_TRAVAIL", "conditions_travail"),
    ("DUR_EMPL", "durabilite_emploi"),
    ("MISMATCH_GEO", "inadequation_geographique"),
    ("SPECIF_FORM_EMPL", "lien_formation_emploi"),
    ("ATTR_SALARIALE", "attractivite_salariale"),
];

/// A cause ranked at least this high is one of the métier's main causes.
pub const MAIN_CAUSE_RANK: i64 = 4;

/// The SQL of the table.
pub fn sql(parameters: &Parameters) -> String {
    let causes: String = CAUSE_COLUMNS
        .iter()
        .map(|(code, column)| {
            format!(",\n                MAX(CASE WHEN f.code_indicateur = '{code}' THEN f.rang END) AS {column}")
        })
        .collect();
    let labels: String = TENSION_CODES
        .iter()
        .enumerate()
        .map(|(order, (code, label))| format!("('{code}', '{}', {order})", label.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "WITH selected_year AS (
            SELECT MAX(annee) AS annee FROM silver.labour_market_tension WHERE annee <= {year}
         ), labels (code_indicateur, libelle, ordre) AS (VALUES {labels}
         ), figures AS (
            SELECT t.*, l.libelle, l.ordre
            FROM silver.labour_market_tension t
            JOIN selected_year y ON t.annee = y.annee
            JOIN labels l ON l.code_indicateur = t.code_indicateur
            WHERE t.code_bassin IS NOT NULL
         )
         SELECT f.code_bassin, f.code_rome, f.annee, f.code_bassin_bmo,
                MAX(CASE WHEN f.code_indicateur = 'PERSPECTIVE' THEN f.rang END) AS niveau_tension_ft,
                MAX(CASE WHEN f.code_indicateur = 'PERSPECTIVE' THEN f.score END) AS score_tension_ft{causes},
                array_to_string(array_agg(f.libelle ORDER BY f.rang DESC, f.ordre) FILTER (WHERE f.code_indicateur <> 'PERSPECTIVE' AND f.rang >= {MAIN_CAUSE_RANK}), ', ') AS causes_principales,
                MAX(f.date_maj) AS date_maj
         FROM figures f
         GROUP BY f.code_bassin, f.code_rome, f.annee, f.code_bassin_bmo
         ORDER BY f.code_bassin, f.code_rome",
        year = parameters.bmo_year(),
    )
}
