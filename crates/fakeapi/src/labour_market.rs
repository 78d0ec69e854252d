//! The *Marché du travail* API's indicator endpoints (stat-demandeurs, -entrant,
//! stat-perspective-employeur) as `../shared/data/marche_du_travail_api_protocol.md`
//! describes them: a POSTed JSON criterion, the indicator's own period and nomenclature
//! types enforced (400 otherwise), 403 with an empty body for a token without both scope
//! parts, XML without `Accept: application/json`, both "no data" forms, periods newest
//! first and nomenclature codes in alphabetical order, counts rounded to tens, masked
//! values, and numbers as strings (as in the only real DE_1 sample) when asked.

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// One figure served: an indicator's value for a territory, activity, nomenclature code
/// and period.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// `DE_1`, `DE_5` or `PERSP_2`.
    pub indicator: &'static str,
    /// `NAT`, `REG`, `DEP`, `BASBMO`.
    pub territory_type: String,
    /// `FR`, `32`, `59`, `3216`…
    pub territory: String,
    /// A ROME code, or `CUMUL` for the all-activity total.
    pub activity: String,
    /// `A`, `ABC`, `CUMUL 12 MOIS`, `PERSPECTIVE`, `MAIN_OEUVRE`…
    pub nomenclature: String,
    /// `2026T2` or `2025`.
    pub period: String,
    /// `valeurPrincipaleNombre`; `None`: masked (sent as `null`).
    pub value: Option<f64>,
    /// `valeurPrincipaleDecimale` (PERSP_2's score), when the indicator has one.
    pub decimal: Option<f64>,
}

/// The gateway's answer for a code without figures.
pub fn no_data_body() -> Value {
    json!({"message": "[FiltreErreurSldng] Erreur lors de l'appel de l'Api REST. Status code = 500, message = Le serveur n'a pas pu trouver la liste", "codeHttp": 500})
}

/// (indicator, period type, nomenclature type) of an endpoint path.
pub fn endpoint(path: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let name = path.rsplit('/').next()?;
    match name {
        "stat-demandeurs" => Some(("DE_1", "TRIMESTRE", "CATCAND")),
        "stat-demandeurs-entrant" => Some(("DE_5", "TRIMESTRE", "CATCAND")),
        "stat-perspective-employeur" => Some(("PERSP_2", "ANNEE", "TYPE_TENSION")),
        _ => None,
    }
}

/// The territory types each indicator allows (2022 catalogue).
fn allowed_territory(indicator: &str, territory_type: &str) -> bool {
    match indicator {
        "PERSP_2" => ["NAT", "REG", "DEP", "BASBMO"].contains(&territory_type),
        _ => ["NAT", "REG", "DEP", "BASBMO", "AGC", "EPCI"].contains(&territory_type),
    }
}

/// What one criterion gets: status and body.
pub fn answer(
    indicator: &'static str,
    period_type: &str,
    nomenclature_type: &str,
    criterion: &Value,
    figures: &[Figure],
    options: &Options,
) -> (u16, Value) {
    let field = |name: &str| criterion.get(name).and_then(Value::as_str);
    let bad = |message: String| (400, json!({"codeHttp": 400, "message": message}));
    let (Some(territory_type), Some(territory), Some(activity_type)) =
        (field("codeTypeTerritoire"), field("codeTerritoire"), field("codeTypeActivite"))
    else {
        return bad("codeTypeTerritoire, codeTerritoire et codeTypeActivite sont obligatoires".to_owned());
    };
    if field("codeTypePeriode") != Some(period_type) {
        return bad(format!(
            "codeTypePeriode {} non autorisé pour {indicator}",
            field("codeTypePeriode").unwrap_or("absent")
        ));
    }
    if field("codeTypeNomenclature") != Some(nomenclature_type) {
        return bad(format!(
            "codeTypeNomenclature {} non autorisé pour {indicator}",
            field("codeTypeNomenclature").unwrap_or("absent")
        ));
    }
    if !allowed_territory(indicator, territory_type) || !["ROME", "CUMUL"].contains(&activity_type) {
        return bad(format!("croisement {territory_type} x {activity_type} non autorisé pour {indicator}"));
    }
    let activity = field("codeActivite").unwrap_or("CUMUL");
    let strings = |name: &str| -> Option<BTreeSet<String>> {
        criterion
            .get(name)
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
    };
    let (nomenclatures, periods) = (strings("listeCodeNomenclature"), strings("listeCodePeriode"));
    let mut matching: Vec<&Figure> = figures
        .iter()
        .filter(|f| {
            f.indicator == indicator
                && f.territory_type == territory_type
                && f.territory == territory
                && f.activity == activity
        })
        .filter(|f| nomenclatures.as_ref().is_none_or(|codes| codes.contains(&f.nomenclature)))
        .filter(|f| periods.as_ref().is_none_or(|codes| codes.contains(&f.period)))
        .collect();
    if criterion.get("dernierePeriode").and_then(Value::as_bool) == Some(true)
        && let Some(latest) = matching.iter().map(|f| f.period.clone()).max()
    {
        matching.retain(|f| f.period == latest);
    }
    let header = json!({
        "datMaj": "2026-10-30T09:12:44.000+01:00",
        "codeIndicateur": indicator,
        "codeFamille": if indicator == "PERSP_2" { "PERSPECTIVES" } else { "DEMANDEURS" },
        "libIndicateur": format!("Indicateur {indicator}"),
    });
    if matching.is_empty() {
        return if options.empty_answer_activities.contains(activity) { (200, header) } else { (500, no_data_body()) };
    }
    matching.sort_by(|a, b| b.period.cmp(&a.period).then(a.nomenclature.cmp(&b.nomenclature)));
    let number = |value: Option<f64>| match (value, options.string_values) {
        (None, _) => Value::Null,
        (Some(v), true) => Value::String(if v.fract() == 0.0 { format!("{v:.0}") } else { v.to_string() }),
        (Some(v), false) if v.fract() == 0.0 => json!(v as i64),
        (Some(v), false) => json!(v),
    };
    let items: Vec<Value> = matching
        .iter()
        .map(|f| {
            let mut item = json!({
                "datMaj": "2026-10-30T09:12:44+01:00",
                "codeTypeTerritoire": f.territory_type,
                "codeTerritoire": f.territory,
                "libTerritoire": format!("Territoire {}", f.territory),
                "codeTypeActivite": activity_type,
                "codeActivite": f.activity,
                "libActivite": format!("Activité {}", f.activity),
                "codeNomenclature": f.nomenclature,
                "libNomenclature": format!("Libellé {}", f.nomenclature),
                "codeTypePeriode": period_type,
                "codePeriode": f.period,
                "libPeriode": f.period,
                "valeurPrincipaleNombre": number(f.value),
            });
            if let Some(decimal) = f.decimal {
                item["valeurPrincipaleDecimale"] = number(Some(decimal));
            }
            if criterion.get("sansCaracteristiques").and_then(Value::as_bool) != Some(true) {
                item["listeValeurParCaract"] = json!([{"codeTypeCaract": "GENRE", "codeCaract": "H", "libCaract": "Homme", "nombre": number(f.value), "pourcentage": number(Some(100.0)), "masque": number(None)}]);
            }
            item
        })
        .collect();
    let mut body = header;
    body["listeValeursParPeriode"] = Value::Array(items);
    (200, body)
}

