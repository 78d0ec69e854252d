//! Reading the *Marché du travail* answers landed by `skillgap fetch labour-market`
//! (gzip NDJSON, one answer a line: `indicator`, `request`, `status`, `body` as received)
//! into two bronze tables: jobseekers in the jobseekers input's layout (DE_1 `A` and `ABC`,
//! DE_5 `CUMUL 12 MOIS`, the period code as published) and France Travail's tension
//! figures (PERSP_2). The API reloads whole histories: files are read oldest first and a
//! later figure replaces an earlier one of the same key (territory, ROME, period,
//! nomenclature code). Values may be numbers or numeric strings; a masked or absent value
//! is NULL; a text that is not a number is kept as sent, for staging to reject.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::files::open_decompressed;
use crate::labour_market_api::Indicator;
use crate::rejects::RejectsBuilder;
use crate::table::table_schema;

/// The reject input name of landed answers.
const INPUT: &str = "labour_market";

/// Where a figure was read: file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    file: String,
    line: i64,
}

/// The counts of one (period, territory type, territory, ROME).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct JobseekerCounts {
    de_a: Option<String>,
    de_abc: Option<String>,
    entrees_a_12m: Option<String>,
}

/// One PERSP_2 figure, every value field the API's clients disagree on kept.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TensionFigure {
    label: Option<String>,
    number: Option<String>,
    decimal: Option<String>,
    name: Option<String>,
    updated: Option<String>,
}

/// (period, territory type, territory, ROME).
type Key = (String, String, String, String);

/// What the landed answers hold, newest figure of each key.
#[derive(Debug, Default)]
pub struct LabourMarketFigures {
    jobseekers: BTreeMap<Key, (JobseekerCounts, Origin)>,
    tension: BTreeMap<(Key, String), (TensionFigure, Origin)>,
    /// Answers read (with figures or not).
    pub answers: u64,
    /// Answers without figures.
    pub no_data: u64,
    /// Period items read.
    pub items: u64,
    /// Items set aside as rejects.
    pub rejected: u64,
    /// The latest period read of each indicator (by its code).
    pub latest: BTreeMap<&'static str, String>,
}

/// A value field as text: a number or a numeric string as sent; `null`, absent, or a
/// masked item: `None`.
fn value_text(item: &Value, field: &str) -> Option<String> {
    if matches!(item.get("masque"), Some(Value::Bool(true)))
        || item.get("masque").and_then(Value::as_str) == Some("true")
    {
        return None;
    }
    match item.get(field)? {
        Value::Null => None,
        Value::String(text) if text.trim().is_empty() => None,
        Value::String(text) => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        other => Some(other.to_string()),
    }
}

fn text(item: &Value, field: &str) -> Option<String> {
    item.get(field).and_then(Value::as_str).map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned)
}

/// The jobseekers input's territory type of an API territory type (`BASBMO` →
/// `bassin_bmo`; others lowercased, for staging to reject).
fn territory_type(code: &str) -> String {
    match code {
        "BASBMO" => "bassin_bmo".to_owned(),
        other => other.to_lowercase(),
    }
}

impl LabourMarketFigures {
    /// Reads one landed file (`shown`: its display path), reject rows into `rejects`.
    pub fn read_file(&mut self, path: &Path, shown: &str, rejects: &mut RejectsBuilder) -> Result<()> {
        let reader = open_decompressed(path)?;
        for (index, line) in reader.lines().enumerate() {
            let number = index as i64 + 1;
            let line = line.map_err(|source| Error::Io { path: path.to_owned(), source })?;
            if line.trim().is_empty() {
                continue;
            }
            let origin = Origin { file: shown.to_owned(), line: number };
            self.read_answer(&line, &origin, rejects);
        }
        Ok(())
    }

    fn reject(
        &mut self,
        rejects: &mut RejectsBuilder,
        origin: &Origin,
        location: String,
        reason: &str,
        detail: &str,
        raw: &str,
    ) {
        self.rejected += 1;
        rejects.push(INPUT, &origin.file, &location, reason, detail, Some(raw));
    }

