use super::*;

/// 2026-11-29 11:27:00 UTC.
const NOV_29: Timestamp = Timestamp(1_795_951_620_000);

#[test]
fn both_catalogs_are_compiled_in() {
    assert_eq!(Lang::En.native_name(), "English");
    assert_eq!(Lang::Es.native_name(), "Español");
}

#[test]
fn language_tags_by_primary_language() {
    assert_eq!(Lang::parse("es-MX"), Some(Lang::Es));
    assert_eq!(Lang::parse("ES_es"), Some(Lang::Es));
    assert_eq!(Lang::parse(" en "), Some(Lang::En));
    assert_eq!(Lang::parse("fr"), None);
    assert_eq!(Lang::parse(""), None);
    assert_eq!(Lang::parse("espanol"), None);
}

#[test]
fn accept_language_by_weight_then_order() {
    assert_eq!(
        from_accept_language("es-ES,es;q=0.9,en;q=0.8"),
        Some(Lang::Es)
    );
    assert_eq!(
        from_accept_language("fr-FR,fr;q=0.9,es;q=0.5,en;q=0.7"),
        Some(Lang::En)
    );
    assert_eq!(from_accept_language("en;q=0.2, es"), Some(Lang::Es));
    assert_eq!(from_accept_language("es;q=0, en"), Some(Lang::En));
    assert_eq!(from_accept_language("de, fr"), None);
    assert_eq!(from_accept_language("es;q=abc"), None);
    assert_eq!(from_accept_language(""), None);
    assert_eq!(from_accept_language("*"), None);
}

#[test]
fn negotiation_prefers_the_profile_then_the_browser_then_the_default() {
    assert_eq!(negotiate(Some("es"), Some("en"), Lang::En), Lang::Es);
    assert_eq!(negotiate(None, Some("es-AR"), Lang::En), Lang::Es);
    assert_eq!(negotiate(Some(""), Some("de"), Lang::Es), Lang::Es);
    assert_eq!(negotiate(None, None, Lang::En), Lang::En);
}

#[test]
fn missing_keys_fall_back_to_the_key() {
    let l = L10n::new(Lang::Es, "UTC");
    assert_eq!(l.t("no-such-key"), "no-such-key");
}

#[test]
fn dates_follow_the_zone_and_the_language() {
    let en = L10n::new(Lang::En, "Europe/Madrid").at(NOV_29);
    assert_eq!(en.datetime(NOV_29), "29 Nov 2026, 12:27 CET");
    assert_eq!(en.when(NOV_29), "12:27");
    let es = L10n::new(Lang::Es, "America/Mexico_City").at(NOV_29);
    assert_eq!(es.datetime(NOV_29), "29 nov 2026, 05:27 CST");
    assert_eq!(es.date(NOV_29), "29 nov 2026");
    // Yesterday in this zone, and a year before.
    assert_eq!(es.when(Timestamp(NOV_29.0 - 86_400_000)), "28 nov, 05:27");
    assert_eq!(
        es.when(Timestamp(NOV_29.0 - 365 * 86_400_000)),
        "29 nov 2025"
    );
    assert_eq!(es.offset(NOV_29), "UTC-06:00");
}

#[test]
fn summer_time_moves_the_clock() {
    // 2026-07-01 10:00 UTC is 12:00 in Madrid (CEST, +2); in winter it is +1.
    let july = Timestamp(1_782_900_000_000);
    let l = L10n::new(Lang::En, "Europe/Madrid");
    assert_eq!(l.datetime(july), "1 Jul 2026, 12:00 CEST");
    assert_eq!(l.offset(july), "UTC+02:00");
    assert_eq!(l.offset(NOV_29), "UTC+01:00");
}

#[test]
fn unknown_zones_read_as_utc() {
    let l = L10n::new(Lang::En, "Mars/Olympus");
    assert_eq!(l.tz_name(), "UTC");
    assert_eq!(l.datetime(NOV_29), "29 Nov 2026, 11:27 UTC");
    assert!(timezone("Mars/Olympus").is_none());
    assert!(timezone("").is_none());
    assert_eq!(
        canonical_timezone("europe/madrid").as_deref(),
        Some("Europe/Madrid")
    );
}

#[test]
fn zone_names_for_the_picker() {
    let names = timezone_names();
    assert!(names.len() > 300, "{}", names.len());
    for n in ["Europe/Madrid", "America/Bogota", "Atlantic/Canary", "UTC"] {
        assert!(names.iter().any(|x| x == n), "{n}");
    }
}

#[test]
fn local_times_typed_in_a_form() {
    let madrid = timezone("Europe/Madrid").unwrap();
    assert_eq!(parse_local("2026-11-29T12:27", &madrid), Some(NOV_29));
    // 2026-03-29 02:30 does not exist in Madrid (clocks jump 02:00 → 03:00).
    let gap = parse_local("2026-03-29T02:30", &madrid).unwrap();
    assert_eq!(
        L10n::new(Lang::En, "Europe/Madrid").datetime(gap),
        "29 Mar 2026, 03:30 CEST"
    );
    assert_eq!(parse_local("tomorrow", &madrid), None);
}

#[test]
fn numbers_and_plurals() {
    let en = L10n::english();
    let es = L10n::new(Lang::Es, "UTC");
    assert_eq!(en.number(12_345), "12,345");
    assert_eq!(es.number(12_345), "12.345");
    let m = Msg::new("time-date")
        .arg("day", "1")
        .arg("month", "x")
        .arg("year", "2026");
    assert_eq!(en.msg(&m), "1 x 2026");
}

#[test]
fn referenced_messages_see_the_arguments() {
    let es = L10n::new(Lang::Es, "UTC");
    let m = Msg::new("invalid-too-short")
        .arg("count", 8)
        .arg("field", "password");
    assert_eq!(es.msg(&m), "contraseña: debe tener al menos 8 caracteres");
    assert_eq!(
        L10n::english().msg(&m),
        "password: must be at least 8 characters"
    );
}

#[test]
fn a_customer_reads_the_contacts_language_else_the_inboxs_else_the_installations() {
    use super::customer_lang;
    assert_eq!(customer_lang(Some("es"), Some("en"), Lang::En), Lang::Es);
    assert_eq!(customer_lang(None, Some("es"), Lang::En), Lang::Es);
    assert_eq!(customer_lang(None, None, Lang::Es), Lang::Es);
    assert_eq!(customer_lang(Some("fr"), Some("en"), Lang::Es), Lang::En);
    assert_eq!(customer_lang(Some("fr"), None, Lang::Es), Lang::Es);
}
