//! The bassin grid's polygons (`bassins.geojson`): a FeatureCollection of Polygon or
//! MultiPolygon features in WGS84, holes and several parts honoured. A structurally broken
//! feature (no code, a ring of fewer than four positions, a non-numeric coordinate) is an
//! error naming the feature; a ring that is not closed is closed; a self-intersecting ring
//! is reported as a warning and kept.

use std::path::Path;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::files::open_decompressed;

/// One bassin of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct BassinShape {
    /// Bassin code.
    pub code: String,
    /// Label.
    pub label: Option<String>,
    /// Département code.
    pub departement: Option<String>,
    /// Its area.
    pub geometry: MultiPolygon<f64>,
}

impl BassinShape {
    /// The outline as GeoJSON geometry text (a MultiPolygon, coordinates to 1e-6 degree).
    pub fn geojson(&self) -> String {
        let ring = |ring: &geo::LineString<f64>| {
            format!("[{}]", ring.coords().map(|c| format!("[{:.6},{:.6}]", c.x, c.y)).collect::<Vec<_>>().join(","))
        };
        let polygons: Vec<String> = self
            .geometry
            .0
            .iter()
            .map(|polygon| {
                format!(
                    "[{}]",
                    std::iter::once(polygon.exterior())
                        .chain(polygon.interiors())
                        .map(ring)
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        format!("{{\"type\":\"MultiPolygon\",\"coordinates\":[{}]}}", polygons.join(","))
    }
}

/// Property names of a bassins GeoJSON.
#[derive(Debug, Clone)]
pub struct BassinProperties<'a> {
    /// Property holding the bassin code.
    pub code: &'a str,
    /// Property holding the label.
    pub label: &'a str,
    /// Property holding the département code.
    pub departement: &'a str,
}

impl Default for BassinProperties<'_> {
    fn default() -> Self {
        Self { code: "code_bassin", label: "libelle_bassin", departement: "code_departement" }
    }
}

fn property(feature: &Value, name: &str) -> Option<String> {
    match feature.get("properties")?.get(name)? {
        Value::String(text) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn ring(value: &Value, context: &dyn Fn(String) -> Error) -> Result<LineString<f64>> {
    let positions = value.as_array().ok_or_else(|| context("a ring is not an array of positions".to_owned()))?;
    let mut coordinates = Vec::with_capacity(positions.len() + 1);
    for (index, position) in positions.iter().enumerate() {
        let pair = position.as_array().filter(|p| p.len() >= 2);
        let x = pair.and_then(|p| p[0].as_f64()).filter(|x| x.is_finite());
        let y = pair.and_then(|p| p[1].as_f64()).filter(|y| y.is_finite());
        match (x, y) {
            (Some(x), Some(y)) => coordinates.push(Coord { x, y }),
            _ => return Err(context(format!("position {index} of a ring is not a pair of numbers: {position}"))),
        }
    }
    if let Some(&first) = coordinates.first().filter(|first| Some(*first) != coordinates.last()) {
        coordinates.push(first);
    }
    if coordinates.len() < 4 {
        return Err(context(format!("a ring has {} positions; a closed ring needs at least 4", positions.len())));
    }
    Ok(LineString::new(coordinates))
}

fn polygon(value: &Value, context: &dyn Fn(String) -> Error) -> Result<Polygon<f64>> {
    let rings =
        value.as_array().filter(|r| !r.is_empty()).ok_or_else(|| context("a polygon has no ring".to_owned()))?;
    let exterior = ring(&rings[0], context)?;
    let holes = rings[1..].iter().map(|r| ring(r, context)).collect::<Result<Vec<_>>>()?;
    Ok(Polygon::new(exterior, holes))
}

/// Whether two segments properly cross (touching at shared endpoints does not count).
fn segments_cross(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    let orientation =
        |p: Coord<f64>, q: Coord<f64>, r: Coord<f64>| ((q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x)).signum();
    let (o1, o2, o3, o4) = (orientation(a, b, c), orientation(a, b, d), orientation(c, d, a), orientation(c, d, b));
    o1 * o2 < 0.0 && o3 * o4 < 0.0
}

/// Whether a ring crosses itself (checked on rings up to 20,000 positions).
fn self_intersects(ring: &LineString<f64>) -> bool {
    let points = &ring.0;
    let n = points.len().saturating_sub(1);
    if n > 20_000 {
        return false;
    }
    for i in 0..n {
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue;
            }
            if segments_cross(points[i], points[i + 1], points[j], points[j + 1]) {
                return true;
            }
        }
    }
    false
}

/// Reads the bassins of a GeoJSON FeatureCollection.
pub fn read_bassins(path: &Path, properties: &BassinProperties<'_>) -> Result<Vec<BassinShape>> {
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut open_decompressed(path)?, &mut text)
        .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let document: Value = serde_json::from_slice(&text)
        .map_err(|error| Error::Json { path: path.to_path_buf(), message: format!("not valid JSON: {error}") })?;
    let features = document.get("features").and_then(Value::as_array).ok_or_else(|| Error::Json {
        path: path.to_path_buf(),
        message: "not a GeoJSON FeatureCollection (no `features` array)".to_owned(),
    })?;
    let mut shapes = Vec::with_capacity(features.len());
    for (index, feature) in features.iter().enumerate() {
        let code = property(feature, properties.code);
        let shown = code.clone().unwrap_or_else(|| "?".to_owned());
        let context = |message: String| Error::Json {
            path: path.to_path_buf(),
            message: format!("feature {index} (bassin {shown}): {message}"),
        };
        let code =
            code.ok_or_else(|| context(format!("property `{}` (the bassin code) is missing", properties.code)))?;
        let geometry = feature.get("geometry").ok_or_else(|| context("no geometry".to_owned()))?;
        let coordinates = geometry.get("coordinates").ok_or_else(|| context("no coordinates".to_owned()))?;
        let multi = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => MultiPolygon::new(vec![polygon(coordinates, &context)?]),
            Some("MultiPolygon") => {
                let parts = coordinates
                    .as_array()
                    .ok_or_else(|| context("MultiPolygon coordinates are not an array".to_owned()))?;
                MultiPolygon::new(parts.iter().map(|p| polygon(p, &context)).collect::<Result<Vec<_>>>()?)
            }
            other => return Err(context(format!("geometry type {other:?} is not Polygon or MultiPolygon"))),
        };
        for part in &multi.0 {
            if std::iter::once(part.exterior()).chain(part.interiors()).any(self_intersects) {
                tracing::warn!(file = %path.display(), feature = index, bassin = %code, "a ring of this bassin crosses itself; points near the crossing may be placed in the wrong bassin");
            }
        }
        shapes.push(BassinShape {
            code,
            label: property(feature, properties.label),
            departement: property(feature, properties.departement),
            geometry: multi,
        });
    }
    let mut codes: Vec<&str> = shapes.iter().map(|s| s.code.as_str()).collect();
    codes.sort_unstable();
    if let Some(pair) = codes.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::Json {
            path: path.to_path_buf(),
            message: format!("bassin {} has two features: merge them into one MultiPolygon", pair[0]),
        });
    }
    Ok(shapes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.geojson");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn polygons_multipolygons_and_holes_are_read() {
        let (_dir, path) = write(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"code_bassin":"A","libelle_bassin":"Alpha","code_departement":"01"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[1,2],[2,2],[2,1],[1,1]]]}},
            {"type":"Feature","properties":{"code_bassin":7},"geometry":{"type":"MultiPolygon","coordinates":[[[[10,0],[11,0],[11,1],[10,0]]],[[[20,0],[21,0],[21,1]]]]}}]}"#,
        );
        let shapes = read_bassins(&path, &BassinProperties::default()).unwrap();
        assert_eq!(shapes.len(), 2);
        assert_eq!(
            (shapes[0].code.as_str(), shapes[0].label.as_deref(), shapes[0].departement.as_deref()),
            ("A", Some("Alpha"), Some("01"))
        );
        assert_eq!(shapes[0].geometry.0[0].interiors().len(), 1);
        assert_eq!(shapes[1].code, "7");
        assert_eq!(shapes[1].geometry.0.len(), 2);
        assert_eq!(shapes[1].geometry.0[1].exterior().0.len(), 4, "an unclosed ring is closed");
    }

    #[test]
    fn a_broken_ring_is_an_error_naming_the_feature() {
        let (_dir, path) = write(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code_bassin":"B"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,"x"],[1,1],[0,0]]]}}]}"#,
        );
        let message = read_bassins(&path, &BassinProperties::default()).unwrap_err().to_string();
        assert!(message.contains("feature 0 (bassin B)") && message.contains("position 1"), "{message}");
        let (_dir, path) = write(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code_bassin":"C"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}}]}"#,
        );
        let message = read_bassins(&path, &BassinProperties::default()).unwrap_err().to_string();
        assert!(message.contains("bassin C") && message.contains("at least 4"), "{message}");
        let (_dir, path) = write(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#,
        );
        assert!(read_bassins(&path, &BassinProperties::default()).unwrap_err().to_string().contains("code_bassin"));
    }

    #[test]
    fn a_bow_tie_is_detected() {
        let bow_tie = LineString::from(vec![(0.0, 0.0), (2.0, 2.0), (2.0, 0.0), (0.0, 2.0), (0.0, 0.0)]);
        let square = LineString::from(vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)]);
        assert!(self_intersects(&bow_tie));
        assert!(!self_intersects(&square));
    }
}
