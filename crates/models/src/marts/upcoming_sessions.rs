//! `gold.upcoming_sessions` — grain (session): the sessions ending in F6 = [D, D + 6
//! months) (engagement #10: trainees soon available to employers), with their métiers.

use crate::parameters::Parameters;

/// The SQL of the table.
pub fn sql(parameters: &Parameters) -> String {
    format!(
        "WITH metiers AS (
            SELECT m.session_id, array_agg(m.code_rome ORDER BY m.code_rome) AS codes_rome,
                   array_agg(COALESCE(r.libelle_rome, m.code_rome) ORDER BY m.code_rome) AS libelles_rome
            FROM intermediate.session_metiers m LEFT JOIN staging.rome r ON r.code_rome = m.code_rome
            GROUP BY m.session_id
         )
         SELECT s.code_bassin, s.session_id, s.formation_id, s.intitule_formation, s.organisme_nom,
                s.date_debut, s.date_fin, s.places, s.entrees, COALESCE(s.entrees, s.places) AS sortants_prevus,
                s.code_nsf, n.libelle_nsf, m.codes_rome, m.libelles_rome
         FROM silver.sessions s
         LEFT JOIN metiers m ON m.session_id = s.session_id
         LEFT JOIN staging.nsf n ON n.code_nsf = s.code_nsf
         WHERE {in_f6}
         ORDER BY s.code_bassin, s.date_fin, s.session_id",
        in_f6 = parameters.sql_in_f6("s.date_fin"),
    )
}