    fn read_answer(&mut self, line: &str, origin: &Origin, rejects: &mut RejectsBuilder) {
        let location = format!("line {}", origin.line);
        let landed: Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(error) => {
                return self.reject(
                    rejects,
                    origin,
                    location,
                    "bad_json",
                    &format!("not a landed answer: {error}"),
                    line,
                );
            }
        };
        let Some(indicator) = landed.get("indicator").and_then(Value::as_str).and_then(Indicator::from_code) else {
            return self.reject(
                rejects,
                origin,
                location,
                "missing_value",
                "the landed answer names no known indicator (DE_1, DE_5, PERSP_2)",
                line,
            );
        };
        self.answers += 1;
        let body = landed.get("body").and_then(Value::as_str).unwrap_or("");
        let status = landed.get("status").and_then(Value::as_u64).unwrap_or(0);
        if status != 200 || body.trim().is_empty() {
            self.no_data += 1;
            return;
        }
        let answer: Value = match serde_json::from_str(body) {
            Ok(value) => value,
            Err(error) => {
                return self.reject(
                    rejects,
                    origin,
                    location,
                    "bad_json",
                    &format!("the API's answer is not JSON: {error}"),
                    body,
                );
            }
        };
        let items = answer.get("listeValeursParPeriode").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        if items.is_empty() {
            self.no_data += 1;
        }
        for (position, item) in items.iter().enumerate() {
            self.items += 1;
            let location = format!("line {}, listeValeursParPeriode[{position}]", origin.line);
            let fields = ["codePeriode", "codeTypeTerritoire", "codeTerritoire", "codeActivite", "codeNomenclature"]
                .map(|field| text(item, field));
            let [Some(period), Some(territory_kind), Some(territory), Some(rome), Some(nomenclature)] = fields else {
                let missing: Vec<&str> =
                    ["codePeriode", "codeTypeTerritoire", "codeTerritoire", "codeActivite", "codeNomenclature"]
                        .into_iter()
                        .zip(&fields)
                        .filter(|(_, value)| value.is_none())
                        .map(|(name, _)| name)
                        .collect();
                self.reject(
                    rejects,
                    origin,
                    location,
                    "missing_value",
                    &format!("{} {indicator:?} item without {}", indicator.code(), missing.join(", ")),
                    &item.to_string(),
                );
                continue;
            };
            if self.latest.get(indicator.code()).is_none_or(|latest| *latest < period) {
                self.latest.insert(indicator.code(), period.clone());
            }
            let key = (period, territory_type(&territory_kind), territory, rome);
            match indicator {
                Indicator::Stock | Indicator::Registrations => {
                    let value = value_text(item, "valeurPrincipaleNombre");
                    let entry =
                        self.jobseekers.entry(key).or_insert_with(|| (JobseekerCounts::default(), origin.clone()));
                    entry.1 = origin.clone();
                    match (indicator, nomenclature.as_str()) {
                        (Indicator::Stock, "A") => entry.0.de_a = value,
                        (Indicator::Stock, "ABC") => entry.0.de_abc = value,
                        (Indicator::Registrations, "CUMUL 12 MOIS") => entry.0.entrees_a_12m = value,
                        // Other categories (B, C, ABCDE…) and the quarter's own flow are not read.
                        _ => {}
                    }
                }
                Indicator::Tension => {
                    let figure = TensionFigure {
                        label: text(item, "libNomenclature"),
                        number: value_text(item, "valeurPrincipaleNombre"),
                        decimal: value_text(item, "valeurPrincipaleDecimale"),
                        name: value_text(item, "valeurPrincipaleNom"),
                        updated: text(item, "datMaj"),
                    };
                    self.tension.insert((key, nomenclature), (figure, origin.clone()));
                }
            }
        }
    }

    /// What the sheets and the manifest say of the figures' vintage: the latest period of
    /// each indicator.
    pub fn vintage(&self) -> String {
        let periods: Vec<String> = self.latest.iter().map(|(code, period)| format!("{code} {period}")).collect();
        format!("périodes les plus récentes : {}", periods.join(", "))
    }

    /// Jobseeker rows in the jobseekers input's bronze layout (`sorties_abc_12m` NULL: the
    /// API has no exits by bassin).
    pub fn jobseeker_batch(&self, schema: &SchemaRef) -> Result<RecordBatch> {
        text_batch(
            schema.clone(),
            self.jobseekers.iter().map(|((period, kind, territory, rome), (counts, origin))| {
                let values = vec![
                    Some(period),
                    Some(territory),
                    Some(kind),
                    Some(rome),
                    counts.de_a.as_ref(),
                    counts.de_abc.as_ref(),
                    None,
                    counts.entrees_a_12m.as_ref(),
                ];
                (values, origin)
            }),
        )
    }

    /// France Travail's tension figures, one row per (year, territory, ROME, indicator code).
    pub fn tension_batch(&self) -> Result<RecordBatch> {
        text_batch(
            tension_schema(),
            self.tension.iter().map(|(((period, kind, territory, rome), code), (figure, origin))| {
                let values = vec![
                    Some(period),
                    Some(kind),
                    Some(territory),
                    Some(rome),
                    Some(code),
                    figure.label.as_ref(),
                    figure.number.as_ref(),
                    figure.decimal.as_ref(),
                    figure.name.as_ref(),
                    figure.updated.as_ref(),
                ];
                (values, origin)
            }),
        )
    }
}

