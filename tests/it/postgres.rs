//! The whole application on the PostgreSQL engine (`storage.engine = "postgres"`): a
//! real server started by the test, the real app on it, used over HTTP as on sled.

use super::common::*;
use charla::config::Secret;
use reqwest::StatusCode;
use serde_json::json;

#[path = "../../src/store/engine/pg_test_server.rs"]
#[allow(dead_code)]
mod pg_server;

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
