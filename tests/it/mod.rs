pub mod common;

mod admin;
mod api;
mod auth;
mod browser;
mod browser_inbox;
mod cli;
mod crash;
mod permissions;
mod webhook;
