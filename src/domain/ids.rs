//! Typed identifiers. Numbers come from the store's monotonic id generator; anything a
//! visitor can see uses a random token instead (see `crate::domain::account`).

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// An agent (a person who answers customers).
    AgentId
);
id_type!(
    /// A team of agents.
    TeamId
);
id_type!(
    /// An inbox: one connected channel instance.
    InboxId
);
id_type!(
    /// A personal API token (its id, never its secret).
    TokenId
);
