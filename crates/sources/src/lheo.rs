//! The training catalogue in LHEO XML, streamed one `<formation>` (or Intercarif
//! `<resume-offre>`) at a time whatever the file size: LHEO 2.2 and 2.3 namespaces
//! matched on local names, the encoding declared in the prolog honoured (UTF-8,
//! ISO-8859-1, …), DTDs refused (so no entity can be declared, expanded or fetched: an
//! entity bomb or an external entity is a clear error, in bounded time and memory).
//! A byte the declared encoding cannot decode costs only the formation holding it (a
//! `bad_xml` reject naming the byte's exact offset in the file).
//! Each session becomes one bronze row with its formation's and action's fields as found
//! (dates stay text: the `00` rules are staging's). A malformed `<formation>` (an element
//! left open, an undeclared entity, a syntax error) is a `bad_xml` reject with its
//! position, and reading resumes at the next `<formation>`.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::decoding::{Decoding, declared_encoding};
use crate::error::{Error, Result};
use crate::files::open_decompressed;
use crate::rejects::RejectsBuilder;

const INPUT: &str = "lheo";
const UNITS: [&str; 2] = ["formation", "resume-offre"];

#[derive(Default)]
struct Session {
    id: Option<String>,
    debut: Option<String>,
    fin: Option<String>,
    places: Option<i64>,
}

#[derive(Default)]
struct Action {
    id: Option<String>,
    code_commune: Option<String>,
    code_postal: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    financeurs: Vec<String>,
    funded_places: Option<i64>,
    sessions: Vec<Session>,
}

#[derive(Default)]
struct Formation {
    id: Option<String>,
    title: Option<String>,
    formacodes: Vec<String>,
    nsf: Vec<String>,
    rncp: Option<String>,
    certifinfo: Option<String>,
    organisme: Option<String>,
    siret: Option<String>,
    actions: Vec<Action>,
    /// Byte offset of its start tag in the file.
    position: u64,
    /// Why it cannot be used, if it cannot.
    problem: Option<String>,
}

/// The bronze sessions schema.
pub fn sessions_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let list = |name: &str| Field::new(name, DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), true);
    Arc::new(Schema::new(vec![
        text("formation_id"),
        text("intitule_formation"),
        list("formacodes"),
        list("codes_nsf"),
        text("code_rncp"),
        text("code_certifinfo"),
        text("organisme_nom"),
        text("organisme_siret"),
        text("action_id"),
        list("financeurs"),
        Field::new("places_financees", DataType::Int64, true),
        text("lieu_code_commune"),
        text("lieu_code_postal"),
        Field::new("lieu_latitude", DataType::Float64, true),
        Field::new("lieu_longitude", DataType::Float64, true),
        text("session_id"),
        text("debut"),
        text("fin"),
        Field::new("places_session", DataType::Int64, true),
        Field::new("source_file", DataType::Utf8, false),
        Field::new("source_location", DataType::Utf8, false),
    ]))
}

/// Builds bronze session batches.
struct SessionRows {
    schema: SchemaRef,
    formation_id: StringBuilder,
    title: StringBuilder,
    formacodes: ListBuilder<StringBuilder>,
    nsf: ListBuilder<StringBuilder>,
    rncp: StringBuilder,
    certifinfo: StringBuilder,
    organisme: StringBuilder,
    siret: StringBuilder,
    action_id: StringBuilder,
    financeurs: ListBuilder<StringBuilder>,
    funded_places: Int64Builder,
    commune: StringBuilder,
    postal: StringBuilder,
    latitude: Float64Builder,
    longitude: Float64Builder,
    session_id: StringBuilder,
    debut: StringBuilder,
    fin: StringBuilder,
    session_places: Int64Builder,
    file: StringBuilder,
    location: StringBuilder,
    rows: usize,
}

fn append_list(builder: &mut ListBuilder<StringBuilder>, values: &[String]) {
    for value in values {
        builder.values().append_value(value);
    }
    builder.append(true);
}

