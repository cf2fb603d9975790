//! A round avatar with the author's initial, coloured by their id.

use leptos::prelude::*;
use uuid::Uuid;

/// A hue (0–359) that stays the same for one author.
pub fn hue(author_id: &Uuid) -> u16 {
    let h = author_id
        .as_bytes()
        .iter()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(*b as u32));
    (h % 360) as u16
}

/// The first letter (or symbol) of a name, upper-cased.
pub fn initial(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

#[component]
pub fn Avatar(name: String, author_id: Uuid) -> impl IntoView {
    let style = format!("--hue: {}", hue(&author_id));
    view! {
        <span class="avatar" style=style aria-hidden="true">
            {initial(&name)}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_and_hues() {
        assert_eq!(initial("alice"), "A");
        assert_eq!(initial("ßeta"), "SS");
        assert_eq!(initial(""), "");
        assert_eq!(hue(&Uuid::from_u128(5)), hue(&Uuid::from_u128(5)));
        assert!(hue(&Uuid::from_u128(9)) < 360);
    }
}
