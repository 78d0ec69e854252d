//! One offer object parsed for the bronze row only: the fields of `inputs.md` §1 are
//! borrowed from the JSON text when they hold no escape, every other field is skipped
//! without being built, and no field's JSON type can fail the record — a value of an
//! unexpected type reads as absent, exactly as a lookup in a generic JSON value would.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON value as the bronze columns use it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) enum Scalar<'a> {
    /// Absent, `null`, an object or an array.
    #[default]
    None,
    /// A string.
    Text(Cow<'a, str>),
    /// A non-negative integer.
    Unsigned(u64),
    /// A negative integer.
    Signed(i64),
    /// Any other number.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
}

impl<'a> Scalar<'a> {
    /// The value as text: strings as they are, numbers and booleans as JSON writes them.
    pub(super) fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            Self::None => None,
            Self::Text(text) => Some(text.clone()),
            Self::Unsigned(number) => Some(Cow::Owned(number.to_string())),
            Self::Signed(number) => Some(Cow::Owned(number.to_string())),
            Self::Float(number) => serde_json::Number::from_f64(*number).map(|number| Cow::Owned(number.to_string())),
            Self::Bool(flag) => Some(Cow::Borrowed(if *flag { "true" } else { "false" })),
        }
    }

    /// A number, or a string holding one; never infinite or NaN.
    pub(super) fn float(&self) -> Option<f64> {
        match self {
            Self::Unsigned(number) => Some(*number as f64),
            Self::Signed(number) => Some(*number as f64),
            Self::Float(number) => Some(*number),
            Self::Text(text) => text.trim().parse().ok(),
            Self::None | Self::Bool(_) => None,
        }
        .filter(|number: &f64| number.is_finite())
    }

    /// An integer, or a string holding one.
    pub(super) fn integer(&self) -> Option<i64> {
        match self {
            Self::Unsigned(number) => i64::try_from(*number).ok(),
            Self::Signed(number) => Some(*number),
            Self::Text(text) => text.trim().parse().ok(),
            Self::None | Self::Float(_) | Self::Bool(_) => None,
        }
    }

    /// A boolean.
    pub(super) fn boolean(&self) -> Option<bool> {
        match self {
            Self::Bool(flag) => Some(*flag),
            _ => None,
        }
    }
}

/// An object's fields named in `keys` (in that order), or `None` when the value is not an
/// object.
pub(super) type ObjectFields<'a> = Option<Vec<Scalar<'a>>>;

/// The keys of an offer read into its bronze row.
pub(super) const TOP_KEYS: [&str; 13] = [
    "id",
    "intitule",
    "dateCreation",
    "dateActualisation",
    "romeCode",
    "appellationlibelle",
    "typeContrat",
    "typeContratLibelle",
    "dureeTravailLibelleConverti",
    "secteurActivite",
    "qualificationCode",
    "nombrePostes",
    "alternance",
];
/// `lieuTravail`'s keys.
pub(super) const PLACE_KEYS: [&str; 5] = ["libelle", "commune", "codePostal", "latitude", "longitude"];
/// `entreprise`'s keys.
pub(super) const COMPANY_KEYS: [&str; 1] = ["nom"];
/// The keys of a `competences` item.
pub(super) const COMPETENCE_KEYS: [&str; 3] = ["code", "libelle", "exigence"];
/// The keys of a `formations` item.
pub(super) const FORMATION_KEYS: [&str; 4] = ["codeFormation", "domaineLibelle", "niveauLibelle", "exigence"];

/// The parts of an offer object the bronze row holds.
#[derive(Debug, Default)]
pub(super) struct OfferRecord<'a> {
    /// [`TOP_KEYS`], in order.
    pub top: Vec<Scalar<'a>>,
    /// `lieuTravail`: [`PLACE_KEYS`].
    pub place: ObjectFields<'a>,
    /// `entreprise`: [`COMPANY_KEYS`].
    pub company: ObjectFields<'a>,
    /// `competences`: one entry per item ([`COMPETENCE_KEYS`]), `None` when not an array.
    pub competences: Option<Vec<ObjectFields<'a>>>,
    /// `formations`: one entry per item ([`FORMATION_KEYS`]), `None` when not an array.
    pub formations: Option<Vec<ObjectFields<'a>>>,
    /// The object has a `resultats` key: an API page rather than an offer.
    pub page: bool,
}

/// What one JSON text turned out to be.
#[derive(Debug)]
pub(super) enum Parsed<'a> {
    /// An object (an offer, or an API page when [`OfferRecord::page`]).
    Offer(OfferRecord<'a>),
    /// An array or a scalar.
    Other,
}

/// Parses one JSON text (the whole text must be one value).
pub(super) fn parse(text: &str) -> serde_json::Result<Parsed<'_>> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = deserializer.deserialize_any(OfferVisitor)?;
    deserializer.end()?;
    Ok(parsed)
}

/// The scalar visits of a visitor that reads every string, number, boolean and `null` as
/// `$value`.
macro_rules! scalars_read_as {
    ($value:expr) => {
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

const TOP_PLACE: usize = TOP_KEYS.len();
const TOP_COMPANY: usize = TOP_PLACE + 1;
const TOP_COMPETENCES: usize = TOP_PLACE + 2;
const TOP_FORMATIONS: usize = TOP_PLACE + 3;
const TOP_RESULTATS: usize = TOP_PLACE + 4;

fn top_key_index(key: &str) -> Option<usize> {
    match key {
        "lieuTravail" => Some(TOP_PLACE),
        "entreprise" => Some(TOP_COMPANY),
        "competences" => Some(TOP_COMPETENCES),
        "formations" => Some(TOP_FORMATIONS),
        "resultats" => Some(TOP_RESULTATS),
        _ => TOP_KEYS.iter().position(|known| *known == key),
    }
}

/// A map key, matched against a list of known keys without being copied.
struct KeySeed<F>(F);

impl<'de, F: Fn(&str) -> Option<usize>> DeserializeSeed<'de> for KeySeed<F> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<F: Fn(&str) -> Option<usize>> Visitor<'_> for KeySeed<F> {
    type Value = Option<usize>;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a key")
    }
    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok((self.0)(key))
    }
}

