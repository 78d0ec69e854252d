//! Charts and maps as inline SVG, drawn from the data: the gap bars of the métiers and the
//! bassins' outlines (the bassin in its region; the regional choropleth). Every figure
//! has a title and a description, and its values are also written as text.

use maud::{Markup, html};

/// One bar: its label and value.
pub struct Bar {
    /// Label (escaped when drawn).
    pub label: String,
    /// Value (may be negative).
    pub value: f64,
    /// The value as displayed.
    pub shown: String,
}

/// Horizontal bars around a zero axis (positive to the right).
pub fn bars(title: &str, description: &str, bars: &[Bar]) -> Markup {
    let (width, label_width, row) = (640.0, 250.0, 26.0);
    let height = row * bars.len() as f64 + 30.0;
    let largest = bars.iter().map(|b| b.value.abs()).fold(1e-9, f64::max);
    let has_negative = bars.iter().any(|b| b.value < 0.0);
    let plot = width - label_width - 70.0;
    let zero = if has_negative { label_width + plot / 2.0 } else { label_width };
    let scale = if has_negative { plot / 2.0 / largest } else { plot / largest };
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {width} {height}")) role="img" aria-labelledby="gap-title gap-desc" class="chart" {
            title id="gap-title" { (title) }
            desc id="gap-desc" { (description) }
            line x1=(zero) y1="0" x2=(zero) y2=(height - 20.0) stroke="#555" stroke-width="1" {}
            @for (index, bar) in bars.iter().enumerate() {
                @let y = 5.0 + row * index as f64;
                @let length = bar.value.abs() * scale;
                @let x = if bar.value < 0.0 { zero - length } else { zero };
                text x=(label_width - 8.0) y=(y + 15.0) text-anchor="end" font-size="12" { (truncate(&bar.label, 38)) }
                rect x=(x) y=(y) width=(length.max(1.0)) height=(row - 8.0) fill=(if bar.value > 0.0 { "#b2182b" } else { "#2166ac" }) {
                    title { (bar.label) " : " (bar.shown) }
                }
                text x=(if bar.value < 0.0 { x - 4.0 } else { x + length + 4.0 }) y=(y + 15.0) text-anchor=(if bar.value < 0.0 { "end" } else { "start" }) font-size="12" { (bar.shown) }
            }
        }
    }
}

fn truncate(text: &str, characters: usize) -> String {
    if text.chars().count() <= characters {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(characters - 1).collect::<String>())
    }
}

/// A bassin's outline: polygons of rings of (longitude, latitude).
pub type Outline = Vec<Vec<Vec<(f64, f64)>>>;

/// Reads a GeoJSON MultiPolygon (or Polygon) geometry text.
pub fn outline(geojson: &str) -> Option<Outline> {
    let value: serde_json::Value = serde_json::from_str(geojson).ok()?;
    let ring = |ring: &serde_json::Value| -> Option<Vec<(f64, f64)>> {
        ring.as_array()?.iter().map(|point| Some((point.get(0)?.as_f64()?, point.get(1)?.as_f64()?))).collect()
    };
    let polygon = |polygon: &serde_json::Value| -> Option<Vec<Vec<(f64, f64)>>> {
        polygon.as_array()?.iter().map(ring).collect()
    };
    match value.get("type")?.as_str()? {
        "MultiPolygon" => value.get("coordinates")?.as_array()?.iter().map(polygon).collect(),
        "Polygon" => Some(vec![polygon(value.get("coordinates")?)?]),
        _ => None,
    }
}

/// One area of a map.
pub struct Area<'a> {
    /// Bassin code.
    pub code: &'a str,
    /// Its name and figure, as the hover title.
    pub title: String,
    /// Its outline.
    pub outline: &'a Outline,
    /// Fill colour.
    pub fill: &'a str,
    /// Drawn with a thick outline (the bassin of the sheet).
    pub highlighted: bool,
    /// Link (index page).
    pub link: Option<String>,
}

/// The areas in an equirectangular projection (longitudes scaled by the cosine of the
/// mean latitude), fitted to the view.
pub fn map(title: &str, description: &str, areas: &[Area<'_>]) -> Markup {
    let points = || areas.iter().flat_map(|a| a.outline.iter().flatten().flatten());
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in points() {
        (min_x, min_y, max_x, max_y) = (min_x.min(*x), min_y.min(*y), max_x.max(*x), max_y.max(*y));
    }
    if min_x > max_x {
        return html! { p { "Carte indisponible : la grille n'a pas de contours." } };
    }
    let cosine = ((min_y + max_y) / 2.0).to_radians().cos().max(0.1);
    let (span_x, span_y) = (((max_x - min_x) * cosine).max(1e-9), (max_y - min_y).max(1e-9));
    let size = 480.0;
    let scale = size / span_x.max(span_y);
    let (width, height) = (span_x * scale, span_y * scale);
    let path = |outline: &Outline| -> String {
        let mut d = String::new();
        for polygon in outline {
            for ring in polygon {
                for (index, (x, y)) in ring.iter().enumerate() {
                    let px = (x - min_x) * cosine * scale;
                    let py = (max_y - y) * scale;
                    d.push_str(&format!("{}{px:.1},{py:.1}", if index == 0 { "M" } else { "L" }));
                }
                d.push('Z');
            }
        }
        d
    };
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("-4 -4 {:.0} {:.0}", width + 8.0, height + 8.0)) role="img" aria-labelledby="map-title map-desc" class="map" {
            title id="map-title" { (title) }
            desc id="map-desc" { (description) }
            @for area in areas.iter().filter(|a| !a.highlighted) {
                @if let Some(link) = &area.link {
                    a href=(link) { path d=(path(area.outline)) fill=(area.fill) stroke="#6b7280" stroke-width="0.6" { title { (area.title) } } }
                } @else {
                    path d=(path(area.outline)) fill=(area.fill) stroke="#6b7280" stroke-width="0.6" { title { (area.title) } }
                }
            }
            @for area in areas.iter().filter(|a| a.highlighted) {
                path d=(path(area.outline)) fill=(area.fill) stroke="#000" stroke-width="3" data-bassin=(area.code) { title { (area.title) } }
            }
        }
    }
}
