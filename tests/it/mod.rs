pub mod common;

mod admin;
mod api;
mod auth;
mod browser;
mod browser_inbox;
mod cli;
mod crash;
mod email;
mod email_admin;
mod mail_servers;
mod permissions;
mod webhook;
