pub mod common;

mod admin;
mod admin_messaging;
mod api;
mod auth;
mod browser;
mod browser_a11y;
mod browser_demo;
mod browser_i18n;
mod browser_inbox;
mod browser_messaging;
mod browser_notify;
mod browser_reports;
mod browser_widget;
mod cli;
mod cluster;
mod cluster_bus;
pub(crate) mod crash;
mod email;
mod email_admin;
mod email_content;
mod email_live;
mod email_realworld;
mod exchange;
mod leases;
mod mail_language;
mod mail_servers;
mod messenger;
#[path = "../support/meta_fake.rs"]
pub mod meta_fake;
mod meta_fake_selftest;
mod metrics;
mod permissions;
mod postgres;
mod postgres_blocking;
mod reports;
mod security_auth;
mod security_contacts;
mod security_outbound;
mod sms;
mod sms_whatsapp;
mod telegram;
#[path = "../support/telegram_fake.rs"]
pub mod telegram_fake;
mod telegram_fake_selftest;
mod twilio_fake_selftest;
mod two_factor;
mod webhook;
mod widget;

mod browser_whatsapp;
mod i18n;
mod new_message;
mod notify;
mod ops;
#[path = "../support/twilio_fake.rs"]
pub mod twilio_fake;
mod whatsapp;
