pub mod common;

mod admin;
mod auth;
mod browser;
mod cli;
