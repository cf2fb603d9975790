//! The reader's own part of a room page, made for each request: the sidebar's
//! [`Personal`](crate::components::personal::Personal) element, and the `viewer` field of
//! the page's data as the page's data script holds it.
//!
//! The element is written here by hand, byte for byte as the component renders it (its
//! hydration markers included): rendering the component through the view system costs more
//! than the rest of the page's request together. A test renders both ways for every case
//! and compares them.

use std::{fmt::Write, sync::LazyLock};

use crate::escape::{html as attr, text_html as text};
use uuid::Uuid;

use crate::{
    page::{Me, RoomSummary, Viewer},
    validation::RoomName,
};

/// Who a kept page is rendered for: a name nobody can have (it is not a valid name) that
/// is new with each start of the server, so that it appears nowhere else in the page.
pub fn placeholder() -> Viewer {
    static NAME: LazyLock<String> = LazyLock::new(|| format!("reader:{}", Uuid::new_v4().simple()));
    Viewer {
        me: Some(Me {
            id: Uuid::nil(),
            name: NAME.clone(),
        }),
        ..Viewer::default()
    }
}

/// What a kept page's `data-theme` holds until a response puts its reader's there.
pub fn theme_placeholder() -> &'static str {
    static MARK: LazyLock<String> = LazyLock::new(|| format!("theme:{}", Uuid::new_v4().simple()));
    &MARK
}

