//! Charla: a self-hosted shared team inbox in one binary.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod app;
pub mod channels;
pub mod cli;
pub mod config;
pub mod domain;
pub mod search;
pub mod service;
pub mod store;
pub mod web;
pub mod workers;
