//! One message in the log: its text (the server's formatting, the text escaped, or the
//! tombstone) under the quote of the message it answers, "(edited)", my delivery status,
//! its reactions, and its action bar (**Add reaction**, **Reply**, **Edit**, **Delete**),
//! which shows on hover and on keyboard focus.

use leptos::prelude::*;

use crate::{
    components::{
        quote::QuoteLine,
        reactions::{AddReaction, Reactions},
    },
    emoji::is_only_emoji,
    escape::text_html,
    protocol::Entry,
    state::{log_view::Shown, room::RoomState, Hydrated},
    timestamp::{reader_offset, Timestamp},
};

#[component]
pub fn Message(entry: Shown, local: bool, first: bool, pending: bool) -> impl IntoView {
    let Shown { msg, status } = entry;
    let big = is_only_emoji(&msg.text);
    let hydrated = expect_context::<Hydrated>().0;
    // My messages' status, once hydrated (the server renders the log for all its readers).
    let status_view = move || {
        let status = status.as_ref().filter(|_| hydrated.get())?;
        status.get().map(|st| {
            view! {
                <span class=st.class() role="img" aria-label=st.label() title=st.detail() tabindex="0">
                    {st.icon()}
                </span>
            }
        })
    };
    // One element for every kind of text: the server's formatting (made from a short list
    // of elements, `server::markdown`), the text escaped, or the tombstone.
    let (class, html) = if msg.deleted {
        ("text deleted", "Message deleted".to_owned())
    } else if let Some(html) = msg.html.clone() {
        ("text md", html)
    } else {
        ("text", text_html(&msg.text))
    };
    // Deleted: mine, or anyone's for the room's owners; edited: mine. Stored, and not
    // deleted already; once hydrated. Read once: the person only changes from nobody to a
    // new guest, who has no earlier messages.
    let state = expect_context::<RoomState>();
    let seq = msg.seq;
    let mine = state
        .me
        .with_untracked(|me| me.as_ref().is_some_and(|me| me.id == msg.author_id));
    let stored = !pending && !msg.deleted && seq > 0;
    let may_delete = stored && (mine || state.moderator.get_value());
    // Someone else's message that calls me (or everyone): marked for me, once hydrated.
    let for_me = state.me.with_untracked(|me| {
        me.as_ref()
            .is_some_and(|me| crate::mention::calls(me, &msg))
    });
    let for_me = move || for_me && hydrated.get();
    let may_edit = may_delete && mine;
    let delete = move |_| {
        let sure = window()
            .confirm_with_message("Delete this message for everyone?")
            .unwrap_or(false);
        if sure {
            state.delete(seq);
        }
    };
    // The action bar of someone else's message is made when it is first wanted (the
    // pointer over it, or the focus in it): a log of others' messages carries no bars. Mine
    // (and, for owners, everyone's) have theirs from the start, reachable by Tab as before.
    let wanted = RwSignal::new(may_delete);
    let want = move || {
        if !wanted.get_untracked() {
            wanted.set(true);
        }
    };
    view! {
        // A stored message is a Tab stop (and a tap focuses it on a touch screen): its focus
        // shows its action bar (`:focus-within`), and Tab goes on into it.
        <div class="msg" class:pending=pending class:big=big class:for-me=for_me data-seq=seq
            tabindex=(seq > 0).then_some("0")
            on:mouseover=move |_| want() on:focusin=move |_| want()
            id=(seq > 0).then(|| format!("m-{seq}"))>
            // Where I left off, once hydrated (the server renders the log for all).
            <div class="new-divider" role="separator" aria-label="New messages"
                hidden=move || seq == 0 || state.first_new.get() != seq>
                "New messages"
            </div>
            {(!first).then(|| view! { <TimeOf ts=msg.ts local /> })}
            {msg.reply_to.clone().filter(|_| !msg.deleted).map(|quote| view! { <QuoteLine quote /> })}
            <div class=class dir="auto" inner_html=html></div>
            {move || for_me().then(|| view! { <span class="sr-only">" Mentions you"</span> })}
            {msg.edited.map(|_| view! { <span class="edited">" (edited)"</span> })}
            {status_view}
            {(!msg.deleted && !msg.reactions.is_empty())
                .then(|| view! { <Reactions seq reactions=msg.reactions.clone() /> })}
            // Anyone signed in reacts to a stored message; the rest as above.
            {move || {
                let signed_in = state.me.with(Option::is_some);
                (stored && signed_in && hydrated.get() && wanted.get()).then(|| view! {
                    <span class="actions">
                        <AddReaction seq />
                        <button aria-label="Reply" on:click=move |_| state.reply(seq)>"Reply"</button>
                        <button hidden=!may_edit aria-label="Edit message"
                            on:click=move |_| state.editing.set(seq)>"Edit"</button>
                        <button hidden=!may_delete aria-label="Delete message"
                            on:click=delete>"Delete"</button>
                    </span>
                })
            }}
        </div>
    }
    .into_any()
}

/// A number that changes whenever `msg`'s reactions or quote do (a row is laid out again
/// when its key changes): FNV-1a over each emoji and who gave it, and the quote's words.
pub fn changes_key(msg: &Entry) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    };
    for r in &msg.reactions {
        eat(r.emoji.as_bytes());
        for id in &r.by {
            eat(id.as_bytes());
        }
    }
    if let Some(quote) = &msg.reply_to {
        eat(quote.text.as_bytes());
    }
    h
}

/// `<time datetime="…">HH:MM</time>`; the server's rendering says UTC.
#[component]
pub fn TimeOf(ts: Timestamp, local: bool) -> impl IntoView {
    let offset = reader_offset(local, ts);
    let mut label = ts.clock_label(offset);
    if !local {
        label.push_str(" UTC");
    }
    let title = format!("{} {}", ts.day_label(offset), ts.clock_label(offset));
    view! {
        <time datetime=ts.to_rfc3339() title=title>
            {label}
        </time>
    }
}
