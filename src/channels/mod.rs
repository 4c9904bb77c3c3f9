//! Channel adapters: one per provider (pure parsers, clients, signature checks). They
//! know the domain and nothing of the store, the services or the web.

pub mod api;
pub mod email;
pub mod guard;
pub mod http;
pub mod imap;
pub mod mail_probe;
pub mod messenger;
pub mod meta;
pub mod net;
pub mod provider;
pub mod seam;
pub mod smtp;
pub mod telegram;
pub mod twilio;
pub mod voice;
pub mod whatsapp;
