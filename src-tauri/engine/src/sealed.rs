//! Secrets the engine must read back — a JWT gate's signing secret, which checks every token
//! presented — are kept sealed (ChaCha20-Poly1305) in the database, never in plaintext: a copy
//! of `hoody.db`, its WAL or a backup gives nothing without the key. The key comes from the OS
//! keyring on the desktop, or from a file of the data directory's, `secrets.key` (0600), on a
//! server; a data directory that holds a key file keeps using it.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::path::Path;

/// The key file's name in a data directory.
pub const KEY_FILE: &str = "secrets.key";

/// How a sealed value starts (a value without it is from before sealing, and is sealed anew).
const SEALED: &str = "sealed:1:";

/// A sealing key: 32 random bytes.
#[derive(Clone)]
pub struct SealingKey(pub [u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(…)")
    }
}

impl SealingKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self(ChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// The key as text (hex), for a keyring entry.
    pub fn to_text(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_text(text: &str) -> Option<Self> {
        hex::decode(text.trim()).ok()?.try_into().ok().map(Self)
    }

    /// The key of `data_dir`'s key file, made (0600) when missing.
    pub fn from_key_file(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_text(&text).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{} is not a key", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                crate::private::write_private(&path, key.to_text().as_bytes())?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether `data_dir` has a key file (then it is the key, wherever else one is kept).
    pub fn has_key_file(data_dir: &Path) -> bool {
        data_dir.join(KEY_FILE).exists()
    }
}

/// Seals and opens secrets with one key.
#[derive(Clone)]
pub struct Sealer(ChaCha20Poly1305);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer")
    }
}

impl Sealer {
    pub fn new(key: &SealingKey) -> Self {
        Self(ChaCha20Poly1305::new(&Key::from(key.0)))
    }

    /// `secret` sealed under a fresh nonce: `sealed:1:HEX(nonce ‖ ciphertext ‖ tag)`.
    pub fn seal(&self, secret: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self.0.encrypt(&nonce, secret.as_bytes()).expect("ChaCha20-Poly1305 seals any length we hold");
        format!("{SEALED}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// The secret `text` holds; None when it was sealed under another key or is damaged.
    /// A value from before sealing (no prefix) is its own secret.
    pub fn open(&self, text: &str) -> Option<String> {
        let Some(hex_text) = text.strip_prefix(SEALED) else { return Some(text.to_owned()) };
        let bytes = hex::decode(hex_text).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce = Nonce::from(<[u8; 12]>::try_from(nonce).ok()?);
        let plain = self.0.decrypt(&nonce, sealed).ok()?;
        String::from_utf8(plain).ok()
    }

    /// Whether `text` is sealed already.
    pub fn is_sealed(text: &str) -> bool {
        text.starts_with(SEALED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_only() {
        let (key, other) = (SealingKey::generate(), SealingKey::generate());
        let sealer = Sealer::new(&key);
        let sealed = sealer.seal("the gate's secret, long enough");
        assert!(Sealer::is_sealed(&sealed) && !sealed.contains("secret"), "{sealed}");
        assert_ne!(sealed, sealer.seal("the gate's secret, long enough"), "a fresh nonce each time");
        assert_eq!(sealer.open(&sealed).as_deref(), Some("the gate's secret, long enough"));
        assert_eq!(Sealer::new(&other).open(&sealed), None);
        assert_eq!(sealer.open("sealed:1:00ff"), None, "damaged");
        assert_eq!(sealer.open("from before sealing").as_deref(), Some("from before sealing"));
        assert_eq!(SealingKey::from_text(&key.to_text()).map(|k| k.0), Some(key.0));
    }

    #[test]
    fn the_key_file_is_made_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        assert!(!SealingKey::has_key_file(dir.path()));
        let made = SealingKey::from_key_file(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(SealingKey::from_key_file(dir.path()).unwrap().0, made.0);
        std::fs::write(dir.path().join(KEY_FILE), "short").unwrap();
        assert!(SealingKey::from_key_file(dir.path()).is_err());
    }
}