/// `viewer`'s part of the sidebar in `room`, as the page renders it.
pub fn sidebar(viewer: &Viewer, room: &RoomName) -> String {
    let mut out = String::with_capacity(512 + 160 * viewer.rooms.len());
    out.push_str(
        r#"<div class="personal"><nav aria-label="Rooms" class="rooms"><h2>Rooms</h2><ul>"#,
    );
    entries(&mut out, viewer, room, false);
    out.push_str(r#"<!><!></ul><h2>Direct messages</h2><ul aria-label="Direct messages">"#);
    entries(&mut out, viewer, room, true);
    out.push_str("<!><!></ul><!><!></nav>");
    match &viewer.me {
        Some(me) => {
            out.push_str(
                r#"<div class="me"><a href="/rooms/new" rel="external">New room</a><p>Signed in as <strong>"#,
            );
            out.push_str(&text(&me.name));
            // The theme toggle (`ThemeToggle`), then Sign out.
            let (next, pressed) = if viewer.dark {
                ("light", "true")
            } else {
                ("dark", "false")
            };
            let _ = write!(
                out,
                r#"<!></strong><!><!></p><form method="post" action="/theme" class="theme"><input type="hidden" name="theme" value="{next}"><input type="hidden" name="room" value="{}"><button type="submit" aria-pressed="{pressed}">Dark theme<!></button><!><!></form>"#,
                attr(room.as_str())
            );
            out.push_str(
                r#"<form method="post" action="/signout" class="sign-out"><input type="hidden" name="room" value=""#,
            );
            out.push_str(&attr(room.as_str()));
            out.push_str(r#""><button type="submit">Sign out</button><!><!></form><!><!></div>"#);
        }
        None => out.push_str("<!>"),
    }
    out.push_str("<!><!></div>");
    out
}

/// The list's entries: rooms, or direct conversations (`direct`).
fn entries(out: &mut String, viewer: &Viewer, room: &RoomName, direct: bool) {
    for r in viewer.rooms.iter().filter(|r| r.with.is_some() == direct) {
        let RoomSummary {
            name,
            unread,
            mentions,
            private,
            with,
            ..
        } = r;
        let here = name == room.as_str();
        let unread = (*unread > 0 && !here).then_some(*unread);
        let mentions = (*mentions > 0 && !here).then_some(*mentions);
        let (mark, label) = match with {
            Some(with) => ("@", with.as_str()),
            None => ("#", name.as_str()),
        };
        let _ = write!(out, r#"<li><a href="{}""#, attr(&format!("/r/{name}")));
        if let Some(n) = unread {
            let label = match mentions {
                Some(m) => format!("{label}, {n} unread, {m} mentioning you"),
                None => format!("{label}, {n} unread"),
            };
            let _ = write!(out, r#" aria-label="{}""#, attr(&label));
        }
        if here {
            out.push_str(r#" aria-current="page""#);
        }
        let class = match (unread.is_some(), *private) {
            (true, true) => "unread private",
            (true, false) => "unread",
            (false, true) => "private",
            (false, false) => "",
        };
        let _ = write!(
            out,
            r#" class="{class}"><span aria-hidden="true">{mark}<!></span>{}"#,
            text(label)
        );
        match unread {
            Some(n) => {
                let _ = write!(out, r#"<span class="count">{n}<!></span>"#);
            }
            None => out.push_str("<!>"),
        }
        match mentions {
            Some(n) => {
                let _ = write!(out, r#"<span class="count mentions">@{n}<!></span>"#);
            }
            None => out.push_str("<!>"),
        }
        out.push_str("<!><!></a><!></li>");
    }
}

/// `value` as JSON for a script element: `<` escaped (`\u003c`), so that nothing in it can
/// end the element. The shell writes the page's data so, and `viewer_json` its tail.
pub fn script_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value)
        .expect("page data serializes")
        .replace('<', "\\u003c")
}

/// `viewer` as it stands in the page's data script: its JSON (the last field of the page's
/// data), escaped as the shell escapes the whole.
pub fn viewer_json(viewer: &Viewer) -> String {
    script_json(viewer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::{RoomPageData, RoomSummary};

    #[test]
    fn the_viewer_is_the_escaped_tail_of_the_page_data() {
        let viewer = Viewer {
            me: Some(Me {
                id: Uuid::new_v4(),
                name: "</script><b>\"zoë\"\u{301}".into(),
            }),
            rooms: vec![RoomSummary {
                name: "general".into(),
                unread: 3,
                mentions: 1,
                private: false,
                with: Some("bob\\".into()),
                online: false,
            }],
            with: None,
            moderator: true,
            dark: true,
        };
        let data = RoomPageData {
            room: "general".into(),
            history: Vec::new(),
            receipts: Vec::new(),
            topic: "<b>topics</b> come before the viewer".into(),
            viewer: viewer.clone(),
        };
        let whole = serde_json::to_string(&data)
            .unwrap()
            .replace('<', "\\u003c");
        let part = viewer_json(&viewer);
        assert!(!part.contains('<'), "{part}");
        assert!(whole.ends_with(&format!("{part}}}")), "{whole} / {part}");
        let back: RoomPageData = serde_json::from_str(&whole).unwrap();
        assert_eq!(back.viewer, viewer);
    }

    /// The component, rendered by the view system.
    fn rendered(viewer: &Viewer, room: &RoomName) -> String {
        use crate::components::personal::Personal;
        use leptos::{prelude::*, tachys::view::RenderHtml};
        Owner::new().with(|| {
            view! {
                <Personal
                    rooms=RwSignal::new(viewer.rooms.clone())
                    me=RwSignal::new(viewer.me.clone())
                    room=room.to_string()
                    dark=viewer.dark
                />
            }
            .to_html()
        })
    }

    #[test]
    fn the_sidebar_is_written_as_the_component_renders_it() {
        let summary = |name: &str, unread, private, with: Option<&str>| RoomSummary {
            name: name.into(),
            unread,
            mentions: unread / 2,
            private,
            with: with.map(Into::into),
            online: false,
        };
        let me = |name: &str| {
            Some(Me {
                id: Uuid::new_v4(),
                name: name.into(),
            })
        };
        let viewers = [
            Viewer::default(),
            Viewer {
                rooms: vec![summary("general", 0, false, None)],
                ..Viewer::default()
            },
            placeholder(),
            Viewer {
                me: me("al<i>ce & \"bob\" 'x' \u{202e}"),
                rooms: vec![
                    summary("general", 2, false, None),
                    summary("news", 3, true, None),
                    summary("quiet", 0, true, None),
                    summary("busy", 1_000_000, false, None),
                    summary("dm-abc", 0, true, Some("bob")),
                    summary("dm-def", 7, true, Some("<carol> & \"dan\"")),
                ],
                with: None,
                moderator: true,
                dark: false,
            },
            Viewer {
                me: me("dora"),
                dark: true,
                ..Viewer::default()
            },
        ];
        for room in ["general", "news", "dm-def", "elsewhere"] {
            let room = RoomName::parse(room).unwrap();
            for viewer in &viewers {
                assert_eq!(sidebar(viewer, &room), rendered(viewer, &room));
            }
        }
        let html = sidebar(&placeholder(), &RoomName::parse("general").unwrap());
        assert!(html.contains(&placeholder().me.unwrap().name), "{html}");
    }
}
