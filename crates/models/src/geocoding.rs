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
use geo::{BoundingRect, Intersects, LineString, MultiPolygon, Point, Polygon};
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
        Self::from_parts(
            bassins
                .into_iter()
                .flat_map(|(code, area)| area.0.into_iter().map(move |polygon| (code.clone(), polygon)))
                .collect(),
        )
    }

    fn from_parts(polygons: Vec<(String, Polygon<f64>)>) -> Self {
        let mut parts = Vec::new();
        let mut boxes = Vec::new();
        for (code, polygon) in polygons {
            if let Some(rect) = polygon.bounding_rect() {
                boxes.push(GeomWithData::new(
                    Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]),
                    parts.len(),
                ));
                parts.push((code, polygon));
            }
        }
        Self { tree: RTree::bulk_load(boxes), parts }
    }

    /// The polygons as bytes, for a process that must place points with the same grid
    /// (read back by [`BassinIndex::from_bytes`]): per part, its code and its rings
    /// (exterior first), little-endian counts and coordinates.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let count =
            |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
        count(&mut out, self.parts.len());
        for (code, polygon) in &self.parts {
            count(&mut out, code.len());
            out.extend_from_slice(code.as_bytes());
            count(&mut out, 1 + polygon.interiors().len());
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                count(&mut out, ring.0.len());
                for point in &ring.0 {
                    out.extend_from_slice(&point.x.to_le_bytes());
                    out.extend_from_slice(&point.y.to_le_bytes());
                }
            }
        }
        out
    }

    /// Reads [`BassinIndex::to_bytes`]'s output; an error tells where it is malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut reader = ByteReader { bytes, at: 0 };
        let parts = reader.count()?;
        let mut polygons = Vec::new();
        for _ in 0..parts {
            let length = reader.count()?;
            let code = String::from_utf8(reader.take(length)?.to_vec())
                .map_err(|_| format!("bassin code at byte {} is not UTF-8", reader.at))?;
            let mut rings = Vec::new();
            for _ in 0..reader.count()? {
                let points = reader.count()?;
                let mut ring = Vec::with_capacity(points.min(bytes.len() / 16));
                for _ in 0..points {
                    ring.push((reader.float()?, reader.float()?));
                }
                rings.push(LineString::from(ring));
            }
            let mut rings = rings.into_iter();
            let exterior = rings.next().ok_or_else(|| format!("the polygon of {code} has no ring"))?;
            polygons.push((code, Polygon::new(exterior, rings.collect())));
        }
        if reader.at != bytes.len() {
            return Err(format!("{} bytes left after the last polygon", bytes.len() - reader.at));
        }
        Ok(Self::from_parts(polygons))
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

/// Reads the counts and coordinates of [`BassinIndex::to_bytes`].
struct ByteReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl ByteReader<'_> {
    fn take(&mut self, length: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(length)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| format!("truncated at byte {}", self.at))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn count(&mut self) -> Result<usize, String> {
        let bytes: [u8; 4] = self.take(4)?.try_into().map_err(|_| format!("truncated at byte {}", self.at))?;
        Ok(u32::from_le_bytes(bytes) as usize)
    }

    fn float(&mut self) -> Result<f64, String> {
        let bytes: [u8; 8] = self.take(8)?.try_into().map_err(|_| format!("truncated at byte {}", self.at))?;
        Ok(f64::from_le_bytes(bytes))
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
        GEOCODER
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

/// The name of the geocoding function in SQL.
pub const GEOCODER: &str = "bassin_at_point";

/// `bassin_at_point` over `index` (an empty index places nothing).
pub fn geocoder(index: Arc<BassinIndex>) -> ScalarUDF {
    let signature = Signature::exact(vec![DataType::Float64, DataType::Float64], Volatility::Immutable);
    ScalarUDF::from(BassinAtPoint { signature, index })
}

/// The index behind a `bassin_at_point` function, if `function` is one.
pub fn geocoder_index(function: &ScalarUDF) -> Option<&BassinIndex> {
    let any: &dyn std::any::Any = function.inner().as_ref();
    any.downcast_ref::<BassinAtPoint>().map(|geocoder| geocoder.index.as_ref())
}

/// Registers `bassin_at_point` over `index` (an empty index places nothing).
pub fn register_geocoder(context: &SessionContext, index: Arc<BassinIndex>) {
    context.register_udf(geocoder(index));
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn index() -> BassinIndex {
        // B: the square [0,2]²; A: the square [2,4]×[0,2] (shared border x = 2);
        // C: [0,4]×[2,4] minus the hole [1,3]×[2.5,3.5], and a separate island [10,11]².
        let b =
            MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)]]);
        let a =
            MultiPolygon::new(vec![polygon![(x: 2.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 2.0), (x: 2.0, y: 2.0)]]);
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
    fn the_grid_read_back_from_bytes_places_points_alike() {
        let index = index();
        let bytes = index.to_bytes();
        let read = BassinIndex::from_bytes(&bytes).unwrap();
        assert_eq!(read.len(), index.len());
        for (x, y) in
            [(1.0, 1.0), (3.0, 1.0), (0.5, 3.0), (2.0, 3.0), (10.5, 10.5), (-5.0, 1.0), (2.0, 1.0), (2.0, 2.0)]
        {
            assert_eq!(read.locate(x, y), index.locate(x, y), "({x}, {y})");
        }
        assert!(BassinIndex::from_bytes(&bytes[..bytes.len() - 3]).unwrap_err().contains("truncated"));
        assert!(BassinIndex::from_bytes(&[bytes.as_slice(), &[0]].concat()).unwrap_err().contains("left after"));
        let geocoder = geocoder(Arc::new(read));
        assert_eq!(geocoder_index(&geocoder).map(BassinIndex::len), Some(index.len()));
        assert!(geocoder_index(&crate::functions::text_functions()[0]).is_none());
    }

    #[test]
    fn shared_borders_go_to_the_smallest_code_whatever_the_order() {
        let index = index();
        assert_eq!(index.locate(2.0, 1.0), Some("A"), "x = 2 is both A's and B's");
        assert_eq!(index.locate(1.0, 2.0), Some("B"), "y = 2 is both B's and C's");
        assert_eq!(index.locate(2.0, 2.0), Some("A"), "the corner of A, B and C");
    }
}