impl SessionRows {
    fn new() -> Self {
        Self {
            schema: sessions_schema(),
            formation_id: StringBuilder::new(),
            title: StringBuilder::new(),
            formacodes: ListBuilder::new(StringBuilder::new()),
            nsf: ListBuilder::new(StringBuilder::new()),
            rncp: StringBuilder::new(),
            certifinfo: StringBuilder::new(),
            organisme: StringBuilder::new(),
            siret: StringBuilder::new(),
            action_id: StringBuilder::new(),
            financeurs: ListBuilder::new(StringBuilder::new()),
            funded_places: Int64Builder::new(),
            commune: StringBuilder::new(),
            postal: StringBuilder::new(),
            latitude: Float64Builder::new(),
            longitude: Float64Builder::new(),
            session_id: StringBuilder::new(),
            debut: StringBuilder::new(),
            fin: StringBuilder::new(),
            session_places: Int64Builder::new(),
            file: StringBuilder::new(),
            location: StringBuilder::new(),
            rows: 0,
        }
    }

    fn push(&mut self, formation: &Formation, action: &Action, session: &Session, file: &str) {
        self.formation_id.append_option(formation.id.as_deref());
        self.title.append_option(formation.title.as_deref());
        append_list(&mut self.formacodes, &formation.formacodes);
        append_list(&mut self.nsf, &formation.nsf);
        self.rncp.append_option(formation.rncp.as_deref());
        self.certifinfo.append_option(formation.certifinfo.as_deref());
        self.organisme.append_option(formation.organisme.as_deref());
        self.siret.append_option(formation.siret.as_deref());
        self.action_id.append_option(action.id.as_deref());
        append_list(&mut self.financeurs, &action.financeurs);
        self.funded_places.append_option(action.funded_places);
        self.commune.append_option(action.code_commune.as_deref());
        self.postal.append_option(action.code_postal.as_deref());
        self.latitude.append_option(action.latitude);
        self.longitude.append_option(action.longitude);
        self.session_id.append_option(session.id.as_deref());
        self.debut.append_option(session.debut.as_deref());
        self.fin.append_option(session.fin.as_deref());
        self.session_places.append_option(session.places);
        self.file.append_value(file);
        self.location.append_value(format!(
            "formation {} (byte {})",
            formation.id.as_deref().unwrap_or("?"),
            formation.position
        ));
        self.rows += 1;
    }

    fn finish(&mut self, path: &Path) -> Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.formation_id.finish()),
            Arc::new(self.title.finish()),
            Arc::new(self.formacodes.finish()),
            Arc::new(self.nsf.finish()),
            Arc::new(self.rncp.finish()),
            Arc::new(self.certifinfo.finish()),
            Arc::new(self.organisme.finish()),
            Arc::new(self.siret.finish()),
            Arc::new(self.action_id.finish()),
            Arc::new(self.financeurs.finish()),
            Arc::new(self.funded_places.finish()),
            Arc::new(self.commune.finish()),
            Arc::new(self.postal.finish()),
            Arc::new(self.latitude.finish()),
            Arc::new(self.longitude.finish()),
            Arc::new(self.session_id.finish()),
            Arc::new(self.debut.finish()),
            Arc::new(self.fin.finish()),
            Arc::new(self.session_places.finish()),
            Arc::new(self.file.finish()),
            Arc::new(self.location.finish()),
        ];
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|source| Error::Arrow { path: path.to_path_buf(), source })
    }
}

/// What reading one catalogue file found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LheoStats {
    /// Formations (or résumés) read, valid or not.
    pub formations: u64,
    /// Session rows produced.
    pub sessions: u64,
    /// Formations rejected as malformed.
    pub rejected: u64,
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Where the element being closed sits, as local names from the innermost outwards.
fn parent(stack: &[String], levels_up: usize) -> &str {
    stack.len().checked_sub(levels_up + 1).and_then(|i| stack.get(i)).map_or("", String::as_str)
}

