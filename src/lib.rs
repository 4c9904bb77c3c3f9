//! Charla: a self-hosted shared team inbox in one binary.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod app;
pub mod channels;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod dataset;
pub mod domain;
pub mod i18n;
pub mod metrics;
pub mod search;
pub mod service;
pub mod store;
pub mod web;
pub mod workers;

/// RFC 3339 UTC text of a timestamp (for payloads and JSON).
pub fn web_time(t: domain::Timestamp) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(t.0 as i128 * 1_000_000)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