/// How the fake's labour-market answers vary.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Send every number as a string (`"4430"`), as the XML-converted real sample does.
    pub string_values: bool,
    /// Activities (ROME codes) answered with a 200 that has no `listeValeursParPeriode`,
    /// the other "no data" form; every other activity without figures gets the 500.
    pub empty_answer_activities: BTreeSet<String>,
}

/// A deterministic set of figures: DE_1 (`A`, `ABC`, …), DE_5 (`MOIS EN COURS`, `CUMUL 12
/// MOIS`) for `quarters`, PERSP_2 (the main indicator and seven causes) for `years`, by
/// BMO bassin × ROME, plus the national all-activity totals. Counts are multiples of ten.
pub fn generate_labour_market(
    bassins: &[&str],
    romes: &[&str],
    quarters: &[&str],
    years: &[&str],
    seed: u64,
) -> Vec<Figure> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    let mut next = move |range: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % range.max(1)
    };
    let mut figures = Vec::new();
    let figure = |indicator,
                  territory_type: &str,
                  territory: &str,
                  activity: &str,
                  nomenclature: &str,
                  period: &str,
                  value: f64,
                  decimal: Option<f64>| Figure {
        indicator,
        territory_type: territory_type.to_owned(),
        territory: territory.to_owned(),
        activity: activity.to_owned(),
        nomenclature: nomenclature.to_owned(),
        period: period.to_owned(),
        value: Some(value),
        decimal,
    };
    for quarter in quarters {
        let (mut total_a, mut total_abc, mut total_entries) = (0.0, 0.0, 0.0);
        for bassin in bassins {
            for rome in romes {
                let a = 10.0 * (1 + next(80)) as f64;
                let abc = a + 10.0 * next(60) as f64;
                let entries = 10.0 * (1 + next(120)) as f64;
                total_a += a;
                total_abc += abc;
                total_entries += entries;
                for (nomenclature, value) in
                    [("A", a), ("ABC", abc), ("ABCDE", abc + 10.0 * next(20) as f64), ("B", 10.0 * next(10) as f64)]
                {
                    figures.push(figure("DE_1", "BASBMO", bassin, rome, nomenclature, quarter, value, None));
                }
                figures.push(figure(
                    "DE_5",
                    "BASBMO",
                    bassin,
                    rome,
                    "MOIS EN COURS",
                    quarter,
                    (entries / 40.0).round() * 10.0,
                    None,
                ));
                figures.push(figure("DE_5", "BASBMO", bassin, rome, "CUMUL 12 MOIS", quarter, entries, None));
            }
        }
        figures.push(figure("DE_1", "NAT", "FR", "CUMUL", "A", quarter, total_a, None));
        figures.push(figure("DE_1", "NAT", "FR", "CUMUL", "ABC", quarter, total_abc, None));
        figures.push(figure("DE_5", "NAT", "FR", "CUMUL", "CUMUL 12 MOIS", quarter, total_entries, None));
    }
    const CAUSES: [&str; 8] = [
        "PERSPECTIVE",
        "MAIN_OEUVRE",
        "INT_EMB",
        "COND_TRAVAIL",
        "DUR_EMPL",
        "MISMATCH_GEO",
        "SPECIF_FORM_EMPL",
        "ATTR_SALARIALE",
    ];
    for year in years {
        for bassin in bassins {
            for rome in romes {
                for cause in CAUSES {
                    let rank = 1 + next(5);
                    let decimal = (rank as f64 - 0.5 + next(100) as f64 / 100.0).clamp(1.0, 5.0);
                    figures.push(figure(
                        "PERSP_2",
                        "BASBMO",
                        bassin,
                        rome,
                        cause,
                        year,
                        rank as f64,
                        Some((decimal * 100.0).round() / 100.0),
                    ));
                }
            }
        }
        figures.push(figure("PERSP_2", "NAT", "FR", "CUMUL", "PERSPECTIVE", year, 3.0, Some(3.1)));
    }
    figures
}
