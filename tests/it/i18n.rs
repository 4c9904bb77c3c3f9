//! Two languages and the agent's time zone: pages in Spanish by the browser's
//! Accept-Language and by the profile's choice, dates in the agent's zone (summer and
//! winter time), and a refused language or zone that keeps what was typed.

use super::common::*;
use reqwest::StatusCode;
use serde_json::json;

/// GET `path` as a browser that prefers `lang`; the status and the page.
async fn get_in(c: &Client, path: &str, lang: &str) -> (StatusCode, String) {
    let r = c
        .http
        .get(format!("{}{path}", c.base))
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

/// POST a form with the page's CSRF token, as a browser that prefers `lang`.
async fn submit_in(
    c: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
    lang: &str,
) -> reqwest::Response {
    let token = c.csrf(page).await;
    let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    c.http
        .post(format!("{}{action}", c.base))
        .header("accept-language", lang)
        .form(&all)
        .send()
        .await
        .unwrap()
}

/// An API inbox with one conversation from a customer; (api, conversation id).
async fn one_conversation(app: &TestApp, c: &Client) -> (Api, u64) {
    let api = Api::for_client(c).await;
    let (inbox, token) = api.inbox("Web", &[], None).await;
    let (s, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "m-1", "contact": {"identifier": "lucia", "name": "Lucía"}, "content": "Hola, ¿dónde está mi pedido?"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (api, v["conversation_id"].as_u64().unwrap())
}

#[tokio::test]
async fn pages_speak_the_browsers_language() {
    let app = TestApp::start().await;
    let anon = app.client();
    let (s, setup) = get_in(&anon, "/setup", "es-ES,es;q=0.9,en;q=0.8").await;
    assert_eq!(s, StatusCode::OK);
    assert!(setup.contains("<html lang=\"es\">"), "{setup}");
    assert!(setup.contains("Te damos la bienvenida a Charla"));
    assert!(setup.contains("Crear administrador y continuar"));
    // No Accept-Language (or one we do not speak): English, the installation's default.
    let (_, setup) = anon.get_text("/setup").await;
    assert!(setup.contains("<html lang=\"en\">") && setup.contains("Welcome to Charla"));
    let (_, setup) = get_in(&anon, "/setup", "de-DE,fr;q=0.9").await;
    assert!(setup.contains("Welcome to Charla"));

    let c = app.admin().await;
    let (_, inbox) = get_in(&c, "/?flash=welcome", "es").await;
    for words in [
        "Bandeja de entrada",
        "Mías",
        "Sin asignar",
        "Todas abiertas",
        "Pospuestas",
        "Cerradas",
        "Buscar conversaciones",
        "Redactar mensaje",
        "Te damos la bienvenida a Charla. Ahora añade",
        "Cerrar sesión",
        "administrador",
    ] {
        assert!(
            inbox.contains(words),
            "{words:?} missing from the Spanish inbox"
        );
    }
    for words in ["Mine", "Unassigned", "Sign out", "New message"] {
        assert!(
            !inbox.contains(&format!(">{words}<")),
            "{words:?} left in English"
        );
    }
    let (_, inbox) = c.get_text("/").await;
    assert!(inbox.contains(">Mine<") && inbox.contains("Sign out"));

    // Errors and refused forms too.
    let (s, missing) = get_in(&c, "/conversations/999999", "es").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        missing.contains("Página no encontrada") && missing.contains("Ir a la página de inicio"),
        "{missing}"
    );
    let other = app.client();
    let r = submit_in(
        &other,
        "/login",
        "/login",
        &[("email", ADMIN_EMAIL), ("password", "wrong")],
        "es",
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Correo electrónico o contraseña incorrectos.")
    );
    let r = submit_in(
        &c,
        "/profile",
        "/profile/password",
        &[
            ("current_password", ADMIN_PASSWORD),
            ("new_password", "short"),
        ],
        "es",
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("contraseña: debe tener al menos 8 caracteres")
    );
    app.stop().await;
}

/// Snoozes `conv` until tomorrow 09:00 from its page's form.
async fn snooze(c: &Client, conv: u64) -> reqwest::Response {
    let page = format!("/conversations/{conv}");
    c.submit(
        &page,
        &format!("{page}/status"),
        &[("status", "snoozed"), ("snooze", "tomorrow")],
    )
    .await
}

#[tokio::test]
async fn the_profile_choice_wins_and_times_follow_the_agents_zone() {
    let app = TestApp::start().await; // the clock: Thursday 2026-05-28 20:26:40 UTC
    let c = app.admin().await;
    let (api, conv) = one_conversation(&app, &c).await;
    // Installation defaults: English, UTC.
    let (_, page) = c.get_text(&format!("/conversations/{conv}")).await;
    assert!(page.contains("title=\"28 May 2026, 20:26 UTC\""), "{page}");

    let r = c
        .submit(
            "/profile",
            "/profile/preferences",
            &[("language", "es"), ("timezone", "europe/madrid")],
        )
        .await;
    assert_eq!(
        (r.status(), location(&r)),
        (
            StatusCode::SEE_OTHER,
            "/profile?flash=preferences_saved".to_string()
        )
    );
    // The profile's language wins over the browser's.
    let (_, profile) = get_in(&c, "/profile?flash=preferences_saved", "en-US,en").await;
    assert!(
        profile.contains("Idioma y zona horaria guardados."),
        "{profile}"
    );
    assert!(
        profile.contains("value=\"Europe/Madrid\""),
        "stored as the database spells it"
    );
    assert!(profile.contains("<option value=\"es\" lang=\"es\" selected>Español</option>"));
    let (_, page) = c.get_text(&format!("/conversations/{conv}")).await;
    assert!(page.contains("<html lang=\"es\">"));
    // 20:26 UTC is 22:26 in Madrid in May (CEST, UTC+2).
    assert!(page.contains("title=\"28 may 2026, 22:26 CEST\""), "{page}");
    assert!(page.contains(">22:26</time>"));
    assert!(page.contains("Conversación iniciada"));

    // "Tomorrow 09:00" is 09:00 in Madrid: 07:00 UTC in summer time.
    let r = snooze(&c, conv).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(
        v["conversation"]["snoozed_until"]
            .as_str()
            .or(v["snoozed_until"].as_str()),
        Some("2026-05-29T07:00:00Z"),
        "{v}"
    );
    let (_, page) = c.get_text(&format!("/conversations/{conv}")).await;
    assert!(
        page.contains("Ana López pospuso esta conversación hasta el 29 may 2026, 09:00 CEST"),
        "{page}"
    );
    assert!(page.contains("hasta 29 may 2026, 09:00 CEST"));
    // The API keeps speaking English and UTC.
    let (_, v) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert!(
        v.to_string()
            .contains("Ana López snoozed this until 29 May 2026, 07:00 UTC"),
        "{v}"
    );

    // Five months on, Madrid is on winter time (CET, UTC+1): 09:00 is 08:00 UTC.
    let r = c
        .submit(
            &format!("/conversations/{conv}"),
            &format!("/conversations/{conv}/status"),
            &[("status", "open")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.clock.advance_secs(160 * 86_400); // Wednesday 2026-11-04 20:26 UTC
    // (the session has expired by then)
    let r = c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = snooze(&c, conv).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(
        v["conversation"]["snoozed_until"]
            .as_str()
            .or(v["snoozed_until"].as_str()),
        Some("2026-11-05T08:00:00Z"),
        "{v}"
    );
    let (_, page) = c.get_text(&format!("/conversations/{conv}")).await;
    assert!(page.contains("hasta el 5 nov 2026, 09:00 CET"), "{page}");
    // A time typed in the picker is read in the agent's zone.
    c.submit(
        &format!("/conversations/{conv}"),
        &format!("/conversations/{conv}/status"),
        &[("status", "open")],
    )
    .await;
    let r = c
        .submit(
            &format!("/conversations/{conv}"),
            &format!("/conversations/{conv}/status"),
            &[
                ("status", "snoozed"),
                ("snooze", "custom"),
                ("until_local", "2026-12-01T10:30"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(
        v["conversation"]["snoozed_until"]
            .as_str()
            .or(v["snoozed_until"].as_str()),
        Some("2026-12-01T09:30:00Z"),
        "{v}"
    );

    // Back to the browser's language and the installation's zone.
    let r = c
        .submit(
            "/profile",
            "/profile/preferences",
            &[("language", ""), ("timezone", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.get_text(&format!("/conversations/{conv}")).await;
    assert!(
        page.contains("<html lang=\"en\">") && page.contains("until 1 Dec 2026, 09:30 UTC"),
        "{page}"
    );
    let (_, page) = get_in(&c, &format!("/conversations/{conv}"), "es").await;
    assert!(page.contains("hasta 1 dic 2026, 09:30 UTC"));
    app.stop().await;
}

#[tokio::test]
async fn a_refused_language_or_zone_is_named_and_keeps_what_was_typed() {
    let app = TestApp::start().await;
    let c = app.admin().await;
    let r = c
        .submit(
            "/profile",
            "/profile/preferences",
            &[("language", "es"), ("timezone", "Europe/Madird")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Time zone: “Europe/Madird” is not a time zone."),
        "{page}"
    );
    assert!(
        page.contains("name=\"timezone\" list=\"zones\" value=\"Europe/Madird\""),
        "typed zone kept"
    );
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(
        page.contains("<option value=\"es\" lang=\"es\" selected>"),
        "typed language kept"
    );
    // Nothing was saved: still English, still UTC.
    let (_, profile) = c.get_text("/profile").await;
    assert!(
        profile.contains("<html lang=\"en\">") && profile.contains("value=\"\" maxlength=\"64\"")
    );

    let r = submit_in(
        &c,
        "/profile",
        "/profile/preferences",
        &[("language", "fr"), ("timezone", "")],
        "es",
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Idioma: «fr» no es un idioma de Charla (inglés o español)."),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"fr\" selected>fr</option>"),
        "typed language kept"
    );
    let r = c
        .submit(
            "/profile",
            "/profile/preferences",
            &[("language", "es-MX"), ("timezone", "UTC")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "only the catalogs' own codes are stored"
    );

    // A snooze "until then" with no time, or one that is not a time, is refused by name.
    let (_, conv) = one_conversation(&app, &c).await;
    let page = format!("/conversations/{conv}");
    for (typed, why) in [
        ("", "until: pick a date and time"),
        (
            "next tuesday",
            "until: &#34;next tuesday&#34; is not a date and time",
        ),
    ] {
        let r = c
            .submit(
                &page,
                &format!("{page}/status"),
                &[
                    ("status", "snoozed"),
                    ("snooze", "custom"),
                    ("until_local", typed),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body = r.text().await.unwrap();
        assert!(body.contains(why), "{body}");
    }
    app.stop().await;
}

/// The words of `page` that should have been translated and were not.
fn english_left(page: &str, words: &[&str]) -> Vec<String> {
    words
        .iter()
        .filter(|w| page.contains(*w))
        .map(|w| w.to_string())
        .collect()
}

#[tokio::test]
async fn reports_and_inbox_admin_pages_speak_spanish() {
    let app = TestApp::start().await; // Thursday 2026-05-28 20:26:40 UTC
    // 22:30 UTC on the 28th is already 00:30 on Friday the 29th in Madrid.
    app.clock.advance_secs(2 * 3600 + 3 * 60 + 20);
    let c = app.admin().await;
    let (api, conv) = one_conversation(&app, &c).await;
    let conv = api.get(&format!("/api/v1/conversations/{conv}")).await.1["conversation"].clone();
    let range = "from=2026-05-28&to=2026-05-29";

    // Reports, by the browser's language.
    let (s, page) = get_in(&c, &format!("/reports?{range}&group_by=day"), "es").await;
    assert_eq!(s, StatusCode::OK);
    for words in [
        "<html lang=\"es\">",
        "<h1>Informes</h1>",
        "Agrupar por",
        "Tiempo de primera respuesta",
        "Respuestas por conversación",
        "Del 28 may 2026 al 29 may 2026, días en UTC",
        "Descargar todo (CSV)",
        ">Abiertas</th>",
        ">Mediana</th>",
        "<th scope=\"row\">jue 28 may</th><td>1</td>",
        "<title>jue 28 may — Abiertas: 1</title>",
        "Nada en este periodo",
        "<option value=\"\">Todos</option>",
        "<option value=\"week\">Semana</option>",
    ] {
        assert!(
            page.contains(words),
            "{words:?} missing from the Spanish reports page"
        );
    }
    let left = english_left(
        &page,
        &[
            ">Opened<",
            ">Median<",
            "Group by",
            "Nothing in this range",
            "No rows.",
            "Download everything",
            "days in",
            "Everyone",
            "Thu 28",
            ">Show<",
            "90th percentile",
        ],
    );
    assert!(left.is_empty(), "left in English: {left:?}");
    // Refused values are named in Spanish and keep what was typed.
    let (s, page) = get_in(&c, "/reports?from=ayer&group_by=day", "es").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("Desde: «ayer» no es una fecha."), "{page}");
    assert!(page.contains("value=\"ayer\""));
    let (s, page) = get_in(&c, "/reports?group_by=mes", "es").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("«mes» no es una agrupación"), "{page}");
    let (s, page) = get_in(&c, "/reports?table=nope", "es").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("No existe esa tabla"), "{page}");

    // Admin inbox pages.
    let (_, list) = get_in(&c, "/admin/inboxes", "es").await;
    for words in [
        "Cada bandeja de entrada es un canal conectado.",
        "Nueva bandeja de entrada",
        "Crear bandeja de entrada",
        "Ajustes de correo",
        "Correo entrante",
        "Intervalo de consulta",
        "Probar conexión",
        "Secreto de verificación de identidad",
        "Pedir nombre y correo antes",
        "Proveedor de WhatsApp",
        "ID del número de teléfono",
        "Cómo llegan las novedades",
        ">Chat web</option>",
        "(solo para el canal Correo electrónico)",
    ] {
        assert!(
            list.contains(words),
            "{words:?} missing from the Spanish inbox list"
        );
    }
    let left = english_left(
        &list,
        &[
            "Create inbox",
            "Test connection",
            "Email settings",
            "Incoming mail",
            "Poll interval",
            "Allowed sites",
            "Identity verification",
            "Phone number ID",
            "How updates arrive",
            "channel only",
            ">Website chat<",
            "Advanced",
            "Members<",
        ],
    );
    assert!(left.is_empty(), "left in English: {left:?}");
    let inbox = conv["inbox_id"].as_u64().unwrap();
    let (_, edit) = get_in(&c, &format!("/admin/inboxes/{inbox}"), "es").await;
    for words in [
        "Guardar bandeja de entrada",
        "Integración",
        "Envía los mensajes de los clientes a:",
        "Renovar el token",
        "data-confirm=\"¿Eliminar la bandeja de entrada Web?\"",
        "URL del webhook",
    ] {
        assert!(
            edit.contains(words),
            "{words:?} missing from the Spanish inbox page"
        );
    }
    let left = english_left(
        &edit,
        &[
            "Save inbox",
            "Rotate token",
            "Delete inbox",
            "Integration",
            "Post customer",
        ],
    );
    assert!(left.is_empty(), "left in English: {left:?}");
    // A refused form: the fields named in Spanish, the reason too.
    let r = submit_in(
        &c,
        "/admin/inboxes",
        "/admin/inboxes",
        &[
            ("name", "Correo"),
            ("channel", "email"),
            ("imap_host", "imap.example.com"),
            ("imap_port", "99999"),
            ("smtp_host", "smtp.example.com"),
            ("smtp_port", "587"),
            ("from_address", "hola@example.com"),
        ],
        "es",
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Puerto IMAP: debe ser un número de puerto de 1 a 65535, no «99999»"),
        "{body}"
    );

    // The profile's time zone cuts the report's days: the conversation opened on the
    // 28th in UTC is one of the 29th in Madrid, on the page and in the API.
    let (_, v) = api
        .get(&format!("/api/v1/reports/overview?{range}&group_by=day"))
        .await;
    assert_eq!(v["timezone"], "UTC");
    assert_eq!(
        (
            v["rows"][0]["opened"].as_u64(),
            v["rows"][1]["opened"].as_u64()
        ),
        (Some(1), Some(0))
    );
    let r = c
        .submit(
            "/profile",
            "/profile/preferences",
            &[("language", "es"), ("timezone", "Europe/Madrid")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = api
        .get(&format!("/api/v1/reports/overview?{range}&group_by=day"))
        .await;
    assert_eq!(v["timezone"], "Europe/Madrid");
    assert_eq!(v["rows"][1]["key"], "2026-05-29");
    assert_eq!(
        (
            v["rows"][0]["opened"].as_u64(),
            v["rows"][1]["opened"].as_u64()
        ),
        (Some(0), Some(1))
    );
    let (_, page) = c.get_text(&format!("/reports?{range}&group_by=day")).await;
    assert!(page.contains("días en Europe/Madrid"), "{page}");
    assert!(
        page.contains("<th scope=\"row\">vie 29 may</th><td>1</td>"),
        "{page}"
    );

    // "Download conversations" in the agent's language and time zone.
    let id = conv["contact"]["id"].as_u64().unwrap();
    let r = c.get(&format!("/contacts/{id}/export")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    assert!(html.contains("Conversaciones con Lucía"), "{html}");
    assert!(html.contains("Las horas están en Europe/Madrid"), "{html}");
    assert!(html.contains("29 may 2026, 00:30 CEST"), "{html}");
    assert!(!html.contains("UTC") && !html.contains("started"), "{html}");
    app.stop().await;
}