struct OfferVisitor;

impl<'de> Visitor<'de> for OfferVisitor {
    type Value = Parsed<'de>;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut record = OfferRecord { top: vec![Scalar::None; TOP_KEYS.len()], ..OfferRecord::default() };
        while let Some(key) = map.next_key_seed(KeySeed(top_key_index))? {
            match key {
                Some(TOP_PLACE) => record.place = map.next_value_seed(FieldsSeed(&PLACE_KEYS))?,
                Some(TOP_COMPANY) => record.company = map.next_value_seed(FieldsSeed(&COMPANY_KEYS))?,
                Some(TOP_COMPETENCES) => record.competences = map.next_value_seed(ListSeed(&COMPETENCE_KEYS))?,
                Some(TOP_FORMATIONS) => record.formations = map.next_value_seed(ListSeed(&FORMATION_KEYS))?,
                Some(TOP_RESULTATS) => {
                    record.page = true;
                    map.next_value::<IgnoredAny>()?;
                }
                Some(index) => record.top[index] = map.next_value_seed(ScalarSeed)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Parsed::Offer(record))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Parsed::Other)
    }
    scalars_read_as!(Parsed::Other);
}

/// A scalar (objects and arrays are skipped and read as absent).
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Scalar<'de>;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Borrowed(text)))
    }
    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(text)))
    }
    fn visit_u64<E>(self, number: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Unsigned(number))
    }
    fn visit_i64<E>(self, number: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Signed(number))
    }
    fn visit_f64<E>(self, number: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(number))
    }
    fn visit_bool<E>(self, flag: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(flag))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::None)
    }
}

/// An object's fields named by the keys, or `None` for any other value.
struct FieldsSeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldsSeed {
    type Value = ObjectFields<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed {
    type Value = ObjectFields<'de>;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let keys = self.0;
        let mut fields = vec![Scalar::None; keys.len()];
        while let Some(key) = map.next_key_seed(KeySeed(|key: &str| keys.iter().position(|known| *known == key)))? {
            match key {
                Some(index) => fields[index] = map.next_value_seed(ScalarSeed)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(fields))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    scalars_read_as!(None);
}

/// An array of objects (each item's fields; `None` for an item that is not an object), or
/// `None` for any other value.
struct ListSeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Option<Vec<ObjectFields<'de>>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Option<Vec<ObjectFields<'de>>>;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(FieldsSeed(self.0))? {
            items.push(item);
        }
        Ok(Some(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    scalars_read_as!(None);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(text: &str) -> OfferRecord<'_> {
        match parse(text).unwrap() {
            Parsed::Offer(record) => record,
            Parsed::Other => panic!("not an offer: {text}"),
        }
    }

    #[test]
    fn fields_are_borrowed_unless_escaped_and_other_fields_are_skipped() {
        let text = r#"{"id":"1A","intitule":"Aide \"soignant\"","extra":{"deep":[1,{"x":2}]},"lieuTravail":{"commune":59350,"latitude":"50.6","longitude":3.05},"nombrePostes":2}"#;
        let record = offer(text);
        assert!(matches!(record.top[0], Scalar::Text(Cow::Borrowed("1A"))));
        assert_eq!(record.top[1].text().as_deref(), Some("Aide \"soignant\""));
        let place = record.place.unwrap();
        assert_eq!(place[1].text().as_deref(), Some("59350"));
        assert_eq!((place[3].float(), place[4].float()), (Some(50.6), Some(3.05)));
        assert_eq!(record.top[11].integer(), Some(2));
    }

    #[test]
    fn a_value_of_an_unexpected_type_reads_as_absent_and_never_fails_the_record() {
        let record = offer(
            r#"{"id":7,"alternance":"oui","lieuTravail":"Lille","competences":{"code":"x"},"formations":[1,{"codeFormation":"F"}],"nombrePostes":1.5}"#,
        );
        assert_eq!(record.top[0].text().as_deref(), Some("7"));
        assert_eq!(record.top[12].boolean(), None);
        assert_eq!(record.place, None);
        assert_eq!(record.competences, None);
        let formations = record.formations.unwrap();
        assert_eq!(formations[0], None);
        assert_eq!(formations[1].as_ref().unwrap()[0].text().as_deref(), Some("F"));
        assert_eq!((record.top[11].integer(), record.top[11].text().as_deref()), (None, Some("1.5")));
    }

    #[test]
    fn pages_arrays_and_scalars_are_not_offers_and_bad_json_is_an_error() {
        assert!(offer(r#"{"resultats":[{"id":"1"}]}"#).page);
        for text in [r#"[{"id":"1"}]"#, "42", "null"] {
            assert!(matches!(parse(text).unwrap(), Parsed::Other), "{text}");
        }
        assert!(parse(r#"{"id":"1""#).is_err());
        assert!(parse(r#"{"id":"1"} {"id":"2"}"#).is_err());
    }

    #[test]
    fn the_last_of_duplicate_keys_wins_as_in_a_json_value() {
        let record = offer(r#"{"id":"a","id":"b"}"#);
        assert_eq!(record.top[0].text().as_deref(), Some("b"));
    }
}
