//! One connection: read an HTTP/1.1 request, route it, answer, close.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};

use crate::labour_market;
use crate::{CLIENT_ID, CLIENT_SECRET, Fault, State, lock};

/// The scope parts the token endpoint knows (any other is `invalid_scope`).
const KNOWN_SCOPES: [&str; 4] =
    ["api_offresdemploiv2", "o2dsoffre", "api_stats-offres-demandes-emploiv1", "offresetdemandesemploi"];
/// What a token needs for the Marché du travail resources.
const LABOUR_MARKET_SCOPES: [&str; 2] = ["api_stats-offres-demandes-emploiv1", "offresetdemandesemploi"];

/// Page size limit and highest indexes of the real API.
const PAGE_LIMIT: u64 = 150;
const MAX_START: u64 = 3000;
const MAX_END: u64 = 3149;

struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: String,
    head: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
    fn parameter(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn json_response(status: u16, body: &Value) -> Response {
    Response { status, headers: Vec::new(), body: body.to_string().into_bytes() }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[index + 1]), hex(bytes[index + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        index += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut lines = head.lines();
    let mut request_line = lines.next()?.split_whitespace();
    let (method, target) = (request_line.next()?.to_owned(), request_line.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Request {
        method,
        path: path.to_owned(),
        query: pairs(query),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        head,
    })
}

fn write_response(mut stream: &TcpStream, response: &Response, truncate: bool) {
    let reason = match response.status {
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nConnection: close\r\nContent-Length: {}\r\n",
        response.status,
        response.body.len()
    );
    if !response.body.is_empty() {
        let kind =
            if response.body.starts_with(b"<?xml") { "application/xml" } else { "application/json;charset=UTF-8" };
        head.push_str(&format!("Content-Type: {kind}\r\n"));
    }
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let body = if truncate { &response.body[..response.body.len() / 2] } else { &response.body[..] };
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body)).and_then(|()| stream.flush());
}

/// What a fault makes of a request: no answer at all (`None`), or the answer to send and
/// whether to cut it; `answer` gives the normal one.
fn with_fault(
    fault: Option<Fault>,
    state: &Mutex<State>,
    answer: impl FnOnce() -> Response,
) -> Option<(Response, bool)> {
    match fault {
        Some(Fault::Drop) => return None,
        Some(Fault::Slow(delay)) => std::thread::sleep(delay),
        Some(Fault::RevokeToken) => lock(state).tokens.clear(),
        _ => {}
    }
    let response = match fault {
        Some(Fault::TooManyRequests { retry_after_seconds }) => Response {
            status: 429,
            headers: vec![("Retry-After".to_owned(), retry_after_seconds.to_string())],
            body: json!({"message": "Limite de requêtes atteinte"}).to_string().into_bytes(),
        },
        Some(Fault::ServerError(status)) => json_response(status, &json!({"message": "Erreur technique"})),
        _ => answer(),
    };
    Some((response, fault == Some(Fault::Truncated)))
}

/// Serves one connection.
pub fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Some(request) = read_request(&stream) else { return };
    let answered = if request.method == "POST" && request.path.ends_with("/access_token") {
        Some((token(&request, state), false))
    } else if request.method == "GET" && request.path.ends_with("/offres/search") {
        let fault = {
            let mut state = lock(state);
            state.search_requests += 1;
            state.search_instants.push(Instant::now());
            state.requests.push(request.head.clone());
            let number = state.search_requests;
            state.faults.get(&number).copied()
        };
        with_fault(fault, state, || search(&request, state))
    } else if let (true, Some(endpoint)) = (request.method == "POST", labour_market::endpoint(&request.path)) {
        let fault = {
            let mut state = lock(state);
            state.labour_market_requests += 1;
            state.requests.push(format!("{}{}", request.head, request.body));
            let number = state.labour_market_requests;
            state.labour_market_faults.get(&number).copied()
        };
        with_fault(fault, state, || indicator(&request, state, endpoint))
    } else {
        Some((json_response(404, &json!({"message": "Not found"})), false))
    };
    if let Some((response, truncate)) = answered {
        write_response(&stream, &response, truncate);
    }
}

fn token(request: &Request, state: &Mutex<State>) -> Response {
    let form = pairs(&request.body);
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let mut state = lock(state);
    state.token_requests += 1;
    state.requests.push(format!("{}{}", request.head, request.body));
    if state.echo_token_form {
        return json_response(
            400,
            &json!({"error": "invalid_request", "error_description": format!("cannot parse {}", request.body)}),
        );
    }
    if request.parameter("realm") != Some("/partenaire") {
        return json_response(400, &json!({"error": "invalid_request", "error_description": "realm is required"}));
    }
    if field("grant_type") != Some("client_credentials")
        || field("client_id") != Some(CLIENT_ID)
        || field("client_secret") != Some(CLIENT_SECRET)
    {
        return json_response(
            401,
            &json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
        );
    }
    let scope = field("scope").unwrap_or("").to_owned();
    if scope.split_whitespace().any(|part| !KNOWN_SCOPES.contains(&part)) {
        return json_response(
            400,
            &json!({"error_description": "Unknown/invalid scope(s).", "error": "invalid_scope"}),
        );
    }
    let number = state.token_requests;
    let token = format!("token-{number}");
    let lifetime = state.token_lifetime_seconds;
    state.tokens.insert(token.clone(), (Instant::now() + Duration::from_secs(lifetime), scope));
    json_response(
        200,
        &json!({"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": field("scope").unwrap_or("")}),
    )
}

