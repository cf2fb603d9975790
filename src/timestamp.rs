//! Message timestamps: milliseconds since the Unix epoch, RFC 3339 (UTC) on the wire,
//! and the labels a reader sees in their own time zone.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// `Default`: the Unix epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
        // Whole seconds and milliseconds, without 128-bit arithmetic (costly in WASM).
        OffsetDateTime::from_unix_timestamp(self.0.div_euclid(1000))
            .and_then(|t| t.replace_millisecond(self.0.rem_euclid(1000) as u16))
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

    /// An RFC 3339 time (`2026-11-24T19:01:15.123Z`, any fraction, `Z` or `±HH:MM`). Read
    /// by hand: `time`'s general parser would cost the browser's WASM several KB.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let num = |from: usize, to: usize| -> Option<u32> {
            let digits = b.get(from..to)?;
            digits.iter().try_fold(0u32, |n, c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let shape = b.len() >= 20
            && b[4] == b'-'
            && b[7] == b'-'
            && matches!(b[10], b'T' | b't')
            && b[13] == b':'
            && b[16] == b':';
        if !shape {
            return None;
        }
        let mut at = 19;
        let mut nanos = 0;
        if b[at] == b'.' {
            let digits = b[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            let kept = digits.min(9);
            nanos = num(at + 1, at + 1 + kept)? * 10u32.pow(9 - kept as u32);
            at += 1 + digits;
        }
        let offset = match &b[at..] {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let secs = (num(at + 1, at + 3)? * 3600 + num(at + 4, at + 6)? * 60) as i32;
                if *sign == b'-' {
                    -secs
                } else {
                    secs
                }
            }
            _ => return None,
        };
        let month = Month::try_from(num(5, 7)? as u8).ok()?;
        let date = Date::from_calendar_date(num(0, 4)? as i32, month, num(8, 10)? as u8).ok()?;
        let clock = Time::from_hms_nano(
            num(11, 13)? as u8,
            num(14, 16)? as u8,
            num(17, 19)? as u8,
            nanos,
        )
        .ok()?;
        let t = PrimitiveDateTime::new(date, clock)
            .assume_offset(UtcOffset::from_whole_seconds(offset).ok()?);
        Some(Self(t.unix_timestamp() * 1000 + i64::from(t.millisecond())))
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
        let before = Timestamp::from_millis(-1);
        assert_eq!(before.to_rfc3339(), "1969-12-31T23:59:59.999Z");
        assert_eq!(Timestamp::parse_rfc3339(&before.to_rfc3339()), Some(before));
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-24T20:01:15.123+01:00"),
            Some(t),
            "offsets are honoured"
        );
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
        let at = |s: &str| Timestamp::parse_rfc3339(s).map(Timestamp::millis);
        assert_eq!(at("2026-11-24T19:01:15Z"), Some(1_795_546_875_000));
        assert_eq!(
            at("2026-11-24t19:01:15.1234567891z"),
            Some(1_795_546_875_123)
        );
        assert_eq!(at("2026-11-24T14:01:15.123-05:00"), Some(1_795_546_875_123));
        for bad in [
            "2026-11-24T19:01:15",
            "2026-11-24T19:01:15.Z",
            "2026-13-24T19:01:15Z",
            "2026-02-30T19:01:15Z",
            "2026-11-24T25:01:15Z",
            "2026-11-24 19:01:15Z",
            "2026-11-24T19:01:15+0100",
            "2026-11-24T19:01:15Z trailing",
            "+026-11-24T19:01:15Z",
            "2026-11-24T19:01:15.123ZZ",
            "２０２6-11-24T19:01:15Z",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
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
