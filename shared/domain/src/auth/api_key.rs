//! API keys: `ery_live_` or `ery_test_` followed by random characters.
//!
//! Only the SHA-256 of a key is stored, beside a short non-secret prefix used to find the
//! candidate rows and to show the key in lists. The prefix is 8 random hex characters (32 bits)
//! rather than the original's 3, so a lookup almost always yields exactly one candidate.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const LIVE: &str = "ery_live_";
const TEST: &str = "ery_test_";
/// Random characters a key must carry at least (CONTRACT.md).
pub const MIN_RANDOM_CHARS: usize = 32;
/// Longer input is not a key we issued; refuse it before hashing anything.
const MAX_KEY_LEN: usize = 128;
/// Random characters kept in the stored, displayable prefix.
const PREFIX_RANDOM_CHARS: usize = 8;
/// Random bytes in a key we mint: 48 hex characters, 192 bits.
pub const RANDOM_BYTES: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live,
    Test,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "live" => Some(Mode::Live),
            "test" => Some(Mode::Test),
            _ => None,
        }
    }

    fn marker(self) -> &'static str {
        match self {
            Mode::Live => LIVE,
            Mode::Test => TEST,
        }
    }
}

/// A presented key whose shape is right; it may still be unknown or revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedKey {
    pub prefix: String,
    pub hash: String,
}

/// A freshly minted key: the secret (shown once) and what gets stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
    pub mode: Mode,
}

/// Whether a bearer token has a JWT's shape (three base64url parts), to tell a caller who
/// sent a session token where an API key belongs what went wrong.
fn looks_like_session_token(token: &str) -> bool {
    token.starts_with("eyJ") && token.split('.').count() == 3
}

/// Reads `Authorization: Bearer <key>` and checks the key's shape.
pub fn from_authorization(header: Option<&str>) -> Result<PresentedKey, &'static str> {
    let header = header.ok_or("Missing Authorization header; send `Authorization: Bearer <api key>`")?;
    let (scheme, token) = header.trim().split_once(' ').ok_or("Authorization header must be `Bearer <api key>`")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("Authorization header must be `Bearer <api key>`");
    }
    let token = token.trim();
    if looks_like_session_token(token) {
        return Err("This endpoint takes an API key, not a session token");
    }
    parse(token).ok_or("Invalid API key format")
}

/// Checks a key's shape and derives its lookup prefix and hash.
pub fn parse(key: &str) -> Option<PresentedKey> {
    if key.len() > MAX_KEY_LEN {
        return None;
    }
    let random = key.strip_prefix(LIVE).or_else(|| key.strip_prefix(TEST))?;
    if random.len() < MIN_RANDOM_CHARS || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(PresentedKey { prefix: prefix_of(key), hash: hash(key) })
}

/// Builds a key from random bytes the caller drew from a secure source.
pub fn mint(mode: Mode, random: &[u8; RANDOM_BYTES]) -> NewKey {
    let secret = format!("{}{}", mode.marker(), hex::encode(random));
    NewKey { prefix: prefix_of(&secret), hash: hash(&secret), secret, mode }
}

/// Lowercase hex SHA-256 of the whole key: what the database holds.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Compares a stored hash with the presented key's hash in constant time.
pub fn hashes_match(stored: &str, presented: &str) -> bool {
    stored.as_bytes().ct_eq(presented.as_bytes()).into()
}

fn prefix_of(key: &str) -> String {
    key.chars().take(LIVE.len() + PREFIX_RANDOM_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> NewKey {
        mint(Mode::Live, &[7u8; RANDOM_BYTES])
    }

    #[test]
    fn minted_keys_have_the_documented_shape() {
        let k = key();
        assert!(k.secret.starts_with("ery_live_"));
        assert_eq!(k.secret.len(), 9 + 48);
        assert_eq!(k.prefix, "ery_live_07070707");
        assert_eq!(k.hash.len(), 64);
        assert!(mint(Mode::Test, &[1; RANDOM_BYTES]).secret.starts_with("ery_test_"));
    }

    #[test]
    fn parse_round_trips_a_minted_key() {
        let k = key();
        let p = parse(&k.secret).expect("valid");
        assert_eq!(p.prefix, k.prefix);
        assert!(hashes_match(&k.hash, &p.hash));
    }

    #[test]
    fn parse_rejects_wrong_shapes() {
        for bad in [
            "",
            "ery_live_",
            "ery_live_short",
            "sk_live_0123456789abcdef0123456789abcdef",
            "ery_prod_0123456789abcdef0123456789abcdef",
            "ery_live_0123456789abcdef0123456789abcde!",
            &format!("ery_live_{}", "a".repeat(200)),
        ] {
            assert!(parse(bad).is_none(), "{bad:?} should be rejected");
        }
        assert!(parse("ery_test_0123456789abcdef0123456789abcdef").is_some());
    }

    #[test]
    fn authorization_header_needs_bearer_scheme() {
        let k = key();
        assert!(from_authorization(Some(&format!("Bearer {}", k.secret))).is_ok());
        assert!(from_authorization(Some(&format!("bearer {}", k.secret))).is_ok());
        assert!(from_authorization(Some(&format!("Basic {}", k.secret))).is_err());
        assert!(from_authorization(Some(&k.secret)).is_err());
        assert!(from_authorization(None).is_err());
    }

    #[test]
    fn hashes_differ_for_different_keys() {
        let a = mint(Mode::Live, &[1; RANDOM_BYTES]);
        let b = mint(Mode::Live, &[2; RANDOM_BYTES]);
        assert!(!hashes_match(&a.hash, &b.hash));
        assert!(!hashes_match(&a.hash, &a.hash[..63]));
    }
}
