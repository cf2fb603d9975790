//! The **Create an account** form, shown beside **Sign in** (`GET /signin`) and on an
//! invite link's page (`GET /invite/<token>`); `POST /signup` takes it (`sign_in`).

use super::alert;
use crate::{escape, validation::RoomName};

/// The **Create an account** form: back to `room` afterwards, with the invite link's
/// `invite` token if there is one, the name as typed, and the reason it was refused.
pub fn sign_up_form(
    room: &RoomName,
    invite: Option<&str>,
    typed: &str,
    error: Option<String>,
    hint: &str,
) -> String {
    let invite = invite
        .map(|t| {
            format!(
                r#"<input type="hidden" name="invite" value="{}">"#,
                escape::html(t)
            )
        })
        .unwrap_or_default();
    let invalid = if error.is_some() {
        r#" aria-invalid="true" aria-describedby="signup-error""#
    } else {
        ""
    };
    format!(
        r#"<form method="post" action="/signup" aria-labelledby="signup-title" class="stack">
<h2 id="signup-title">Create an account</h2>
<input type="hidden" name="room" value="{room}">{invite}
<label for="signup-name">Name</label>
<input id="signup-name" name="name" autocomplete="username" required value="{name}"{invalid}>
<label for="signup-password">Password</label>
<input id="signup-password" name="password" type="password" autocomplete="new-password" minlength="10" required aria-describedby="signup-hint">
<p id="signup-hint" class="hint">{hint}</p>
<button type="submit">Create account</button>
{alert}
</form>"#,
        name = escape::html(typed),
        alert = alert("signup-error", error.as_deref()),
    )
}
