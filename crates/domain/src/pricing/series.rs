//! Per-series values (rules, usage) in the order bills list them.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::customer::Series;

/// The order of bill lines and of every per-series listing in pricing:
/// X, N, L, as DESIGN.md and the golden bills list them (not the
/// alphabetical order of [`Series`]'s `Ord`).
pub const BILL_ORDER: [Series; 3] = [Series::X, Series::N, Series::L];

fn slot(series: Series) -> usize {
    match series {
        Series::X => 0,
        Series::N => 1,
        Series::L => 2,
    }
}

/// At most one value per device series; iterates in [`BILL_ORDER`].
/// A fixed array rather than a map: three slots, no allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesMap<T> {
    slots: [Option<T>; 3],
}

impl<T> SeriesMap<T> {
    pub const fn new() -> Self {
        SeriesMap {
            slots: [None, None, None],
        }
    }

    pub fn get(&self, series: Series) -> Option<&T> {
        self.slots[slot(series)].as_ref()
    }

    pub fn insert(&mut self, series: Series, value: T) -> Option<T> {
        self.slots[slot(series)].replace(value)
    }

    pub fn remove(&mut self, series: Series) -> Option<T> {
        self.slots[slot(series)].take()
    }

    pub fn contains(&self, series: Series) -> bool {
        self.get(series).is_some()
    }

    /// The present entries in [`BILL_ORDER`].
    pub fn iter(&self) -> impl Iterator<Item = (Series, &T)> {
        BILL_ORDER
            .into_iter()
            .filter_map(|series| self.get(series).map(|value| (series, value)))
    }

    pub fn len(&self) -> usize {
        self.slots.iter().filter(|slot| slot.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// `self` with every entry of `overrides` put over it: a plan's rules
    /// with a customer's overrides (DESIGN.md §5).
    pub fn overlaid(&self, overrides: &SeriesMap<T>) -> SeriesMap<T>
    where
        T: Clone,
    {
        let mut merged = self.clone();
        for (series, value) in overrides.iter() {
            merged.insert(series, value.clone());
        }
        merged
    }
}

impl<T> Default for SeriesMap<T> {
    fn default() -> Self {
        SeriesMap::new()
    }
}

impl<T> FromIterator<(Series, T)> for SeriesMap<T> {
    fn from_iter<I: IntoIterator<Item = (Series, T)>>(iter: I) -> Self {
        let mut map = SeriesMap::new();
        for (series, value) in iter {
            map.insert(series, value);
        }
        map
    }
}

/// A JSON object `{"X": …, "N": …}` with the present series in bill order.
impl<T: Serialize> Serialize for SeriesMap<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (series, value) in self.iter() {
            map.serialize_entry(series.code(), value)?;
        }
        map.end()
    }
}

/// Strict: keys exactly `X`, `N`, `L`, each at most once. This is for
/// trusted data (storage); requests go through the validators, which accept
/// more and explain what they refuse.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for SeriesMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for MapVisitor<T> {
            type Value = SeriesMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object keyed by device series X, N, L")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<SeriesMap<T>, A::Error> {
                let mut map = SeriesMap::new();
                while let Some(key) = access.next_key::<String>()? {
                    let series = BILL_ORDER
                        .into_iter()
                        .find(|s| s.code() == key)
                        .ok_or_else(|| serde::de::Error::unknown_field(&key, &["X", "N", "L"]))?;
                    if map.insert(series, access.next_value()?).is_some() {
                        return Err(serde::de::Error::custom(format!("duplicate series {key}")));
                    }
                }
                Ok(map)
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_out_in_bill_order_whatever_the_insertion_order() {
        let map: SeriesMap<u8> = [(Series::L, 3), (Series::X, 1), (Series::N, 2)].into_iter().collect();
        let order: Vec<_> = map.iter().map(|(s, v)| (s.code(), *v)).collect();
        assert_eq!(order, [("X", 1), ("N", 2), ("L", 3)]);
        assert_eq!(serde_json::to_string(&map).unwrap(), r#"{"X":1,"N":2,"L":3}"#);
    }

    #[test]
    fn overrides_replace_only_their_own_series() {
        let plan: SeriesMap<&str> = [(Series::X, "plan X"), (Series::N, "plan N")].into_iter().collect();
        let overrides: SeriesMap<&str> = [(Series::N, "customer N")].into_iter().collect();
        let merged = plan.overlaid(&overrides);
        assert_eq!(merged.get(Series::X), Some(&"plan X"));
        assert_eq!(merged.get(Series::N), Some(&"customer N"));
        assert_eq!(merged.get(Series::L), None);
        assert_eq!(merged.len(), 2);
    }

    #[test]
    fn stored_maps_read_back_and_unknown_series_are_refused() {
        let map: SeriesMap<u8> = serde_json::from_str(r#"{"N":2,"X":1}"#).unwrap();
        assert_eq!(map.get(Series::X), Some(&1));
        assert!(serde_json::from_str::<SeriesMap<u8>>(r#"{"Q":1}"#).is_err());
        assert!(serde_json::from_str::<SeriesMap<u8>>(r#"{"X":1,"X":2}"#).is_err());
    }
}
