//! `GET /r/<room>/members`: who is in the room, and what the person looking may do about
//! it: **Add** an account (members), **Remove** or **Ban** someone (owners and the admin),
//! **Leave** the room, set its **Topic** (members). Each button is a form posted to
//! `/r/<room>/members/<action>`; every decision is `access::decide`'s, through `rooms`.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Form,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{alert, go, page, path_segment, room_or_general, sentence};
use crate::escape;
use crate::{
    server::{
        domain::{rooms, topic},
        infra::session,
        model::{Role, User},
        AppState, Error, Result,
    },
    validation::RoomName,
};

/// Members listed on the page at most.
const MAX_SHOWN: u32 = 500;

#[derive(Debug, Deserialize)]
pub struct Action {
    #[serde(default)]
    name: String,
    #[serde(default)]
    topic: String,
    user_id: Option<Uuid>,
    /// An invite link's uses and lifetime.
    uses: Option<u32>,
    days: Option<u32>,
}

/// `http(s)://host` as the request names it, so a shared link opens this server.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.behind_tls() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

pub async fn show(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Response {
    let name = room_or_general(Some(&room));
    let me = match session::authenticate(&state.store, &headers).await {
        Ok(Some(me)) => me,
        Ok(None) => return go(&state, &format!("/signin?room={name}"), None),
        Err(e) => return failed(&name, &e),
    };
    render(&state, &me, &room, StatusCode::OK, Ok(None)).await
}

pub async fn act(
    State(state): State<AppState>,
    Path((room, action)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<Action>,
) -> Response {
    let name = room_or_general(Some(&room));
    let me = match session::require(&state.store, &headers).await {
        Ok((me, _)) => me,
        Err(e) => return failed(&name, &e),
    };
    let done = match action.as_str() {
        "add" => rooms::add(&state, &me, &room, &form.name).await,
        "remove" | "ban" => match form.user_id {
            Some(user) => rooms::remove(&state, &me, &room, user, action == "ban").await,
            None => Err(Error::BadRequest("Whom? The form names nobody.".into())),
        },
        "leave" => rooms::remove(&state, &me, &room, me.id, false).await,
        "claim" => rooms::claim(&state, &me, &room).await,
        "topic" => topic::set(&state, &me, &room, &form.topic).await,
        "invite" => {
            let uses = form.uses.unwrap_or(1);
            let hours = form.days.unwrap_or(7).saturating_mul(24);
            return match crate::server::domain::invites::make(&state, &me, Some(&room), uses, hours)
                .await
            {
                Ok(made) => {
                    let link = format!("{}{}", origin(&state, &headers), made.url);
                    render(&state, &me, &room, StatusCode::CREATED, Ok(Some(&link))).await
                }
                Err(e) => render(&state, &me, &room, e.status(), Err(&e)).await,
            };
        }
        _ => Err(Error::NotFound("No such action.".into())),
    };
    match done {
        Ok(()) if action == "leave" => go(&state, "/r/general", None),
        Ok(()) => go(&state, &format!("/r/{name}/members"), None),
        Err(e) => render(&state, &me, &room, e.status(), Err(&e)).await,
    }
}

fn failed(room: &RoomName, e: &Error) -> Response {
    let body = alert("members-error", Some(&sentence(e)));
    page(e.status(), "Members", room, &body)
}

/// The page, with either what was just made (an invite link) or the error of the post.
type Outcome<'a> = std::result::Result<Option<&'a str>, &'a Error>;

async fn render(
    state: &AppState,
    me: &User,
    room: &str,
    status: StatusCode,
    outcome: Outcome<'_>,
) -> Response {
    let name = room_or_general(Some(room));
    match body(state, me, room, outcome).await {
        Ok((title, body)) => page(status, &title, &name, &body),
        Err(e) => failed(&name, &e),
    }
}

async fn body(
    state: &AppState,
    me: &User,
    room: &str,
    outcome: Outcome<'_>,
) -> Result<(String, String)> {
    let (facts, access) = crate::server::domain::access::readable(state, me, room).await?;
    let room = &facts.room.name;
    let members = state.store.members(&facts.room, MAX_SHOWN).await?;
    let topic = state.store.topic(&facts.room).await?;
    let title = if facts.room.private {
        format!("Members of #{room} (private)")
    } else {
        format!("Members of #{room}")
    };
    let mut html = String::new();
    if !topic.is_empty() {
        html.push_str(&format!(
            r#"<p class="topic">Topic: {}</p>"#,
            escape::html(&topic)
        ));
    }
    if facts.room.private {
        html.push_str(
            "<p class=\"hint\">A private room: only its members see it, its messages and who is in it.</p>",
        );
    }
    html.push_str(&alert(
        "members-error",
        outcome.err().map(sentence).as_deref(),
    ));
    if let Ok(Some(link)) = outcome {
        html.push_str(&format!(
            r#"<p class="made" role="status">Invite link (shown once): <code>{}</code></p>"#,
            escape::html(link)
        ));
    }
    // A public room a guest opened has no owner: an account member may claim it.
    let ownerless = !members.first().is_some_and(|m| m.role == Role::Owner);
    let i_hold_an_account = members.iter().any(|m| m.user_id == me.id && m.account);
    if ownerless
        && i_hold_an_account
        && !facts.room.private
        && room.as_str() != crate::validation::HOME_ROOM
    {
        html.push_str(&format!(
            r#"<form method="post" action="/r/{room}/members/claim" class="stack" aria-labelledby="claim-title">
<h2 id="claim-title">No owner</h2>
<p class="hint">A guest opened #{room}; the admin looks after it until a member with an account claims it.</p>
<button type="submit">Claim #{room}</button>
</form>"#
        ));
    }
    html.push_str("<ul class=\"members\" aria-label=\"Members\">");
    for m in &members {
        let who = escape::html(&m.name);
        html.push_str(&format!("<li><span class=\"who\"><bdi>{who}</bdi>"));
        if m.role == Role::Owner {
            html.push_str(" <span class=\"role\">owner</span>");
        }
        if m.user_id == me.id {
            html.push_str(" <span class=\"role\">you</span>");
        }
        html.push_str("</span>");
        if m.account && m.user_id != me.id && !room.is_direct() {
            html.push_str(&format!(
                r#"<form method="post" action="/dm/{}"><button type="submit" class="quiet" aria-label="Message {who}">Message</button></form>"#,
                path_segment(&m.name)
            ));
        }
        if access.may_moderate() && m.user_id != me.id {
            for (action, label) in [("remove", "Remove"), ("ban", "Ban")] {
                html.push_str(&format!(
                    r#"<form method="post" action="/r/{room}/members/{action}"><input type="hidden" name="user_id" value="{id}"><button type="submit" class="quiet" aria-label="{label} {who}">{label}</button></form>"#,
                    id = m.user_id,
                ));
            }
        }
        html.push_str("</li>");
    }
    html.push_str("</ul>");
    if access.may_invite() && !room.is_direct() {
        html.push_str(&format!(
            r#"<form method="post" action="/r/{room}/members/add" class="stack" aria-labelledby="add-title">
<h2 id="add-title">Add someone</h2>
<label for="add-name">Account name</label>
<input id="add-name" name="name" autocomplete="off" required>
<p class="hint">People with an account can be added by their name. An owner adding someone banned lets them back.</p>
<button type="submit">Add</button>
</form>"#
        ));
        if access.may_moderate() {
            html.push_str(&format!(
                r#"<form method="post" action="/r/{room}/members/topic" class="stack" aria-labelledby="topic-title">
<h2 id="topic-title">Topic</h2>
<label for="topic">Topic of #{room}</label>
<input id="topic" name="topic" maxlength="{max}" value="{topic}" placeholder="What this room is for">
<p class="hint">Shown in the room directory. Empty clears it.</p>
<button type="submit">Set topic</button>
</form>
<form method="post" action="/r/{room}/members/invite" class="stack" aria-labelledby="invite-title">
<h2 id="invite-title">Invite link</h2>
<p class="hint">Whoever opens it can make an account and is a member of #{room} at once.</p>
<label for="invite-uses">Uses</label>
<input id="invite-uses" name="uses" type="number" min="1" max="1000" value="1">
<label for="invite-days">Valid for (days)</label>
<input id="invite-days" name="days" type="number" min="1" max="30" value="7">
<button type="submit">Make invite link</button>
</form>"#,
                max = topic::TOPIC_MAX,
                topic = escape::html(&topic),
            ));
        }
        html.push_str(&format!(
            r#"<form method="post" action="/r/{room}/members/leave" class="leave"><button type="submit" class="quiet">Leave #{room}</button></form>"#
        ));
    } else {
        html.push_str(&format!(
            "<p class=\"hint\">Join #{room} to add people to it.</p>"
        ));
    }
    Ok((title, html))
}