/// Records the text of the element `name` (just closed; `stack` holds its ancestors).
fn assign(formation: &mut Formation, stack: &[String], name: &str, text: &str, extra_info: Option<&str>) {
    let in_element = |element: &str| stack.iter().any(|s| s == element);
    let Some(value) = non_empty(text) else { return };
    let unit_child = UNITS.contains(&parent(stack, 0));
    let in_action = in_element("action");
    let in_session = in_element("session");
    match name {
        "code-FORMACODE" if parent(stack, 0) == "domaine-formation" && UNITS.contains(&parent(stack, 1)) => {
            formation.formacodes.push(value)
        }
        "code-NSF" if parent(stack, 0) == "domaine-formation" && UNITS.contains(&parent(stack, 1)) => {
            formation.nsf.push(value)
        }
        "intitule-formation" if unit_child => {
            formation.title = Some(value.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        "code-RNCP" if in_element("certification") && formation.rncp.is_none() => formation.rncp = Some(value),
        "code-CERTIFINFO" if in_element("certification") && formation.certifinfo.is_none() => {
            formation.certifinfo = Some(value)
        }
        "nom-organisme" if unit_child || parent(stack, 0) == "organisme-formation-responsable" => {
            formation.organisme = Some(value)
        }
        "SIRET" if unit_child || parent(stack, 0) == "SIRET-organisme-formation" => formation.siret = Some(value),
        "code-financeur" if in_action && parent(stack, 0) == "organisme-financeur" => {
            if let Some(action) = formation.actions.last_mut() {
                action.financeurs.push(value);
            }
        }
        "nb-places-financees" if in_action && parent(stack, 0) == "organisme-financeur" => {
            if let (Some(action), Ok(places)) = (formation.actions.last_mut(), value.parse::<i64>()) {
                action.funded_places = Some(action.funded_places.unwrap_or(0) + places);
            }
        }
        "debut" | "fin" if in_session && parent(stack, 0) == "periode" && parent(stack, 1) == "session" => {
            if let Some(session) = formation.actions.last_mut().and_then(|a| a.sessions.last_mut()) {
                if name == "debut" { session.debut = Some(value) } else { session.fin = Some(value) }
            }
        }
        "nb-places" if in_session && parent(stack, 0) == "recrutement" => {
            if let (Some(session), Ok(places)) =
                (formation.actions.last_mut().and_then(|a| a.sessions.last_mut()), value.parse::<i64>())
            {
                session.places = Some(session.places.unwrap_or(0) + places);
            }
        }
        // The training place: `action/lieu-de-formation` in full LHEO, direct children of a
        // résumé in the Intercarif index (coordinates in `extras/extra[@info]`).
        "code-INSEE-commune" | "codepostal" | "latitude" | "longitude" | "extra"
            if (in_action && in_element("lieu-de-formation") && !in_session)
                || (unit_child && !in_action)
                || name == "extra" =>
        {
            let Some(action) = formation.actions.last_mut() else { return };
            let key = if name == "extra" { extra_info.unwrap_or("") } else { name };
            match key {
                "code-INSEE-commune" if action.code_commune.is_none() => action.code_commune = Some(value),
                "codepostal" if action.code_postal.is_none() => action.code_postal = Some(value),
                "latitude" if action.latitude.is_none() => {
                    action.latitude = value.parse().ok().filter(|x: &f64| x.is_finite())
                }
                "longitude" if action.longitude.is_none() => {
                    action.longitude = value.parse().ok().filter(|x: &f64| x.is_finite())
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn resolve_reference(name: &str) -> Option<String> {
    match name {
        "amp" => Some("&".to_owned()),
        "lt" => Some("<".to_owned()),
        "gt" => Some(">".to_owned()),
        "quot" => Some("\"".to_owned()),
        "apos" => Some("'".to_owned()),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code).map(String::from)
        }
    }
}

/// Reads one catalogue file, sending batches of session rows to `sink`.
pub fn read_lheo(
    path: &Path,
    display_path: &str,
    rejects: &mut RejectsBuilder,
    sink: &mut dyn FnMut(RecordBatch) -> Result<()>,
) -> Result<LheoStats> {
    let xml_error = |message: String| Error::Xml { path: path.to_path_buf(), message };
    let mut input: Box<dyn BufRead + Send> = open_decompressed(path)?;
    let start = input.fill_buf().map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let (encoding, bom) = declared_encoding(start)
        .map_err(|label| xml_error(format!("the declared encoding {label} is not supported")))?;
    input.consume(bom);
    let declared = encoding.name();
    let (decoding, positions) = Decoding::new(input, encoding, bom as u64);
    let mut reader = Reader::from_reader(decoding);
    reader.config_mut().check_end_names = false;
    reader.config_mut().expand_empty_elements = true;
    // Positions the parser reports are in the decoded text; messages give file offsets.
    let source = |decoded: u64| positions.borrow().source_offset(decoded);
    let mut rows = SessionRows::new();
    let mut stats = LheoStats::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut extra_info: Option<String> = None;
    let mut current: Option<Formation> = None;
    let mut buffer = Vec::new();
    let mut last_error_position = None;
    // A formation ends at `end` (decoded): the undecodable bytes before it are its own, or
    // the file's when they lie outside every formation.
    let take_bad_bytes = |end: u64, formation: Option<&mut Formation>, rejects: &mut RejectsBuilder| {
        let bad = positions.borrow_mut().take_bad_before(end);
        match formation {
            Some(formation) => {
                if let Some(first) = bad.first() {
                    formation.problem.get_or_insert_with(|| {
                        format!("byte {}: not valid {declared}, the encoding the file declares (or UTF-8 when it declares none)", first.source)
                    });
                }
            }
            None => {
                for bad in bad {
                    let location = format!("byte {}", bad.source);
                    rejects.push(
                        INPUT,
                        display_path,
                        &location,
                        "bad_xml",
                        &format!("byte {} outside any formation: not valid {declared}", bad.source),
                        None,
                    );
                }
            }
        }
    };
    let finish = |mut formation: Formation,
                  end: u64,
                  rows: &mut SessionRows,
                  stats: &mut LheoStats,
                  rejects: &mut RejectsBuilder,
                  sink: &mut dyn FnMut(RecordBatch) -> Result<()>|
     -> Result<()> {
        take_bad_bytes(end, Some(&mut formation), rejects);
        stats.formations += 1;
        let location = format!("formation {} (byte {})", formation.id.as_deref().unwrap_or("?"), formation.position);
        if let Some(problem) = &formation.problem {
            stats.rejected += 1;
            rejects.push(INPUT, display_path, &location, "bad_xml", problem, formation.id.as_deref());
            return Ok(());
        }
        for action in &formation.actions {
            for session in &action.sessions {
                rows.push(&formation, action, session, display_path);
                stats.sessions += 1;
                if rows.rows >= crate::BATCH_ROWS {
                    sink(rows.finish(path)?)?;
                }
            }
        }
        Ok(())
    };
    let total =
        if path.extension().is_some_and(|e| e == "gz") { 0 } else { std::fs::metadata(path).map_or(0, |m| m.len()) };
    let mut reported = 0u64;
    loop {
        buffer.clear();
        let decoded_position = reader.buffer_position();
        let position = source(decoded_position);
        if position >= reported + (8 << 20) {
            reported = position;
            tracing::info!(target: crate::PROGRESS, task = display_path, unit = "octets", done = position, total);
        }
        let event = match reader.read_event_into(&mut buffer) {
            Ok(event) => event,
            Err(error) => {
                let at = source(reader.error_position());
                if last_error_position == Some(reader.buffer_position()) {
                    return Err(xml_error(format!("byte {at}: {error}; cannot resynchronise")));
                }
                last_error_position = Some(reader.buffer_position());
                match current.as_mut() {
                    Some(formation) => {
                        formation.problem.get_or_insert_with(|| format!("byte {at}: {error}"));
                        continue;
                    }
                    None => return Err(xml_error(format!("byte {at}: {error}"))),
                }
            }
        };
        match event {
            Event::DocType(_) => {
                return Err(xml_error(format!(
                    "byte {position}: a DOCTYPE (DTD) is refused: LHEO files need none, and entity declarations are not expanded"
                )));
            }
            // The declaration's encoding was read before parsing (`declared_encoding`).
            Event::Decl(_) => {}
            Event::Start(start) => {
                let name = start.local_name().as_ref().to_owned();
                text.clear();
                if UNITS.contains(&name.as_str()) {
                    if let Some(mut previous) = current.take() {
                        previous
                            .problem
                            .get_or_insert_with(|| format!("not closed before the next <{name}> at byte {position}"));
                        finish(previous, decoded_position, &mut rows, &mut stats, rejects, sink)?;
                        stack.truncate(stack.iter().position(|s| UNITS.contains(&s.as_str())).unwrap_or(stack.len()));
                    }
                    let numero = start.try_get_attribute("numero").ok().flatten().map(|a| a.value.into_owned());
                    take_bad_bytes(decoded_position, None, rejects);
                    positions.borrow_mut().forget_before(decoded_position);
                    let mut formation = Formation { id: numero.clone(), position, ..Formation::default() };
                    if name == "resume-offre" {
                        // The index format: one résumé = one session of one action.
                        formation.actions.push(Action {
                            id: numero.clone(),
                            sessions: Vec::new(),
                            ..Action::default()
                        });
                    }
                    current = Some(formation);
                } else if let Some(formation) = current.as_mut() {
                    let numero = || start.try_get_attribute("numero").ok().flatten().map(|a| a.value.into_owned());
                    match name.as_str() {
                        "action" => formation.actions.push(Action { id: numero(), ..Action::default() }),
                        "session" => {
                            let id = numero().or_else(|| formation.id.clone());
                            if let Some(action) = formation.actions.last_mut() {
                                action.sessions.push(Session { id, ..Session::default() });
                            }
                        }
                        "extra" => {
                            extra_info = start.try_get_attribute("info").ok().flatten().map(|a| a.value.into_owned())
                        }
                        _ => {}
                    }
                }
                stack.push(name);
            }
            Event::Text(content) => text.push_str(&content.xml10_content()),
            Event::CData(content) => text.push_str(&content.into_inner()),
            Event::GeneralRef(reference) => {
                let name = reference.as_ref().to_owned();
                match resolve_reference(&name) {
                    Some(resolved) => text.push_str(&resolved),
                    None => {
                        if let Some(formation) = current.as_mut() {
                            formation
                                .problem
                                .get_or_insert_with(|| format!("byte {position}: undeclared entity &{name};"));
                        }
                    }
                }
            }
            Event::End(end) => {
                let name = end.local_name().as_ref().to_owned();
                if stack.last() == Some(&name) {
                    stack.pop();
                    if UNITS.contains(&name.as_str()) {
                        if let Some(formation) = current.take() {
                            finish(formation, reader.buffer_position(), &mut rows, &mut stats, rejects, sink)?;
                        }
                    } else if let Some(formation) = current.as_mut() {
                        assign(formation, &stack, &name, &text, extra_info.as_deref());
                    }
                } else if let Some(depth) = stack.iter().rposition(|s| *s == name) {
                    // Elements left open inside: the unit holding them is malformed.
                    let open: Vec<String> = stack.drain(depth..).collect();
                    if let Some(formation) = current.as_mut() {
                        formation.problem.get_or_insert_with(|| {
                            format!(
                                "byte {position}: <{}> is not closed before </{name}>",
                                open.get(1).map_or("", String::as_str)
                            )
                        });
                    }
                    if let Some(formation) = current.take_if(|_| UNITS.contains(&name.as_str())) {
                        finish(formation, reader.buffer_position(), &mut rows, &mut stats, rejects, sink)?;
                    }
                } else if let Some(formation) = current.as_mut() {
                    formation.problem.get_or_insert_with(|| format!("byte {position}: </{name}> closes nothing"));
                }
                text.clear();
            }
            Event::Eof => {
                if let Some(mut formation) = current.take() {
                    formation
                        .problem
                        .get_or_insert_with(|| "the file ends inside this formation (truncated file)".to_owned());
                    finish(formation, u64::MAX, &mut rows, &mut stats, rejects, sink)?;
                }
                take_bad_bytes(u64::MAX, None, rejects);
                break;
            }
            _ => {}
        }
    }
    if rows.rows > 0 {
        sink(rows.finish(path)?)?;
    }
    Ok(stats)
}
