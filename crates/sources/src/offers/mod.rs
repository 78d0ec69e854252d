//! France Travail *Offres d'emploi v2* objects from files: API pages
//! (`{"resultats": [...]}`), JSON arrays or NDJSON, optionally gzip-compressed. Each
//! object becomes one bronze row with the fields of `inputs.md` §1 (as found: dates stay
//! text, typing is staging's job), its raw JSON, its file and location. Unparsable JSON
//! (`bad_json`) and objects without `id` (`missing_id`) are rejects.

mod record;

use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder, StructBuilder,
};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use serde_json::Value;

use self::record::{COMPANY_KEYS, ObjectFields, OfferRecord, PLACE_KEYS, Parsed, Scalar, TOP_KEYS};
use crate::error::{Error, Result};
use crate::files::open_decompressed;
use crate::rejects::RejectsBuilder;

const INPUT: &str = "offers";

/// Longest NDJSON line read; a longer one is a `bad_json` reject, skipped without being
/// held in memory.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Files whose decompressed size is at most this are first tried as one JSON document.
pub const DOCUMENT_PROBE_BYTES: usize = 64 << 20;

fn competence_fields() -> Fields {
    Fields::from(vec![
        Field::new("code", DataType::Utf8, true),
        Field::new("libelle", DataType::Utf8, true),
        Field::new("exigence", DataType::Utf8, true),
    ])
}

fn formation_fields() -> Fields {
    Fields::from(vec![
        Field::new("code_formation", DataType::Utf8, true),
        Field::new("domaine_libelle", DataType::Utf8, true),
        Field::new("niveau_libelle", DataType::Utf8, true),
        Field::new("exigence", DataType::Utf8, true),
    ])
}

/// Where a bronze text column's value is in the offer object.
#[derive(Clone, Copy)]
enum Source {
    /// A top-level key ([`TOP_KEYS`]).
    Top(&'static str),
    /// A `lieuTravail` key ([`PLACE_KEYS`]).
    Place(&'static str),
    /// An `entreprise` key ([`COMPANY_KEYS`]).
    Company(&'static str),
}

const TEXT_FIELDS: [(&str, Source); 16] = [
    ("id", Source::Top("id")),
    ("intitule", Source::Top("intitule")),
    ("date_creation", Source::Top("dateCreation")),
    ("date_actualisation", Source::Top("dateActualisation")),
    ("lieu_libelle", Source::Place("libelle")),
    ("lieu_commune", Source::Place("commune")),
    ("lieu_code_postal", Source::Place("codePostal")),
    ("rome_code", Source::Top("romeCode")),
    ("appellation_libelle", Source::Top("appellationlibelle")),
    ("type_contrat", Source::Top("typeContrat")),
    ("type_contrat_libelle", Source::Top("typeContratLibelle")),
    ("duree_travail_libelle_converti", Source::Top("dureeTravailLibelleConverti")),
    ("secteur_activite", Source::Top("secteurActivite")),
    ("qualification_code", Source::Top("qualificationCode")),
    ("entreprise_nom", Source::Company("nom")),
    ("nombre_postes_texte", Source::Top("nombrePostes")),
];

fn position(keys: &[&str], key: &str) -> usize {
    keys.iter().position(|known| *known == key).unwrap_or(usize::MAX)
}

fn field<'r, 'a>(fields: &'r ObjectFields<'a>, index: usize) -> &'r Scalar<'a> {
    const ABSENT: &Scalar<'static> = &Scalar::None;
    fields.as_ref().and_then(|fields| fields.get(index)).unwrap_or(ABSENT)
}

impl<'a> OfferRecord<'a> {
    fn top_value(&self, key: &str) -> &Scalar<'a> {
        self.top.get(position(&TOP_KEYS, key)).unwrap_or(&Scalar::None)
    }

    fn value(&self, source: Source) -> &Scalar<'a> {
        match source {
            Source::Top(key) => self.top_value(key),
            Source::Place(key) => field(&self.place, position(&PLACE_KEYS, key)),
            Source::Company(key) => field(&self.company, position(&COMPANY_KEYS, key)),
        }
    }
}

/// The `record_order` of the first record of the `index`-th offers file: index × 2⁴⁰
/// (the record's position in the file is added), so that every record of a later file
/// comes after.
pub fn first_record_order(index: usize) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX >> 40) << 40
}

