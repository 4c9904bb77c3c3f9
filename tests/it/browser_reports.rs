//! In a real browser: the Reports page over the known data set of `reports.rs`, reached
//! from the sidebar, regrouped through its GET form (the address bar keeps the choice,
//! so it can be bookmarked), its charts drawn as SVG with their tooltips, and an
//! agent's own page. Screenshots at 1280 and 390 px go to `docs/screenshots/`.

use super::browser::{css, sign_in, wait_path, wait_text, with_browsers};
use super::browser_messaging::shot;
use super::common::*;
use super::reports::known_data_set;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_reports_page_regroups_and_draws_charts() {
    let k = known_data_set().await;
    let url = k.app.url.clone();
    with_browsers(
        "browser_reports_page_regroups_and_draws_charts",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            c.find(css(".nav a[href=\"/reports\"]"))
                .await?
                .click()
                .await?;
            wait_path(&c, "/reports").await?;
            // The form, filled in and sent as GET: the choice is in the address.
            c.execute(
                "const f = document.querySelector('form.report-form');
             f.from.value = '2026-05-29'; f.to.value = '2026-06-01';",
                vec![],
            )
            .await?;
            c.find(css("select[name=group_by] option[value=day]"))
                .await?
                .click()
                .await?;
            c.find(css("form.report-form button[type=submit]"))
                .await?
                .click()
                .await?;
            wait_text(&c, ".report-range", "From 29 May 2026 to 1 Jun 2026").await?;
            let here = c.current_url().await?;
            assert_eq!(
                here.query(),
                Some("from=2026-05-29&to=2026-06-01&group_by=day&filter="),
                "{here}"
            );
            // Four charts, each an SVG with its bars or points and a tooltip on each.
            let mut shown = 0;
            for chart in c.find_all(css("svg.chart")).await? {
                shown += usize::from(chart.is_displayed().await?);
            }
            assert_eq!(shown, 4, "the wide charts");
            let tip = c
                .find(css("#conversations .chart-wide rect.bar title"))
                .await?
                .prop("textContent")
                .await?;
            assert_eq!(tip.as_deref(), Some("Fri 29 May — Opened: 2"));
            assert_eq!(
                c.find_all(css("#first_response .chart-wide circle.dot"))
                    .await?
                    .len(),
                4
            );
            let cell = c
                .find(css("#resolution tbody tr:nth-child(2) td:nth-child(3)"))
                .await?
                .text()
                .await?;
            assert_eq!(cell, "1 d 11 h");
            shot(&c, 1280, "reports").await?;
            shot(&c, 390, "reports-phone").await?;
            let narrow = c.find(css("#conversations .chart-narrow svg")).await?;
            assert!(narrow.is_displayed().await?, "the narrow charts on a phone");

            // Regrouped by agent: bars now, one group per agent.
            c.set_window_size(1280, 900).await?;
            c.find(css("select[name=group_by] option[value=agent]"))
                .await?
                .click()
                .await?;
            c.find(css("form.report-form button[type=submit]"))
                .await?
                .click()
                .await?;
            wait_text(&c, "#conversations tbody", "Unassigned").await?;
            assert!(
                c.current_url()
                    .await?
                    .query()
                    .unwrap_or("")
                    .contains("group_by=agent")
            );
            assert!(
                !c.find_all(css("#first_response rect.bar"))
                    .await?
                    .is_empty()
            );
            shot(&c, 1280, "reports-by-agent").await?;

            // An agent's page: their own numbers.
            let a = b.open().await?;
            a.goto(&format!("{url}/login")).await?;
            sign_in(&a, "luis@example.com", "luis password").await?;
            a.goto(&format!(
                "{url}/reports?from=2026-05-29&to=2026-06-01&group_by=week"
            ))
            .await?;
            wait_text(&a, ".page-head", "Your own numbers").await?;
            let opened = a
                .find(css(".report-totals .total:nth-child(2) strong"))
                .await?
                .text()
                .await?;
            assert_eq!(opened, "2", "Luis closed two");
            Ok(())
        },
    )
    .await;
    k.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_reports_page_in_spanish() {
    let k = known_data_set().await;
    // The admin's profile: Spanish (days still cut in UTC, the data set's zone).
    let r = k
        .admin
        .submit(
            "/profile",
            "/profile/preferences",
            &[("language", "es"), ("timezone", "UTC")],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let url = k.app.url.clone();
    with_browsers("browser_reports_page_in_spanish", |b| async move {
        let c = b.open().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        c.goto(&format!(
            "{url}/reports?from=2026-05-29&to=2026-06-01&group_by=day"
        ))
        .await?;
        wait_text(&c, ".report-range", "Del 29 may 2026 al 1 jun 2026, días en UTC").await?;
        wait_text(&c, ".page-head h1", "Informes").await?;
        let tip = c
            .find(css("#conversations .chart-wide rect.bar title"))
            .await?
            .prop("textContent")
            .await?;
        assert_eq!(tip.as_deref(), Some("vie 29 may — Abiertas: 2"));
        let legend = c
            .find(css("#first_response .chart-wide .legend"))
            .await?
            .prop("textContent")
            .await?;
        assert_eq!(legend.as_deref(), Some("MedianaPercentil 90"));
        let head = c
            .find(css("#resolution thead"))
            .await?
            .prop("textContent")
            .await?;
        assert_eq!(head.as_deref(), Some("DíaCerradasMedianaP90"));
        shot(&c, 1280, "reports-es-1280").await?;
        shot(&c, 390, "reports-es-390").await?;
        // Nothing sticks out sideways on a phone.
        let wide = c
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await?;
        assert_eq!(wide.as_i64(), Some(0), "the page scrolls sideways at 390 px");
        Ok(())
    })
    .await;
    k.app.stop().await;
}
