//! The whole application on the PostgreSQL engine (`storage.engine = "postgres"`): a
//! real server started by the test, the real app on it, used over HTTP as on sled.

use super::common::*;
use charla::config::Secret;
use reqwest::StatusCode;
use serde_json::json;

#[path = "../../src/store/engine/pg_test_server.rs"]
#[allow(dead_code)]
pub(crate) mod pg_server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
async fn the_inbox_runs_on_postgresql_and_keeps_everything_across_a_restart() {
    let pg = pg_server::PgServer::start();
    let url = pg.fresh_database();
    let on_pg = |c: &mut charla::config::Config| {
        c.storage.engine = "postgres".into();
        c.storage.url = Some(Secret::new(url.clone()));
    };
    let app = TestApp::start_with(on_pg).await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Shop API", &[], None).await;
    let body = json!({"source_id": "m-1", "contact": {"identifier": "c-9", "name": "Carla", "email": "carla@example.com"}, "content": "Hola, ¿y mi pedido?"});
    let (s, first) = incoming(&app.url, inbox, &token, body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let (_, again) = incoming(&app.url, inbox, &token, body).await;
    assert_eq!(again["duplicate"], true, "deduped on PostgreSQL too");
    assert_eq!(again["message_id"], first["message_id"]);
    let conv = first["conversation_id"].as_u64().unwrap();
    let (s, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "Sale hoy."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (_, list) = api.get("/api/v1/conversations?view=mine").await;
    assert_eq!(list["conversations"][0]["id"], conv, "{list}");
    assert_eq!(list["counts"]["mine"], 1, "{list}");
    let (_, found) = api.get("/api/v1/contacts?q=carla").await;
    assert_eq!(found["contacts"][0]["name"], "Carla", "{found}");

    // A restart on the same database finds everything, and new ids never repeat.
    let app = app.restart(on_pg).await;
    let admin = app.client();
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api = Api::for_client(&admin).await;
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 2, "{page}");
    assert!(texts.contains(&"Hola, ¿y mi pedido?") && texts.contains(&"Sale hoy."));
    let (s, second) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "m-2", "contact": {"identifier": "c-9"}, "content": "Gracias"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!(second["conversation_id"], conv);
    assert!(second["message_id"].as_u64() > m["id"].as_u64());
    app.stop().await;
}

/// Runs `charla --data DIR <args>` with extra environment; returns (success, stdout, stderr).
fn charla(data: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_charla"))
        .arg("--data")
        .arg(data)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
async fn migrate_store_copies_sled_to_postgresql_and_back_verified() {
    let pg = pg_server::PgServer::start();
    let url = pg.fresh_database();
    let mut app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Shop API", &[], None).await;
    let (s, r) = incoming(&app.url, inbox, &token, json!({"source_id": "m-1", "contact": {"identifier": "c-1", "name": "Lucía"}, "content": "¿Abrís el domingo?"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let conv = r["conversation_id"].as_u64().unwrap();
    let data = app.dir.path().join("data");

    // Refused while the server holds the directory.
    let (ok, _, err) = charla(&data, &["migrate-store", "--to", &url], &[]);
    assert!(
        !ok && err.contains("in use by another charla process"),
        "{err}"
    );
    app.pause().await;
    let (ok, out, err) = charla(&data, &["migrate-store", "--to", &url], &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("every keyspace verified"), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("convid_conversation")
            && l.contains(" 1 pairs")
            && l.ends_with("ok")),
        "{out}"
    );
    // A second copy into the same database is refused: it is no longer empty.
    let (ok, _, err) = charla(&data, &["migrate-store", "--to", &url], &[]);
    assert!(!ok && err.contains("already holds data"), "{err}");
    assert!(
        !url.contains("password") || !err.contains(&url),
        "the URL is never printed"
    );

    // The app on PostgreSQL finds the same conversation (and the same sign-in).
    let on_pg = |c: &mut charla::config::Config| {
        c.storage.engine = "postgres".into();
        c.storage.url = Some(Secret::new(url.clone()));
    };
    let mut app = app.restart(on_pg).await;
    let admin = app.client();
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api = Api::for_client(&admin).await;
    let (s, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(
        page["messages"][0]["content"], "¿Abrís el domingo?",
        "{page}"
    );
    app.pause().await;

    // And back into a new embedded directory, from PostgreSQL.
    let back = app.dir.path().join("back");
    let (ok, out, err) = charla(
        &data,
        &["migrate-store", "--to", &format!("sled:{}", back.display())],
        &[
            ("CHARLA__STORAGE__ENGINE", "postgres"),
            ("CHARLA__STORAGE__URL", url.as_str()),
        ],
    );
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("every keyspace verified"), "{out}");
    let app = app
        .restart(|c| {
            c.storage.path = back.clone();
        })
        .await;
    let admin = app.client();
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api = Api::for_client(&admin).await;
    let (s, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    app.stop().await;
}

/// The tested PostgreSQL set-up: a primary with a synchronous streaming standby. The
/// primary dies (`pg_ctl stop -m immediate`) while clients post; the standby is
/// promoted and Charla starts on it: every message acknowledged before the crash is
/// there exactly once, and new ones are taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
async fn acknowledged_messages_survive_a_failover_to_the_synchronous_standby() {
    let pg = pg_server::PgReplicaSet::start();
    assert_eq!(
        pg.primary.sql("postgres", "SHOW synchronous_standby_names"),
        "*"
    );
    let url = pg.primary.fresh_database();
    let db = url.rsplit('/').next().unwrap().to_string();
    let on = |url: String| {
        move |c: &mut charla::config::Config| {
            c.storage.engine = "postgres".into();
            c.storage.url = Some(Secret::new(url));
        }
    };
    let app = TestApp::start_with(on(url.clone())).await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Shop API", &[], None).await;

    // Clients post while the primary dies under them.
    let acked = std::sync::Arc::default();
    let workers: Vec<_> = (0..4)
        .map(|w| {
            tokio::spawn(post_until_refused(
                app.url.clone(),
                inbox,
                token.clone(),
                format!("w{w}"),
                std::sync::Arc::clone(&acked),
            ))
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    tokio::task::block_in_place(|| pg.primary.stop_immediately());
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 20,
        "too few acknowledged messages to mean anything: {}",
        acked.len()
    );

    // Fail over: the standby becomes the primary, Charla moves to it.
    tokio::task::block_in_place(|| pg.standby.promote());
    let app = app.restart(on(pg.standby.url_of(&db))).await;
    let api = Api::with_token(&app.url, &api.token);

    // Every acknowledged message is there, exactly once.
    assert_stored_once(&app.url, inbox, &token, &api, &acked).await;

    // The promoted standby takes new messages (it commits alone: no standby of its own).
    let (s, new) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "after-failover", "contact": {"identifier": "f-1"}, "content": "¿Seguís ahí?"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{new}");
    assert_eq!(new["duplicate"], false, "{new}");
    let (s, page) = api
        .get(&format!("/api/v1/conversations/{}", new["conversation_id"]))
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["content"] == "¿Seguís ahí?"),
        "{page}"
    );
    println!(
        "failover: {} acknowledged messages all on the promoted standby exactly once",
        acked.len()
    );
    app.stop().await;
}