/// A batch of `schema`: its text columns from each row's values, then `source_file` and
/// `source_line` from its origin.
fn text_batch<'a>(
    schema: SchemaRef,
    rows: impl Iterator<Item = (Vec<Option<&'a String>>, &'a Origin)>,
) -> Result<RecordBatch> {
    let mut columns: Vec<StringBuilder> =
        (0..schema.fields().len().saturating_sub(2)).map(|_| StringBuilder::new()).collect();
    let mut file = StringBuilder::new();
    let mut line = Int64Builder::new();
    for (values, origin) in rows {
        for (builder, value) in columns.iter_mut().zip(values) {
            builder.append_option(value);
        }
        file.append_value(&origin.file);
        line.append_value(origin.line);
    }
    let mut arrays: Vec<ArrayRef> =
        columns.into_iter().map(|mut builder| Arc::new(builder.finish()) as ArrayRef).collect();
    arrays.push(Arc::new(file.finish()));
    arrays.push(Arc::new(line.finish()));
    RecordBatch::try_new(schema, arrays)
        .map_err(|source| Error::Arrow { path: "landed labour-market answers".into(), source })
}

/// The jobseekers input's bronze schema (the CSV's, so that both feed one staging model).
pub fn labour_market_jobseekers_schema() -> Result<SchemaRef> {
    let layout = crate::layouts::table_layout("jobseekers")
        .ok_or_else(|| Error::Grid { message: "no jobseekers layout".to_owned() })?;
    Ok(table_schema(layout))
}

