//! Staff roles of a tenant, ordered so that a guard can ask "at least MANAGER".

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A tenant user's role. The order is the order of power: `Staff < Manager < Admin < Owner`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    /// Runs queues: call, seat, complete, chat.
    Staff,
    /// Also manages queues and service types.
    Manager,
    /// Also manages users and business settings.
    Admin,
    /// Everything an admin can do; a tenant always keeps at least one.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Staff, Role::Manager, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "STAFF",
            Role::Manager => "MANAGER",
            Role::Admin => "ADMIN",
            Role::Owner => "OWNER",
        }
    }

    /// True when this role grants at least the powers of `required`.
    pub fn at_least(self, required: Role) -> bool {
        self >= required
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownRole)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("role must be one of OWNER, ADMIN, MANAGER, STAFF")]
pub struct UnknownRole;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(Role::Admin.at_least(Role::Manager));
        assert!(Role::Manager.at_least(Role::Staff));
        assert!(!Role::Staff.at_least(Role::Manager));
        assert!(!Role::Admin.at_least(Role::Owner));
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!("owner".parse::<Role>().ok(), Some(Role::Owner));
        assert!("root".parse::<Role>().is_err());
    }
}
