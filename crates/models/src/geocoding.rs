//! Placing a point in a bassin: an R-tree over the bounding boxes of every polygon part,
//! then an exact point-in-polygon test (holes honoured). A point on a border shared by two
//! bassins belongs to both geometrically; it is given to the smallest code, so that the
//! answer never depends on the order of the grid file. Exposed to SQL as the vectorised
//! function `bassin_at_point(longitude, latitude)`, NULL when the point is in no bassin.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::Result as DataFusionResult;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::SessionContext;
use geo::{BoundingRect, Intersects, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// The bassin grid's polygons, indexed.
#[derive(Debug, Default)]
pub struct BassinIndex {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    parts: Vec<(String, Polygon<f64>)>,
}

impl BassinIndex {
    /// Indexes (code, area) pairs.
    pub fn new(bassins: Vec<(String, MultiPolygon<f64>)>) -> Self {
        let mut parts = Vec::new();
        let mut boxes = Vec::new();
        for (code, area) in bassins {
            for polygon in area.0 {
                if let Some(rect) = polygon.bounding_rect() {
                    boxes.push(GeomWithData::new(Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]), parts.len()));
                    parts.push((code.clone(), polygon));
                }
            }
        }
        Self { tree: RTree::bulk_load(boxes), parts }
    }

    /// Number of bassin polygon parts indexed.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether no polygon is indexed.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The bassin containing the point (boundary included; smallest code on a shared border).
    pub fn locate(&self, longitude: f64, latitude: f64) -> Option<&str> {
        if !(longitude.is_finite() && latitude.is_finite()) {
            return None;
        }
        let point = Point::new(longitude, latitude);
        let mut best: Option<&str> = None;
        for candidate in self.tree.locate_in_envelope_intersecting(&AABB::from_point([longitude, latitude])) {
            let (code, polygon) = &self.parts[candidate.data];
            if best.is_none_or(|b| code.as_str() < b) && polygon.intersects(&point) {
                best = Some(code);
            }
        }
        best
    }
}

#[derive(Debug)]
struct BassinAtPoint {
    signature: Signature,
    index: Arc<BassinIndex>,
}

impl PartialEq for BassinAtPoint {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.index, &other.index)
    }
}
impl Eq for BassinAtPoint {}
impl std::hash::Hash for BassinAtPoint {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.index).hash(state);
    }
}