/// The bronze offers schema.
pub fn offers_schema() -> SchemaRef {
    let mut fields: Vec<Field> = TEXT_FIELDS.iter().map(|(name, _)| Field::new(*name, DataType::Utf8, true)).collect();
    fields.extend([
        Field::new("lieu_latitude", DataType::Float64, true),
        Field::new("lieu_longitude", DataType::Float64, true),
        Field::new("nombre_postes", DataType::Int64, true),
        Field::new("alternance", DataType::Boolean, true),
        Field::new(
            "competences",
            DataType::List(Arc::new(Field::new("item", DataType::Struct(competence_fields()), true))),
            true,
        ),
        Field::new(
            "formations",
            DataType::List(Arc::new(Field::new("item", DataType::Struct(formation_fields()), true))),
            true,
        ),
        Field::new("raw", DataType::Utf8, false),
        Field::new("source_file", DataType::Utf8, false),
        Field::new("source_location", DataType::Utf8, false),
        Field::new("record_order", DataType::Int64, false),
    ]);
    Arc::new(Schema::new(fields))
}

/// Reads offers files into bronze batches, numbering records in read order across files
/// (the order that breaks `dateActualisation` ties: the one read last wins).
pub struct OfferReader {
    schema: SchemaRef,
    text: Vec<StringBuilder>,
    latitude: Float64Builder,
    longitude: Float64Builder,
    postes: Int64Builder,
    alternance: BooleanBuilder,
    competences: ListBuilder<StructBuilder>,
    formations: ListBuilder<StructBuilder>,
    raw: StringBuilder,
    source_file: StringBuilder,
    source_location: StringBuilder,
    record_order: Int64Builder,
    rows: usize,
    next_order: i64,
    /// Records read (valid or not).
    pub records: u64,
    /// Bytes read (decompressed).
    pub bytes: u64,
}

impl Default for OfferReader {
    fn default() -> Self {
        Self::new()
    }
}

impl OfferReader {
    /// A reader with empty buffers.
    pub fn new() -> Self {
        Self {
            schema: offers_schema(),
            text: TEXT_FIELDS.iter().map(|_| StringBuilder::new()).collect(),
            latitude: Float64Builder::new(),
            longitude: Float64Builder::new(),
            postes: Int64Builder::new(),
            alternance: BooleanBuilder::new(),
            competences: ListBuilder::new(StructBuilder::from_fields(competence_fields(), 0)),
            formations: ListBuilder::new(StructBuilder::from_fields(formation_fields(), 0)),
            raw: StringBuilder::new(),
            source_file: StringBuilder::new(),
            source_location: StringBuilder::new(),
            record_order: Int64Builder::new(),
            rows: 0,
            next_order: 0,
            records: 0,
            bytes: 0,
        }
    }

    /// Numbers the next records after the `index`-th input file (from
    /// [`first_record_order`]), so that readers working on different files in parallel
    /// still give every record the order of a sequential read.
    pub fn start_file(&mut self, index: usize) {
        self.next_order = first_record_order(index);
    }

    /// Reads one file, sending full batches to `sink` (call [`Self::flush`] at the end).
    ///
    /// A file that fits in [`DOCUMENT_PROBE_BYTES`] and parses as one JSON document is an
    /// API page, an array or a single offer; anything else is read as NDJSON, streaming.
    pub fn read_file(
        &mut self,
        path: &Path,
        display_path: &str,
        rejects: &mut RejectsBuilder,
        sink: &mut dyn FnMut(RecordBatch) -> Result<()>,
    ) -> Result<()> {
        let reader = open_decompressed(path)?;
        let mut head = Vec::new();
        let mut limited = reader.take(DOCUMENT_PROBE_BYTES as u64 + 1);
        limited.read_to_end(&mut head).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let reader = limited.into_inner();
        if head.len() <= DOCUMENT_PROBE_BYTES
            && let Ok(document) = serde_json::from_slice::<Value>(&head)
        {
            self.bytes += head.len() as u64;
            return self.read_value(document, path, display_path, "", rejects, sink);
        }
        let chained: Box<dyn BufRead + Send> =
            Box::new(std::io::BufReader::new(std::io::Cursor::new(head).chain(reader)));
        self.read_lines(chained, path, display_path, rejects, sink)
    }

