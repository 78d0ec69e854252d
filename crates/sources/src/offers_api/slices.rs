//! Walking a query's results: page through a slice that fits under the range limit; split
//! one that does not (by département, then by halves of the creation window) and check
//! that the parts' totals add up to the whole; check that each slice gave as many
//! distinct offers as announced.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::{ApiSettings, FetchError, FetchReport, Page};
use crate::france_travail::{Answer, Request, Transport};

/// Offers per page.
const PAGE: u64 = 150;

/// A part of the query: some départements, a creation window (inclusive bounds, seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// Départements asked.
    pub departements: Vec<String>,
    /// First creation instant.
    pub from: DateTime<Utc>,
    /// Last creation instant.
    pub to: DateTime<Utc>,
}

impl std::fmt::Display for Slice {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "départements {} created {} – {}",
            self.departements.join(","),
            api_instant(self.from),
            api_instant(self.to)
        )
    }
}

fn api_instant(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Slice {
    /// The parts of a slice too large for one query: its départements one by one, else
    /// the two halves of its window (none when it is one second long).
    pub fn split(&self) -> Option<Vec<Slice>> {
        if self.departements.len() > 1 {
            return Some(
                self.departements.iter().map(|d| Slice { departements: vec![d.clone()], ..self.clone() }).collect(),
            );
        }
        let seconds = (self.to - self.from).num_seconds();
        if seconds < 1 {
            return None;
        }
        let middle = self.from + Duration::seconds(seconds / 2);
        Some(vec![Slice { to: middle, ..self.clone() }, Slice { from: middle + Duration::seconds(1), ..self.clone() }])
    }
}

/// The total announced by an answer: `Content-Range: offres p-d/total`, 0 for 204, the
/// page's length for a 200 without the header.
fn total_of(answer: &Answer, query: &str) -> Result<u64, FetchError> {
    if answer.status == 204 {
        return Ok(0);
    }
    match answer.content_range.as_deref() {
        Some(range) => range
            .trim()
            .strip_prefix("offres ")
            .and_then(|rest| rest.split_once('/'))
            .and_then(|(_, total)| total.trim().parse().ok())
            .ok_or_else(|| FetchError::Incomplete(format!("`{query}`: unreadable Content-Range `{range}`"))),
        None => Ok(answer.json.get("resultats").and_then(Value::as_array).map_or(0, |r| r.len() as u64)),
    }
}

fn parse_instant(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc))
}

/// A fetch in progress.
pub struct Walk<'t, 'a> {
    /// The connection.
    pub transport: &'t mut Transport<'a>,
    /// Settings.
    pub settings: &'a ApiSettings,
    /// `publieeDepuis` of an incremental fetch.
    pub published_since: Option<u32>,
    /// Offers updated after this are the fetch's news.
    pub updated_after: Option<DateTime<Utc>>,
    /// Where pages go.
    pub sink: &'t mut dyn FnMut(&Page) -> Result<(), String>,
    /// Counters.
    pub report: &'t mut FetchReport,
    /// Offers seen in the whole fetch.
    pub seen: HashSet<String>,
}

impl Walk<'_, '_> {
    fn query(&self, slice: &Slice, start: u64) -> Vec<(String, String)> {
        let end = (start + PAGE - 1).min(self.settings.max_index);
        let mut query = vec![
            ("departement".to_owned(), slice.departements.join(",")),
            ("minCreationDate".to_owned(), api_instant(slice.from)),
            ("maxCreationDate".to_owned(), api_instant(slice.to)),
        ];
        if let Some(days) = self.published_since {
            query.push(("publieeDepuis".to_owned(), days.to_string()));
        }
        query.push(("range".to_owned(), format!("{start}-{end}")));
        query
    }

    /// Lands a page and counts its offers; returns their ids.
    fn take(&mut self, query: &[(String, String)], answer: Answer) -> Result<Vec<String>, FetchError> {
        let shown = query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let page = Page { query: shown, content_range: answer.content_range, body: answer.body };
        (self.sink)(&page).map_err(FetchError::Sink)?;
        self.report.pages += 1;
        let mut ids = Vec::new();
        for offer in answer.json.get("resultats").and_then(Value::as_array).into_iter().flatten() {
            let Some(id) = offer.get("id").and_then(Value::as_str) else { continue };
            ids.push(id.to_owned());
            if self.seen.insert(id.to_owned()) {
                self.report.offers += 1;
                let updated = parse_instant(offer.get("dateActualisation").and_then(Value::as_str))
                    .or(parse_instant(offer.get("dateCreation").and_then(Value::as_str)));
                if self.updated_after.is_none_or(|after| updated.is_some_and(|u| u > after)) {
                    self.report.offers_kept += 1;
                }
                if updated > self.report.max_updated {
                    self.report.max_updated = updated;
                }
            }
        }
        Ok(ids)
    }

    /// Fetches every offer of `slice`; returns its announced (and verified) total.
    pub fn fetch(&mut self, slice: &Slice) -> Result<u64, FetchError> {
        let query = self.query(slice, 0);
        let first = self.transport.call(Request::Get { url: &self.settings.search_url, query: &query })?;
        let total = total_of(&first, &format!("{slice}"))?;
        self.report.slices += 1;
        if total == 0 {
            return Ok(0);
        }
        if total > self.settings.max_index + 1 {
            let parts = slice.split().ok_or_else(|| {
                FetchError::Incomplete(format!("{slice}: {total} offers in one second, more than one query can reach"))
            })?;
            tracing::debug!(slice = %slice, total, parts = parts.len(), "slice over the range limit: split");
            let mut sum = 0;
            for part in &parts {
                sum += self.fetch(part)?;
            }
            if sum != total {
                return Err(FetchError::Incomplete(format!(
                    "{slice}: the API announced {total} offers but its parts hold {sum}"
                )));
            }
            return Ok(total);
        }
        let mut received: HashSet<String> = self.take(&query, first)?.into_iter().collect();
        let mut start = PAGE;
        while start < total {
            let query = self.query(slice, start);
            let answer = self.transport.call(Request::Get { url: &self.settings.search_url, query: &query })?;
            received.extend(self.take(&query, answer)?);
            start += PAGE;
        }
        if received.len() as u64 != total {
            return Err(FetchError::Incomplete(format!(
                "{slice}: the API announced {total} offers, {} distinct ones arrived",
                received.len()
            )));
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn slices_split_by_departement_then_by_halves_without_overlap() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
        let to = from + Duration::seconds(9);
        let region = Slice { departements: vec!["59".into(), "62".into()], from, to };
        let parts = region.split().unwrap_or_default();
        assert_eq!(parts.iter().map(|p| p.departements.join(",")).collect::<Vec<_>>(), ["59", "62"]);
        let halves = parts[0].split().unwrap_or_default();
        assert_eq!(
            (halves[0].from, halves[0].to, halves[1].from, halves[1].to),
            (from, from + Duration::seconds(4), from + Duration::seconds(5), to)
        );
        let second = Slice { departements: vec!["59".into()], from, to: from };
        assert!(second.split().is_none());
    }
}
