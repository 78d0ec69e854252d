//! skillgap's SQL functions carried to another process: an engine that ships plans (the
//! distributed one) encodes every function a plan names with [`encode_function`] and
//! rebuilds it on the other side with [`decode_function`] — the text functions by name,
//! the geocoder with its polygons (a run's grid is data, not code).

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

use crate::functions::text_functions;
use crate::geocoding::{BassinIndex, GEOCODER, geocoder, geocoder_index};

/// What must travel with `function` so that [`decode_function`] rebuilds it: the grid of
/// the geocoder, nothing for other functions.
pub fn encode_function(function: &ScalarUDF) -> Vec<u8> {
    geocoder_index(function).map(BassinIndex::to_bytes).unwrap_or_default()
}

/// The skillgap function `name`, rebuilt from what [`encode_function`] wrote; `None` when
/// `name` is not one of skillgap's (a DataFusion function); an error when the payload is
/// malformed.
pub fn decode_function(name: &str, payload: &[u8]) -> Option<Result<ScalarUDF, String>> {
    if name == GEOCODER {
        let index = if payload.is_empty() { Ok(BassinIndex::default()) } else { BassinIndex::from_bytes(payload) };
        return Some(index.map(|index| geocoder(Arc::new(index))).map_err(|message| format!("{GEOCODER}: {message}")));
    }
    text_functions().into_iter().find(|function| function.name() == name).map(Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    #[test]
    fn every_function_comes_back_with_its_data() {
        let square =
            MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]);
        let grid = geocoder(Arc::new(BassinIndex::new(vec![("B1".to_owned(), square)])));
        let payload = encode_function(&grid);
        assert!(!payload.is_empty());
        let rebuilt = decode_function(GEOCODER, &payload).unwrap().unwrap();
        assert_eq!(geocoder_index(&rebuilt).unwrap().locate(0.5, 0.5), Some("B1"));
        for function in text_functions() {
            assert!(encode_function(&function).is_empty());
            assert_eq!(decode_function(function.name(), &[]).unwrap().unwrap().name(), function.name());
        }
        assert!(decode_function("upper", &[]).is_none(), "DataFusion's own functions are not skillgap's");
        assert!(decode_function(GEOCODER, &payload[..5]).unwrap().is_err());
    }
}