    fn read_value(
        &mut self,
        document: Value,
        path: &Path,
        display_path: &str,
        prefix: &str,
        rejects: &mut RejectsBuilder,
        sink: &mut dyn FnMut(RecordBatch) -> Result<()>,
    ) -> Result<()> {
        match document {
            Value::Array(items) => {
                for (index, item) in items.into_iter().enumerate() {
                    self.push_text(&item.to_string(), display_path, &format!("{prefix}[{index}]"), rejects, sink)?;
                }
                Ok(())
            }
            Value::Object(mut object) if object.contains_key("resultats") => match object.remove("resultats") {
                Some(Value::Array(items)) => {
                    for (index, item) in items.into_iter().enumerate() {
                        self.push_text(
                            &item.to_string(),
                            display_path,
                            &format!("{prefix}resultats[{index}]"),
                            rejects,
                            sink,
                        )?;
                    }
                    Ok(())
                }
                _ => Err(Error::Json { path: path.to_path_buf(), message: "`resultats` is not an array".to_owned() }),
            },
            other => self.push_text(
                &other.to_string(),
                display_path,
                if prefix.is_empty() { "document" } else { prefix },
                rejects,
                sink,
            ),
        }
    }

    /// NDJSON (or a one-line API page): one JSON value per line.
    fn read_lines(
        &mut self,
        mut reader: Box<dyn BufRead + Send>,
        path: &Path,
        display_path: &str,
        rejects: &mut RejectsBuilder,
        sink: &mut dyn FnMut(RecordBatch) -> Result<()>,
    ) -> Result<()> {
        let mut line = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            number += 1;
            let (read, complete) = read_capped_line(&mut reader, &mut line, MAX_LINE_BYTES)
                .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
            if read == 0 {
                break;
            }
            self.bytes += read as u64;
            let location = format!("line {number}");
            if !complete {
                self.records += 1;
                rejects.push(
                    INPUT,
                    display_path,
                    &location,
                    "bad_json",
                    &format!("line longer than {MAX_LINE_BYTES} bytes ({read} bytes)"),
                    Some(&String::from_utf8_lossy(&line[..line.len().min(200)])),
                );
                continue;
            }
            let trimmed = line.trim_ascii();
            if trimmed.is_empty() {
                continue;
            }
            // The fast path: an offer parsed straight from the line into the bronze row.
            if let Ok(text) = std::str::from_utf8(trimmed)
                && let Ok(Parsed::Offer(record)) = record::parse(text)
                && !record.page
            {
                self.records += 1;
                self.push_record(&record, text, display_path, &location, rejects, sink)?;
                continue;
            }
            // Anything else (an API page or an array on one line, a scalar, bad JSON) goes
            // through a generic JSON value, for its items or its error message.
            match serde_json::from_slice::<Value>(trimmed) {
                Ok(value @ (Value::Object(_) | Value::Array(_))) => {
                    self.read_value(value, path, display_path, &format!("{location} "), rejects, sink)?;
                }
                Ok(_) => {
                    self.records += 1;
                    rejects.push(
                        INPUT,
                        display_path,
                        &location,
                        "bad_json",
                        "not a JSON object",
                        Some(&String::from_utf8_lossy(trimmed)),
                    );
                }
                Err(error) => {
                    self.records += 1;
                    rejects.push(
                        INPUT,
                        display_path,
                        &location,
                        "bad_json",
                        &error.to_string(),
                        Some(&String::from_utf8_lossy(trimmed)),
                    );
                }
            }
        }
        Ok(())
    }

    /// One JSON value's text (an item of a document): an offer, or a reject.
    fn push_text(
        &mut self,
        raw: &str,
        display_path: &str,
        location: &str,
        rejects: &mut RejectsBuilder,
        sink: &mut dyn FnMut(RecordBatch) -> Result<()>,
    ) -> Result<()> {
        self.records += 1;
        match record::parse(raw) {
            Ok(Parsed::Offer(record)) => self.push_record(&record, raw, display_path, location, rejects, sink),
            Ok(Parsed::Other) => {
                rejects.push(INPUT, display_path, location, "bad_json", "not a JSON object", Some(raw));
                Ok(())
            }
            Err(error) => {
                rejects.push(INPUT, display_path, location, "bad_json", &error.to_string(), Some(raw));
                Ok(())
            }
        }
    }

    fn push_record(
        &mut self,
        record: &OfferRecord<'_>,
        raw: &str,
        display_path: &str,
        location: &str,
        rejects: &mut RejectsBuilder,
        sink: &mut dyn FnMut(RecordBatch) -> Result<()>,
    ) -> Result<()> {
        if record.top_value("id").text().is_none_or(|id| id.trim().is_empty()) {
            rejects.push(INPUT, display_path, location, "missing_id", "the offer has no `id`", Some(raw));
            return Ok(());
        }
        for (builder, (_, source)) in self.text.iter_mut().zip(TEXT_FIELDS.iter()) {
            let text = record.value(*source).text();
            builder.append_option(text.as_deref().map(str::trim).filter(|text| !text.is_empty()));
        }
        self.latitude.append_option(record.value(Source::Place("latitude")).float());
        self.longitude.append_option(record.value(Source::Place("longitude")).float());
        self.postes.append_option(record.top_value("nombrePostes").integer());
        self.alternance.append_option(record.top_value("alternance").boolean());
        append_list(&mut self.competences, record.competences.as_deref());
        append_list(&mut self.formations, record.formations.as_deref());
        self.raw.append_value(raw);
        self.source_file.append_value(display_path);
        self.source_location.append_value(location);
        self.record_order.append_value(self.next_order);
        self.next_order += 1;
        self.rows += 1;
        if self.rows >= crate::BATCH_ROWS {
            let batch = self.finish_batch(display_path)?;
            sink(batch)?;
        }
        Ok(())
    }

    fn finish_batch(&mut self, display_path: &str) -> Result<RecordBatch> {
        let mut columns: Vec<ArrayRef> = self.text.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
        columns.push(Arc::new(self.latitude.finish()));
        columns.push(Arc::new(self.longitude.finish()));
        columns.push(Arc::new(self.postes.finish()));
        columns.push(Arc::new(self.alternance.finish()));
        columns.push(Arc::new(self.competences.finish()));
        columns.push(Arc::new(self.formations.finish()));
        columns.push(Arc::new(self.raw.finish()));
        columns.push(Arc::new(self.source_file.finish()));
        columns.push(Arc::new(self.source_location.finish()));
        columns.push(Arc::new(self.record_order.finish()));
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|source| Error::Arrow { path: display_path.into(), source })
    }

    /// Sends the last, partial batch.
    pub fn flush(&mut self, sink: &mut dyn FnMut(RecordBatch) -> Result<()>) -> Result<()> {
        if self.rows > 0 {
            let batch = self.finish_batch("offers")?;
            sink(batch)?;
        }
        Ok(())
    }
}

