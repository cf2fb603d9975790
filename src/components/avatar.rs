//! A round avatar with the author's initial, coloured by their id.

use leptos::prelude::*;
use uuid::Uuid;

/// Hues an avatar can have (CSS classes `hue-0` … `hue-23`, 15° apart): a class rather than
/// an inline style, which the Content-Security-Policy does not allow.
pub const HUES: u16 = 24;

/// A hue (0–359) that stays the same for one author.
pub fn hue(author_id: &Uuid) -> u16 {
    // FNV-1a over the id, then a MurmurHash3 finaliser so every input bit reaches the
    // low bits: ids that differ in one byte get clearly different colours.
    let h = author_id
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        });
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    let h = h ^ (h >> 33);
    (h % 360) as u16
}

/// The first letter (or symbol) of a name; the style upper-cases it (`text-transform`),
/// so the browser's WASM carries no Unicode case tables.
pub fn initial(name: &str) -> String {
    name.chars().next().map(String::from).unwrap_or_default()
}

#[component]
pub fn Avatar(name: String, author_id: Uuid) -> impl IntoView {
    let class = format!("avatar hue-{}", hue(&author_id) * HUES / 360);
    view! {
        <span class=class aria-hidden="true">
            {initial(&name)}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_and_hues() {
        assert_eq!(initial("alice"), "a");
        assert_eq!(initial("ßeta"), "ß");
        assert_eq!(initial(""), "");
        assert_eq!(hue(&Uuid::from_u128(5)), hue(&Uuid::from_u128(5)));
        assert!(hue(&Uuid::from_u128(9)) < 360);
        // Ids that differ in one byte still get clearly different colours.
        let (a, b) = (hue(&Uuid::from_u128(1)), hue(&Uuid::from_u128(2)));
        assert!(a.abs_diff(b) > 20, "{a} vs {b}");
    }
}
