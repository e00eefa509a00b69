//! Resource ids: 24 lowercase hex characters (96 bits) from the OS random source. A container id
//! is a capability (it is part of every service URL), so it must never be guessable.

use crate::error::{ErrorCode, ModelError};
use serde::{Deserialize, Serialize};

pub const ID_LEN: usize = 24;

/// Generates a fresh id from the OS random source.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random source is unavailable");
    hex::encode(buf)
}

fn is_id(s: &str) -> bool {
    s.len() == ID_LEN && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[derive(ts_rs::TS, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[ts(export, type = "string")]
        #[schema(value_type = String, pattern = "^[0-9a-f]{24}$")]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                Self(random_hex(ID_LEN / 2))
            }

            pub fn parse(s: &str) -> Result<Self, ModelError> {
                if is_id(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(ModelError::new(
                        ErrorCode::InvalidId,
                        format!(concat!("'{}' is not a valid ", $what, " id: ids are 24 lowercase hex characters"), s.chars().take(64).collect::<String>()),
                    ))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ModelError;
            fn try_from(s: String) -> Result<Self, ModelError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ModelError;
            fn from_str(s: &str) -> Result<Self, ModelError> {
                Self::parse(s)
            }
        }
    };
}

define_id!(ContainerId, "container");
define_id!(ProjectId, "project");
define_id!(ServerId, "server");
define_id!(RealmId, "realm");
define_id!(TokenId, "token");
define_id!(SnapshotId, "snapshot");
define_id!(
    /// An id of no particular resource (status log entries, rentals).
    Id,
    "resource"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_24_lowercase_hex_and_distinct() {
        let a = ContainerId::generate();
        let b = ContainerId::generate();
        assert_eq!(a.as_str().len(), 24);
        assert!(is_id(a.as_str()));
        assert_ne!(a, b);
    }

    #[test]
    fn parse_refuses_anything_but_24_lowercase_hex() {
        for bad in ["", "abc", "890ABCDEF12345678901CDEF", "890abcdef12345678901cdeg", "890abcdef12345678901cdef0"] {
            let err = ContainerId::parse(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidId, "{bad}");
        }
        assert!(ContainerId::parse("890abcdef12345678901cdef").is_ok());
    }

    #[test]
    fn ids_deserialize_through_validation() {
        let err = serde_json::from_str::<ProjectId>("\"nope\"").unwrap_err();
        assert!(err.to_string().contains("not a valid project id"));
    }
}