impl ScalarUDFImpl for BassinAtPoint {
    fn name(&self) -> &str {
        "bassin_at_point"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DataFusionResult<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DataFusionResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let longitude = arrow::compute::cast(&arrays[0], &DataType::Float64)?;
        let latitude = arrow::compute::cast(&arrays[1], &DataType::Float64)?;
        let internal = || datafusion::error::DataFusionError::Internal("bassin_at_point: expected numbers".to_owned());
        let longitude = longitude.as_any().downcast_ref::<Float64Array>().ok_or_else(internal)?;
        let latitude = latitude.as_any().downcast_ref::<Float64Array>().ok_or_else(internal)?;
        let mut out = StringBuilder::with_capacity(longitude.len(), longitude.len() * 4);
        for row in 0..longitude.len() {
            if longitude.is_null(row) || latitude.is_null(row) {
                out.append_null();
            } else {
                out.append_option(self.index.locate(longitude.value(row), latitude.value(row)));
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

/// Registers `bassin_at_point` over `index` (an empty index places nothing).
pub fn register_geocoder(context: &SessionContext, index: Arc<BassinIndex>) {
    let signature = Signature::exact(vec![DataType::Float64, DataType::Float64], Volatility::Immutable);
    context.register_udf(ScalarUDF::from(BassinAtPoint { signature, index }));
}

/// The commune of a municipal arrondissement (Paris, Lyon, Marseille), else the code.
pub(crate) fn commune_of(column: &str) -> String {
    format!(
        "CASE WHEN {column} BETWEEN '75101' AND '75120' THEN '75056'
              WHEN {column} BETWEEN '69381' AND '69389' THEN '69123'
              WHEN {column} BETWEEN '13201' AND '13216' THEN '13055'
              ELSE {column} END"
    )
}

/// The CTE of postal codes that belong to one bassin only (`postal`), for
/// [`placement_joins`].
pub const POSTAL_CTE: &str = "postal AS (SELECT code_postal, MIN(code_bassin) AS code_bassin FROM staging.communes WHERE code_postal IS NOT NULL GROUP BY code_postal HAVING COUNT(DISTINCT code_bassin) = 1)";

/// The joins of the first two placement steps (aliases `c` and `p`), given the row's commune
/// and postal code columns; use with [`POSTAL_CTE`] and [`placement_sql`].
pub fn placement_joins(commune: &str, postal: &str) -> String {
    format!("LEFT JOIN staging.communes c ON c.code_commune = {} LEFT JOIN postal p ON p.code_postal = {postal}", commune_of(commune))
}

/// The SQL placing a located row in a bassin, shared by offers and sessions: commune code
/// (arrondissements folded) → postal code of a single bassin → point → `HORS_BASSIN`.
/// `commune`, `postal`, `point` are the joined `code_bassin` columns of the first two steps
/// and the longitude/latitude columns; returns (code_bassin, geo_method) expressions.
pub fn placement_sql(commune_bassin: &str, postal_bassin: &str, longitude: &str, latitude: &str) -> (String, String) {
    let point = format!("bassin_at_point({longitude}, {latitude})");
    (
        format!("COALESCE({commune_bassin}, {postal_bassin}, {point}, '{}')", crate::HORS_BASSIN),
        format!(
            "CASE WHEN {commune_bassin} IS NOT NULL THEN 'commune' WHEN {postal_bassin} IS NOT NULL THEN 'code_postal' WHEN {point} IS NOT NULL THEN 'point' ELSE 'none' END"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, polygon};

    fn index() -> BassinIndex {
        // B: the square [0,2]²; A: the square [2,4]×[0,2] (shared border x = 2);
        // C: [0,4]×[2,4] minus the hole [1,3]×[2.5,3.5], and a separate island [10,11]².
        let b = MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)]]);
        let a = MultiPolygon::new(vec![polygon![(x: 2.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 2.0), (x: 2.0, y: 2.0)]]);
        let c_main = Polygon::new(
            LineString::from(vec![(0.0, 2.0), (4.0, 2.0), (4.0, 4.0), (0.0, 4.0), (0.0, 2.0)]),
            vec![LineString::from(vec![(1.0, 2.5), (1.0, 3.5), (3.0, 3.5), (3.0, 2.5), (1.0, 2.5)])],
        );
        let island = polygon![(x: 10.0, y: 10.0), (x: 11.0, y: 10.0), (x: 11.0, y: 11.0), (x: 10.0, y: 11.0)];
        BassinIndex::new(vec![("B".into(), b), ("A".into(), a), ("C".into(), MultiPolygon::new(vec![c_main, island]))])
    }

    #[test]
    fn points_inside_holes_islands_and_outside() {
        let index = index();
        assert_eq!(index.locate(1.0, 1.0), Some("B"));
        assert_eq!(index.locate(3.0, 1.0), Some("A"));
        assert_eq!(index.locate(0.5, 3.0), Some("C"));
        assert_eq!(index.locate(2.0, 3.0), None, "inside C's hole");
        assert_eq!(index.locate(10.5, 10.5), Some("C"), "C's island");
        assert_eq!(index.locate(-5.0, 1.0), None);
        assert_eq!(index.locate(f64::NAN, 1.0), None);
    }

    #[test]
    fn shared_borders_go_to_the_smallest_code_whatever_the_order() {
        let index = index();
        assert_eq!(index.locate(2.0, 1.0), Some("A"), "x = 2 is both A's and B's");
        assert_eq!(index.locate(1.0, 2.0), Some("B"), "y = 2 is both B's and C's");
        assert_eq!(index.locate(2.0, 2.0), Some("A"), "the corner of A, B and C");
    }
}
