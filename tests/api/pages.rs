//! The room page under load and its visitor cache.

use std::io::Read;

use cloud_msg::{page::RoomPageData, protocol::ServerFrame};

use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_pages_rendered_at_once_all_arrive_whole() {
    let app = TestApp::spawn().await;
    let mut alice = app.client("alice").await;
    alice.join("lobby", None).await;
    alice.say("lobby", "hello everyone").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let token = app.sign_in("bob").await.token;
    // Visitors and signed-in people at once, as when a team opens the room together.
    let requests = (0..24).map(|i| {
        let req = app.http.get(app.url("/r/lobby"));
        let req = if i % 2 == 0 {
            req.header("cookie", format!("cloud_msg_session={token}"))
        } else {
            req
        };
        async move {
            let res = req.send().await.expect("the server answers");
            assert_eq!(res.status(), 200);
            res.text().await.expect("a whole body")
        }
    });
    for html in futures::future::join_all(requests).await {
        assert!(html.contains("<title>#lobby · cloud_msg</title>"), "title");
        assert!(html.contains("hello everyone"), "history");
        // Leptos puts the page's data after `</html>`: both must be there.
        assert!(html.contains("</html>"), "the document is complete");
        assert!(
            html.contains("__RESOLVED_RESOURCES"),
            "the data for hydration too"
        );
    }
}

/// Several servers in one process (the tests, a cluster of nodes in one test): a server
/// that starts must never stall another's page. Leptos finds its routes by running the app
/// once under a process-wide flag that makes any page loading meanwhile wait for ever; the
/// routes are found once per process, before anything serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_while_other_servers_of_the_process_start() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Pages rendered without a pause, by four readers at once, while servers start.
    let readers: Vec<_> = (0..4)
        .map(|r| {
            let (app, done) = (app.clone(), done.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let req = app.http.get(app.url(&format!("/r/busy-{r}-{n}")));
                    let res = tokio::time::timeout(std::time::Duration::from_secs(10), req.send())
                        .await
                        .unwrap_or_else(|_| panic!("page {n} of reader {r} never came"))
                        .expect("the server answers");
                    assert_eq!(res.status(), 200);
                    assert!(
                        res.text().await.unwrap().contains("</html>"),
                        "a whole page"
                    );
                    n += 1;
                }
                n
            })
        })
        .collect();
    for _ in 0..10 {
        TestApp::spawn().await.stop().await;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        assert!(reader.await.expect("the reader saw every page") > 0);
    }
}
