//! Channel adapters: one per provider (pure parsers, clients, signature checks).
