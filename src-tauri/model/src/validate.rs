//! Field rules of the Hoody API. Each returns the normalised value or a [`ModelError`] whose
//! message tells the user what to send instead.

use crate::error::{ErrorCode, ModelError};
use std::collections::BTreeMap;

pub const NAME_MIN: usize = 3;
pub const NAME_MAX: usize = 100;
pub const DEFAULT_IMAGE: &str = "debian/13";
pub const COMMENT_MAX: usize = 1000;
pub const ALIAS_MAX: usize = 100;
pub const ENV_MAX_VARS: usize = 256;
pub const ENV_MAX_BYTES: usize = 64 * 1024;

/// Container name: 3-100 characters of letters, digits, '-' or '_'.
pub fn container_name(name: &str) -> Result<String, ModelError> {
    let len = name.chars().count();
    let charset_ok = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !(NAME_MIN..=NAME_MAX).contains(&len) || !charset_ok {
        return Err(ModelError::new(
            ErrorCode::InvalidName,
            format!(
                "container name '{}' is invalid: it must be 3-100 characters of letters, digits, '-' or '_' (or \"rand\" for a generated name)",
                shorten(name)
            ),
        ));
    }
    Ok(name.to_owned())
}

/// Colour: HEX with or without '#', 3 or 6 digits; stored as `#rrggbb` in lowercase.
pub fn color(value: &str) -> Result<String, ModelError> {
    let digits = value.strip_prefix('#').unwrap_or(value);
    let hex_ok = digits.bytes().all(|b| b.is_ascii_hexdigit());
    let expanded = match digits.len() {
        6 if hex_ok => digits.to_ascii_lowercase(),
        3 if hex_ok => digits.chars().flat_map(|c| [c, c]).collect::<String>().to_ascii_lowercase(),
        _ => {
            return Err(ModelError::new(
                ErrorCode::InvalidColor,
                format!(
                    "color '{}' is not a HEX colour: use 6 hex digits with or without '#', like \"#3498db\"",
                    shorten(value)
                ),
            ));
        }
    };
    Ok(format!("#{expanded}"))
}

/// A parsed OpenSSH public key: the normalised text (algorithm, key data and comment) and the
/// SHA-256 fingerprint of the key data, which is what makes two keys "the same key".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    pub openssh: String,
    pub fingerprint: String,
}

pub fn ssh_public_key(value: &str) -> Result<SshPublicKey, ModelError> {
    let trimmed = value.trim();
    let key = ssh_key::PublicKey::from_openssh(trimmed).map_err(|e| {
        ModelError::new(
            ErrorCode::InvalidSshKey,
            format!(
                "ssh_public_key is not an OpenSSH public key ({e}): paste one line like \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… you@host\", the contents of a .pub file"
            ),
        )
    })?;
    let fingerprint = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
    Ok(SshPublicKey { openssh: trimmed.to_owned(), fingerprint })
}

/// Image names have the form `os/release` (`debian/13`, `ubuntu/24.04`, `alpine/3.19`).
pub fn container_image(value: &str) -> Result<String, ModelError> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 64
            && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_')
            && p.as_bytes()[0].is_ascii_alphanumeric()
    };
    match value.split_once('/') {
        Some((os, release)) if part_ok(os) && part_ok(release) => Ok(value.to_owned()),
        _ => {
            let hint = suggest_image(value).map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default();
            Err(ModelError::new(
                ErrorCode::InvalidImage,
                format!(
                    "container_image '{}' is not of the form os/release (like \"debian/13\" or \"ubuntu/24.04\"){hint}",
                    shorten(value)
                ),
            ))
        }
    }
}

/// `ubuntu:22.04` or `ubuntu-22.04` → `ubuntu/22.04`.
fn suggest_image(value: &str) -> Option<String> {
    let lower = value.trim().to_ascii_lowercase();
    let (os, release) = lower.split_once(':').or_else(|| {
        let at = lower.find(['-', '_'])?;
        Some((&lower[..at], &lower[at + 1..]))
    })?;
    let candidate = format!("{os}/{release}");
    container_image(&candidate).ok()
}

