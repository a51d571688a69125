//! Durations in JSON as whole microseconds.
//!
//! A JSON reader in any language gets a plain integer with the unit in the
//! field's name (`at_us`, `duration_us`), rather than serde's
//! `{"secs", "nanos"}` pair. The recorder keeps times at microsecond
//! precision, so a trace read back from its JSON equals the original.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// `Duration` as an integer number of microseconds.
pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// `Duration` from an integer number of microseconds.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_micros)
}

/// `Option<Duration>` as microseconds or null.
pub(crate) mod option {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(d).map(|us| us.map(Duration::from_micros))
    }
}