/// A list column: one struct per item (all fields null for an item that is not an
/// object), or a null list when the field is not an array.
fn append_list(builder: &mut ListBuilder<StructBuilder>, items: Option<&[ObjectFields<'_>]>) {
    let Some(items) = items else {
        builder.append(false);
        return;
    };
    let structs = builder.values();
    for item in items {
        for index in 0..structs.num_fields() {
            if let Some(column) = structs.field_builder::<StringBuilder>(index) {
                column.append_option(field(item, index).text());
            }
        }
        structs.append(true);
    }
    builder.append(true);
}

/// Reads one line into `line`, keeping at most `cap` bytes: returns the bytes consumed and
/// whether the line fit (a longer line is consumed to its end but not kept).
fn read_capped_line(reader: &mut dyn BufRead, line: &mut Vec<u8>, cap: usize) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut complete = true;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok((consumed, complete));
        }
        let (chunk, found) = match buffer.iter().position(|&b| b == b'\n') {
            Some(position) => (&buffer[..=position], true),
            None => (buffer, false),
        };
        if complete && line.len() + chunk.len() <= cap {
            line.extend_from_slice(chunk);
        } else {
            complete = false;
        }
        let length = chunk.len();
        consumed += length;
        reader.consume(length);
        if found {
            return Ok((consumed, complete));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_consumed_but_not_kept() {
        let text = format!("{}\nnext\n", "x".repeat(100));
        let mut reader = std::io::BufReader::with_capacity(16, text.as_bytes());
        let mut line = Vec::new();
        assert_eq!(read_capped_line(&mut reader, &mut line, 50).unwrap(), (101, false));
        line.clear();
        assert_eq!(read_capped_line(&mut reader, &mut line, 50).unwrap(), (5, true));
        assert_eq!(line, b"next\n");
    }
}