/// Environment variables: POSIX names, values without NUL, bounded in count and size.
pub fn environment_vars(vars: &BTreeMap<String, String>) -> Result<(), ModelError> {
    if vars.len() > ENV_MAX_VARS {
        return Err(ModelError::new(
            ErrorCode::InvalidEnvironment,
            format!("environment_vars has {} variables; at most {ENV_MAX_VARS} are allowed", vars.len()),
        ));
    }
    let mut total = 0;
    for (name, value) in vars {
        let mut bytes = name.bytes();
        let name_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !name_ok {
            return Err(ModelError::new(
                ErrorCode::InvalidEnvironment,
                format!(
                    "environment variable name '{}' is invalid: use letters, digits and '_', not starting with a digit",
                    shorten(name)
                ),
            ));
        }
        if value.contains('\0') {
            return Err(ModelError::new(
                ErrorCode::InvalidEnvironment,
                format!("environment variable {name} contains a NUL character, which no process can receive"),
            ));
        }
        total += name.len() + value.len();
    }
    if total > ENV_MAX_BYTES {
        return Err(ModelError::new(
            ErrorCode::InvalidEnvironment,
            format!("environment_vars add up to {total} bytes; at most {ENV_MAX_BYTES} are allowed"),
        ));
    }
    Ok(())
}

pub fn comment(value: &str) -> Result<String, ModelError> {
    if value.chars().count() > COMMENT_MAX {
        return Err(ModelError::new(
            ErrorCode::InvalidField,
            format!("comment is {} characters long; at most {COMMENT_MAX} are allowed", value.chars().count()),
        ));
    }
    Ok(value.to_owned())
}

/// Project alias: 1-100 characters, not blank.
pub fn project_alias(value: &str) -> Result<String, ModelError> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > ALIAS_MAX {
        return Err(ModelError::new(
            ErrorCode::InvalidName,
            format!("project alias must be 1-{ALIAS_MAX} characters and not blank"),
        ));
    }
    Ok(trimmed.to_owned())
}

pub fn max_containers(value: i64) -> Result<u32, ModelError> {
    u32::try_from(value).ok().filter(|v| (1..=100_000).contains(v)).ok_or_else(|| {
        ModelError::new(
            ErrorCode::InvalidField,
            format!("max_containers must be between 1 and 100000 (got {value}), or null for no limit"),
        )
    })
}

