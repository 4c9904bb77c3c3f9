pub mod common;

mod admin;
mod api;
mod auth;
mod browser;
mod browser_inbox;
mod browser_widget;
mod cli;
mod crash;
mod email;
mod email_admin;
mod email_content;
mod email_live;
mod mail_servers;
mod permissions;
mod security_auth;
mod webhook;
mod widget;
