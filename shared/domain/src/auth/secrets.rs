//! Secrets at rest. What D1 holds of a secret a client must get back (webhook signing secrets,
//! and the stored answers of idempotent requests, which may carry a new API key or webhook
//! secret) is sealed with AES-256-GCM under the deployment's key, `ERYXON_SECRETS_KEY`
//! (`wrangler secret put`; 32 bytes, base64 or hex). A stored value reads
//! `sealed:v1:<key id>:<base64 of nonce and ciphertext>`; the key id (the first 8 hex digits of
//! the key's SHA-256) says which key sealed it, so a rotation can tell old rows from new.
//!
//! Rotation: set the new key as `ERYXON_SECRETS_KEY` and the old one as
//! `ERYXON_SECRETS_KEY_PREVIOUS`; values sealed under either open, new ones are sealed under
//! the new key, and the cron sweep re-seals webhook secrets still under the old one (and seals
//! any stored in clear before this existed). Once a sweep reports none left (and a day has
//! passed, so that idempotency records sealed under the old key have expired), drop the
//! previous key.

use crate::protocol::error::ApiError;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

const PREFIX: &str = "sealed:v1:";
/// Bytes of a nonce: the 96 bits GCM is made for; drawn at random for every seal.
pub const NONCE_BYTES: usize = 12;

struct SealingKey {
    id: String,
    cipher: Aes256Gcm,
}

impl SealingKey {
    fn parse(setting: &str, name: &str) -> Result<SealingKey, ApiError> {
        let text = setting.trim();
        let bytes = hex::decode(text).ok().filter(|b| b.len() == 32).or_else(|| B64.decode(text).ok().filter(|b| b.len() == 32));
        let bytes = bytes.ok_or_else(|| ApiError::internal(format!("{name} must be 32 bytes, in hex or base64")))?;
        let id = hex::encode(Sha256::digest(&bytes))[..8].to_string();
        Ok(SealingKey { id, cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)) })
    }
}

/// The deployment's sealing keys: the current one, and during a rotation the previous one.
pub struct Keyring {
    current: SealingKey,
    previous: Option<SealingKey>,
}

/// Shows the key ids only, never a key.
impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("current", &self.current.id).field("previous", &self.previous.as_ref().map(|k| &k.id)).finish()
    }
}

impl Keyring {
    /// From the settings `ERYXON_SECRETS_KEY` and `ERYXON_SECRETS_KEY_PREVIOUS`.
    pub fn from_settings(current: Option<&str>, previous: Option<&str>) -> Result<Keyring, ApiError> {
        let current = current
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| ApiError::internal("Secrets cannot be stored: set the ERYXON_SECRETS_KEY secret (32 bytes, hex or base64)"))?;
        Ok(Keyring {
            current: SealingKey::parse(current, "ERYXON_SECRETS_KEY")?,
            previous: previous.filter(|s| !s.trim().is_empty()).map(|p| SealingKey::parse(p, "ERYXON_SECRETS_KEY_PREVIOUS")).transpose()?,
        })
    }

    /// `plain`, sealed under the current key with `nonce` (random, never reused).
    pub fn seal(&self, plain: &str, nonce: &[u8; NONCE_BYTES]) -> String {
        let sealed = self.current.cipher.encrypt(Nonce::from_slice(nonce), plain.as_bytes()).expect("AES-GCM seals any length we store");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("{PREFIX}{}:{}", self.current.id, B64.encode(out))
    }

    /// What `stored` holds. A value stored before sealing existed (no prefix) is read as it
    /// is, until the sweep seals it.
    pub fn open(&self, stored: &str) -> Result<String, ApiError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_string()) };
        let unreadable = || ApiError::internal("A stored secret cannot be opened with the configured ERYXON_SECRETS_KEY");
        let (id, body) = rest.split_once(':').ok_or_else(unreadable)?;
        let key = [Some(&self.current), self.previous.as_ref()].into_iter().flatten().find(|k| k.id == id).ok_or_else(unreadable)?;
        let bytes = B64.decode(body).map_err(|_| unreadable())?;
        if bytes.len() < NONCE_BYTES {
            return Err(unreadable());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let plain = key.cipher.decrypt(Nonce::from_slice(nonce), sealed).map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }

    /// Whether `stored` is sealed under the current key (else the sweep re-seals it).
    pub fn is_current(&self, stored: &str) -> bool {
        stored.strip_prefix(PREFIX).and_then(|r| r.split_once(':')).is_some_and(|(id, _)| id == self.current.id)
    }

    /// How every value sealed under the previous key begins, during a rotation.
    pub fn previous_prefix(&self) -> Option<String> {
        self.previous.as_ref().map(|k| format!("{PREFIX}{}:", k.id))
    }

    /// How every value sealed under the current key begins, for the sweep's query.
    pub fn current_prefix(&self) -> String {
        format!("{PREFIX}{}:", self.current.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const NEXT: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="; // bytes 32..63, base64

    #[test]
    fn a_sealed_secret_opens_and_never_shows_in_clear() {
        let keys = Keyring::from_settings(Some(KEY), None).unwrap();
        let sealed = keys.seal("whsec_top_secret", &[7; NONCE_BYTES]);
        assert!(sealed.starts_with("sealed:v1:") && !sealed.contains("top_secret"), "{sealed}");
        assert_eq!(keys.open(&sealed).unwrap(), "whsec_top_secret");
        assert_ne!(keys.seal("whsec_top_secret", &[8; NONCE_BYTES]), sealed, "a fresh nonce, a fresh value");
        assert_eq!(keys.open("whsec_legacy").unwrap(), "whsec_legacy", "rows from before sealing still read");
        assert!(keys.is_current(&sealed) && !keys.is_current("whsec_legacy"));
    }

    #[test]
    fn tampering_or_another_key_cannot_open_it() {
        let keys = Keyring::from_settings(Some(KEY), None).unwrap();
        let sealed = keys.seal("s", &[1; NONCE_BYTES]);
        let mut tampered = sealed.clone();
        tampered.replace_range(tampered.len() - 3.., "AAA");
        assert_eq!(keys.open(&tampered).unwrap_err().status(), 500);
        let other = Keyring::from_settings(Some(NEXT), None).unwrap();
        assert!(other.open(&sealed).is_err());
        for junk in ["sealed:v1:", "sealed:v1:abcd", "sealed:v1:abcd:!!", "sealed:v1:zzzzzzzz:AAAA"] {
            assert!(keys.open(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn a_rotation_opens_both_and_seals_with_the_new() {
        let old = Keyring::from_settings(Some(KEY), None).unwrap();
        let before = old.seal("s", &[2; NONCE_BYTES]);
        let rotating = Keyring::from_settings(Some(NEXT), Some(KEY)).unwrap();
        assert_eq!(rotating.open(&before).unwrap(), "s");
        assert!(!rotating.is_current(&before), "the sweep re-seals it");
        let after = rotating.seal("s", &[3; NONCE_BYTES]);
        assert!(rotating.is_current(&after) && after.starts_with(&rotating.current_prefix()));
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(Keyring::from_settings(None, None).unwrap_err().message.contains("ERYXON_SECRETS_KEY"));
        assert!(Keyring::from_settings(Some("short"), None).is_err());
        assert!(Keyring::from_settings(Some(&KEY[..62]), None).is_err());
        assert!(Keyring::from_settings(Some(KEY), Some("short")).unwrap_err().message.contains("PREVIOUS"));
    }
}
