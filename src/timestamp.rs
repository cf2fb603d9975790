//! Message timestamps: milliseconds since the Unix epoch, RFC 3339 (UTC) on the wire,
//! and the labels a reader sees in their own time zone.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{format_description::well_known::Rfc3339, OffsetDateTime, UtcOffset};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The current time; on the server from the system clock, in the browser from `Date.now()`.
    pub fn now() -> Self {
        #[cfg(all(target_arch = "wasm32", feature = "hydrate"))]
        {
            Self(js_sys::Date::now() as i64)
        }
        #[cfg(not(all(target_arch = "wasm32", feature = "hydrate")))]
        {
            let d = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            Self(d.as_millis() as i64)
        }
    }

    fn utc(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// ISO 8601 / RFC 3339 in UTC with milliseconds, e.g. `2026-11-24T19:01:15.123Z`.
    pub fn to_rfc3339(self) -> String {
        let t = self.utc();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }

    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        Some(Self((t.unix_timestamp_nanos() / 1_000_000) as i64))
    }

    /// This instant in a zone `offset_minutes` east of UTC.
    fn local(self, offset_minutes: i32) -> OffsetDateTime {
        let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap_or(UtcOffset::UTC);
        self.utc().to_offset(offset)
    }

    /// `HH:MM` (24-hour) in the given zone.
    pub fn clock_label(self, offset_minutes: i32) -> String {
        let t = self.local(offset_minutes);
        format!("{:02}:{:02}", t.hour(), t.minute())
    }

    /// A calendar day in the given zone, e.g. `Tuesday, 24 November 2026`.
    pub fn day_label(self, offset_minutes: i32) -> String {
        let t = self.local(offset_minutes);
        format!("{}, {} {} {}", t.weekday(), t.day(), t.month(), t.year())
    }

    /// The calendar day in the given zone, comparable between timestamps.
    pub fn day_key(self, offset_minutes: i32) -> (i32, u16) {
        let t = self.local(offset_minutes);
        (t.year(), t.ordinal())
    }
}

/// The reader's offset east of UTC, in minutes, at `ts` (daylight saving included): the
/// browser's zone when `local` (after hydration), UTC on the server and before hydration.
pub fn reader_offset(local: bool, ts: Timestamp) -> i32 {
    #[cfg(feature = "hydrate")]
    if local {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts.millis() as f64));
        return -(date.get_timezone_offset() as i32);
    }
    let _ = (local, ts);
    0
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse_rfc3339(&s).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 time"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = Timestamp::from_millis(1_795_546_875_123);
        assert_eq!(t.to_rfc3339(), "2026-11-24T19:01:15.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-24T20:01:15.123+01:00"),
            Some(t),
            "offsets are honoured"
        );
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn labels_follow_the_readers_zone() {
        let t = Timestamp::parse_rfc3339("2026-11-24T23:30:00Z").unwrap();
        assert_eq!(t.clock_label(0), "23:30");
        assert_eq!(t.day_label(0), "Tuesday, 24 November 2026");
        // Tokyo is nine hours ahead: already Wednesday morning.
        assert_eq!(t.clock_label(9 * 60), "08:30");
        assert_eq!(t.day_label(9 * 60), "Wednesday, 25 November 2026");
        assert_ne!(t.day_key(0), t.day_key(9 * 60));
        // New York, five hours behind.
        assert_eq!(t.clock_label(-5 * 60), "18:30");
    }
}