/// The bronze schema of France Travail's tension figures (every column text as sent).
pub fn tension_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        text("annee"),
        text("type_territoire"),
        text("code_territoire"),
        text("code_rome"),
        text("code_indicateur"),
        text("libelle_indicateur"),
        text("valeur_nombre"),
        text("valeur_decimale"),
        text("valeur_nom"),
        text("date_maj"),
        Field::new("source_file", DataType::Utf8, false),
        Field::new("source_line", DataType::Int64, false),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn landed(indicator: &str, items: &str) -> String {
        let body = format!(r#"{{"codeIndicateur":"{indicator}","listeValeursParPeriode":[{items}]}}"#);
        serde_json::json!({"indicator": indicator, "request": {}, "status": 200, "body": body}).to_string()
    }

    fn item(period: &str, nomenclature: &str, value: &str) -> String {
        format!(
            r#"{{"codeTypeTerritoire":"BASBMO","codeTerritoire":"3216","codeActivite":"M1805","codeNomenclature":"{nomenclature}","codePeriode":"{period}","valeurPrincipaleNombre":{value}}}"#
        )
    }

    #[test]
    fn numbers_strings_masks_and_later_figures_replace_earlier_ones() {
        let mut figures = LabourMarketFigures::default();
        let mut rejects = RejectsBuilder::default();
        let origin = |line| Origin { file: "landing:a".to_owned(), line };
        figures.read_answer(
            &landed("DE_1", &[item("2026T2", "A", "\"4430\""), item("2026T2", "ABC", "8740.0")].join(",")),
            &origin(1),
            &mut rejects,
        );
        figures.read_answer(&landed("DE_5", &item("2026T2", "CUMUL 12 MOIS", "null")), &origin(2), &mut rejects);
        // A later answer revises A; a masked item is NULL; a word is kept for staging.
        figures.read_answer(
            &landed(
                "DE_1",
                &[
                    item("2026T2", "A", "4440"),
                    item("2026T1", "A", "\"environ\""),
                    item("2026T1", "ABC", "\"12\"").replace('}', r#","masque":"true"}"#),
                ]
                .join(","),
            ),
            &origin(3),
            &mut rejects,
        );
        figures.read_answer("{not json", &origin(4), &mut rejects);
        figures.read_answer(&landed("DE_1", r#"{"codePeriode":"2026T2"}"#), &origin(5), &mut rejects);
        let batch = figures
            .jobseeker_batch(&labour_market_jobseekers_schema().unwrap_or_else(|_| tension_schema()))
            .unwrap_or_else(|e| panic!("{e}"));
        let column = |name: &str| {
            let array = batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<arrow::array::StringArray>().cloned());
            array.map(|a| a.iter().map(|v| v.map(str::to_owned)).collect::<Vec<_>>()).unwrap_or_default()
        };
        assert_eq!(column("periode"), [Some("2026T1".to_owned()), Some("2026T2".to_owned())]);
        assert_eq!(column("type_territoire"), [Some("bassin_bmo".to_owned()), Some("bassin_bmo".to_owned())]);
        assert_eq!(column("de_a"), [Some("environ".to_owned()), Some("4440".to_owned())]);
        assert_eq!(column("de_abc"), [None, Some("8740.0".to_owned())]);
        assert_eq!(column("entrees_a_12m"), [None, None]);
        assert_eq!(column("sorties_abc_12m"), [None, None]);
        assert_eq!((figures.answers, figures.items, figures.rejected, rejects.len()), (4, 7, 2, 2));
        let rejects = rejects.finish();
        let reasons = rejects
            .column_by_name("reason")
            .and_then(|c| c.as_any().downcast_ref::<arrow::array::StringArray>().cloned());
        assert_eq!(
            reasons.map(|r| r.iter().flatten().map(str::to_owned).collect::<Vec<_>>()).unwrap_or_default(),
            ["bad_json", "missing_value"]
        );
    }

    /// The shape of the only real DE_1 answer seen (XML re-encoded as JSON: every value a
    /// string, `masque` on characteristic rows only), transcribed with invented figures:
    /// its repository has no licence, so the real file is not committed.
    #[test]
    fn the_real_answer_shape_with_string_values_reads_field_by_field() {
        let body = r#"{"datMaj":"2022-11-16T10:04:19+01:00","codeIndicateur":"DE_1","codeFamille":"DEMANDEURS","libIndicateur":"Nombre et % de DE par catégories x caractéristiques",
            "listeValeursParPeriode":[
              {"datMaj":"2022-11-08T10:25:15+01:00","codeTypeTerritoire":"REG","codeTerritoire":"75","libTerritoire":"RÉGION","codeTypeActivite":"ROME","codeActivite":"A1203",
               "libActivite":"Métier","codeNomenclature":"A","libNomenclature":"Demandeurs d'Emploi de catégorie A","codeTypePeriode":"TRIMESTRE","codePeriode":"2022T3",
               "libPeriode":"3ème trimestre 2022","valeurPrincipaleNombre":"1230","valeurSecondairePourcentage":"50.0",
               "listeValeurParCaract":[{"codeTypeCaract":"GENRE","codeCaract":"H","libCaract":"Homme","nombre":"1100","pourcentage":"89.0","masque":"false"}]},
              {"datMaj":"2022-11-08T10:25:15+01:00","codeTypeTerritoire":"REG","codeTerritoire":"75","libTerritoire":"RÉGION","codeTypeActivite":"ROME","codeActivite":"A1203",
               "libActivite":"Métier","codeNomenclature":"ABC","libNomenclature":"Demandeurs d'Emploi de catégories A,B ou C","codeTypePeriode":"TRIMESTRE","codePeriode":"2022T3",
               "libPeriode":"3ème trimestre 2022","valeurPrincipaleNombre":"2460","valeurSecondairePourcentage":"100.0","listeValeurParCaract":[]}]}"#;
        let line = serde_json::json!({"indicator": "DE_1", "request": {}, "status": 200, "body": body}).to_string();
        let mut figures = LabourMarketFigures::default();
        let mut rejects = RejectsBuilder::default();
        figures.read_answer(&line, &Origin { file: "landing:real-shape".to_owned(), line: 1 }, &mut rejects);
        let batch = figures
            .jobseeker_batch(&labour_market_jobseekers_schema().unwrap_or_else(|_| tension_schema()))
            .unwrap_or_else(|e| panic!("{e}"));
        let value = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| {
                    c.as_any()
                        .downcast_ref::<arrow::array::StringArray>()
                        .map(|a| a.iter().map(|v| v.map(str::to_owned)).collect::<Vec<_>>())
                })
                .unwrap_or_default()
        };
        assert_eq!(value("periode"), [Some("2022T3".to_owned())]);
        // A region is not a BMO bassin: passed on as `reg`, for staging to reject as a territory.
        assert_eq!(value("type_territoire"), [Some("reg".to_owned())]);
        assert_eq!(value("code_territoire"), [Some("75".to_owned())]);
        assert_eq!(value("code_rome"), [Some("A1203".to_owned())]);
        assert_eq!((value("de_a"), value("de_abc")), (vec![Some("1230".to_owned())], vec![Some("2460".to_owned())]));
        assert_eq!((figures.items, rejects.len()), (2, 0));
    }
}