/// Realm names share the container-name rule.
pub fn realm_name(value: &str) -> Result<String, ModelError> {
    container_name(value).map_err(|_| {
        ModelError::new(ErrorCode::InvalidName, "realm name must be 3-100 characters of letters, digits, '-' or '_'")
    })
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_page() {
        for ok in ["abc", "dev-environment", "my_container_01", &"a".repeat(100)] {
            assert_eq!(container_name(ok).unwrap(), ok);
        }
        for bad in ["ab", "", "has space", "dot.name", "ümlaut", &"a".repeat(101), "semi;colon"] {
            let e = container_name(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidName, "{bad}");
            assert!(e.message.contains("3-100 characters"));
        }
    }

    #[test]
    fn colours_with_or_without_hash_normalise() {
        assert_eq!(color("#3498db").unwrap(), "#3498db");
        assert_eq!(color("3498DB").unwrap(), "#3498db");
        assert_eq!(color("#abc").unwrap(), "#aabbcc");
        for bad in ["blue", "#12345", "#gggggg", "", "##123456"] {
            assert_eq!(color(bad).unwrap_err().code, ErrorCode::InvalidColor, "{bad}");
        }
    }

    #[test]
    fn images_must_be_os_slash_release_with_a_hint() {
        for ok in ["debian/13", "ubuntu/24.04", "alpine/3.19", "fedora/41"] {
            assert!(container_image(ok).is_ok(), "{ok}");
        }
        let e = container_image("ubuntu:22.04").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidImage);
        assert!(e.message.contains("did you mean \"ubuntu/22.04\""), "{}", e.message);
        assert!(container_image("ubuntu-22.04").unwrap_err().message.contains("\"ubuntu/22.04\""));
        for bad in ["debian", "/13", "debian/", "Debian/13", "a/b/c", "debian/13 "] {
            assert!(container_image(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ssh_keys_parse_and_fingerprint_ignores_the_comment() {
        let a = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEI2D7MpSkdaP7fqsMPp73DFo6Qgp4w//pvKli5FLgaW alice@host";
        let b = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEI2D7MpSkdaP7fqsMPp73DFo6Qgp4w//pvKli5FLgaW other";
        assert_eq!(ssh_public_key(a).unwrap().fingerprint, ssh_public_key(b).unwrap().fingerprint);
        assert!(ssh_public_key(a).unwrap().fingerprint.starts_with("SHA256:"));
        for bad in ["", "ssh-ed25519", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", "not a key at all"] {
            assert_eq!(ssh_public_key(bad).unwrap_err().code, ErrorCode::InvalidSshKey, "{bad}");
        }
    }

    #[test]
    fn environment_names_and_sizes() {
        let mut vars = BTreeMap::new();
        vars.insert("NODE_ENV".to_owned(), "production".to_owned());
        vars.insert("_X1".to_owned(), String::new());
        assert!(environment_vars(&vars).is_ok());
        for bad in ["1ABC", "A-B", "", "A B"] {
            let one = BTreeMap::from([(bad.to_owned(), "v".to_owned())]);
            assert_eq!(environment_vars(&one).unwrap_err().code, ErrorCode::InvalidEnvironment, "{bad}");
        }
        let nul = BTreeMap::from([("A".to_owned(), "a\0b".to_owned())]);
        assert!(environment_vars(&nul).is_err());
        let big = BTreeMap::from([("A".to_owned(), "x".repeat(ENV_MAX_BYTES + 1))]);
        assert!(environment_vars(&big).is_err());
    }

    #[test]
    fn quota_bounds() {
        assert_eq!(max_containers(5).unwrap(), 5);
        assert!(max_containers(0).is_err());
        assert!(max_containers(-1).is_err());
    }
}

/// Snapshot alias: 1-100 characters of letters, digits, '-', '_' or '.', not starting with '.'.
pub fn snapshot_alias(value: &str) -> Result<String, ModelError> {
    let ok = (1..=100).contains(&value.len())
        && !value.starts_with('.')
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(ModelError::new(
            ErrorCode::InvalidField,
            format!(
                "snapshot alias '{}' is invalid: it must be 1-100 characters of letters, digits, '-', '_' or '.', not starting with '.'",
                shorten(value)
            ),
        ));
    }
    Ok(value.to_owned())
}

/// Snapshot expiry: 1 to 3650 days.
pub fn expiry_days(days: u32) -> Result<u32, ModelError> {
    if !(1..=3650).contains(&days) {
        return Err(ModelError::new(
            ErrorCode::InvalidField,
            format!("expiry_days is {days}; it must be between 1 and 3650 (omit it for a snapshot that never expires)"),
        ));
    }
    Ok(days)
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;

    #[test]
    fn snapshot_rules() {
        assert!(snapshot_alias("before-deletion-2025-11-09").is_ok());
        assert!(snapshot_alias("v1.2_final").is_ok());
        for bad in ["", ".hidden", "a/b", "with space", &"x".repeat(101)] {
            assert_eq!(snapshot_alias(bad).unwrap_err().code, ErrorCode::InvalidField, "{bad:?}");
        }
        assert!(expiry_days(1).is_ok() && expiry_days(3650).is_ok());
        assert!(expiry_days(0).is_err() && expiry_days(3651).is_err());
    }
}