/// A Marché du travail indicator request.
fn indicator(
    request: &Request,
    state: &Mutex<State>,
    (code, period_type, nomenclature_type): (&'static str, &'static str, &'static str),
) -> Response {
    let mut state = lock(state);
    let granted = request
        .header("Authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| state.tokens.get(token))
        .filter(|(expiry, _)| *expiry > Instant::now())
        .map(|(_, scope)| scope.clone());
    let Some(scope) = granted else {
        return json_response(401, &json!({"message": "Jeton invalide ou expiré"}));
    };
    if !LABOUR_MARKET_SCOPES.iter().all(|part| scope.split_whitespace().any(|granted| granted == *part)) {
        // What clients report: a token with part of the scope, every resource 403, no body.
        return Response { status: 403, headers: Vec::new(), body: Vec::new() };
    }
    let Ok(criterion) = serde_json::from_str::<Value>(&request.body) else {
        return bad_request("Le corps de la requête n'est pas un JSON valide.");
    };
    let (status, body) = labour_market::answer(
        code,
        period_type,
        nomenclature_type,
        &criterion,
        &state.labour_market,
        &state.labour_market_options,
    );
    state.labour_market_criteria.push(criterion);
    if request.header("Accept").is_none_or(|accept| !accept.contains("application/json")) {
        // Without `Accept: application/json` the real API answers in XML.
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><reponse><codeIndicateur>{code}</codeIndicateur></reponse>"
        );
        return Response { status, headers: Vec::new(), body: xml.into_bytes() };
    }
    json_response(status, &body)
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ").ok().map(|t| t.and_utc())
}

fn bad_request(message: &str) -> Response {
    json_response(400, &json!({"codeHttp": 400, "message": message}))
}

fn search(request: &Request, state: &Mutex<State>) -> Response {
    let mut state = lock(state);
    let authorised = request
        .header("Authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| state.tokens.get(token))
        .is_some_and(|(expiry, _)| *expiry > Instant::now());
    if !authorised {
        return json_response(401, &json!({"message": "Jeton invalide ou expiré"}));
    }
    let (start, end) = match request
        .parameter("range")
        .unwrap_or("0-149")
        .split_once('-')
        .map(|(p, d)| (p.parse::<u64>(), d.parse::<u64>()))
    {
        Some((Ok(p), Ok(d))) if p <= d && d - p < PAGE_LIMIT && p <= MAX_START && d <= MAX_END => (p, d),
        _ => return bad_request("Valeur du paramètre « range » incorrecte."),
    };
    let minimum = request.parameter("minCreationDate").map(parse_instant);
    let maximum = request.parameter("maxCreationDate").map(parse_instant);
    let (minimum, maximum) = match (minimum, maximum) {
        (None, None) => (None, None),
        (Some(Some(a)), Some(Some(b))) => (Some(a), Some(b)),
        _ => {
            return bad_request(
                "minCreationDate et maxCreationDate vont ensemble, au format yyyy-MM-dd'T'hh:mm:ss'Z'.",
            );
        }
    };
    let published_since = match request.parameter("publieeDepuis").map(str::parse::<i64>) {
        None => None,
        Some(Ok(days)) if [1, 3, 7, 14, 31].contains(&days) => Some(days),
        Some(_) => return bad_request("Valeur du paramètre « publieeDepuis » incorrecte."),
    };
    let departements: Option<Vec<&str>> = request.parameter("departement").map(|list| list.split(',').collect());
    let now = state.now.unwrap_or_else(Utc::now);
    let date = |offer: &Value, field: &str| {
        offer
            .get(field)
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let mut matching: Vec<&Value> = state
        .offers
        .iter()
        .filter(|offer| {
            let created = date(offer, "dateCreation");
            let updated = date(offer, "dateActualisation").or(created);
            let departement =
                offer.pointer("/lieuTravail/commune").and_then(Value::as_str).map(|c| &c[..c.len().min(2)]);
            minimum.is_none_or(|m| created.is_some_and(|c| c >= m))
                && maximum.is_none_or(|m| created.is_some_and(|c| c <= m))
                && published_since.is_none_or(|days| updated.is_some_and(|u| u >= now - chrono::Duration::days(days)))
                && departements.as_ref().is_none_or(|list| departement.is_some_and(|d| list.contains(&d)))
        })
        .collect();
    matching.sort_by(|a, b| {
        let key = |o: &Value| {
            (
                o.get("dateCreation").and_then(Value::as_str).unwrap_or("").to_owned(),
                o.get("id").and_then(Value::as_str).unwrap_or("").to_owned(),
            )
        };
        key(b).0.cmp(&key(a).0).then(key(a).1.cmp(&key(b).1))
    });
    let total = matching.len() as u64;
    let shown = request.query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    if total == 0 {
        state.answered_queries.push(shown);
        return Response { status: 204, headers: Vec::new(), body: Vec::new() };
    }
    if start >= total {
        return bad_request("Valeur du paramètre « range » incorrecte : au-delà des résultats.");
    }
    let last = end.min(total - 1);
    let page: Vec<Value> = matching[start as usize..=last as usize].iter().map(|o| (*o).clone()).collect();
    state.answered_queries.push(shown);
    Response {
        status: if last + 1 < total { 206 } else { 200 },
        headers: vec![
            ("Content-Range".to_owned(), format!("offres {start}-{last}/{total}")),
            ("Accept-Range".to_owned(), "offres 150".to_owned()),
        ],
        body: json!({"resultats": page, "filtresPossibles": []}).to_string().into_bytes(),
    }
}
