//! Stored passwords: PBKDF2-HMAC-SHA256 with a random salt, written as
//! `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`. The derivation itself runs in
//! WebCrypto on the edge (fast, native code, outside the wasm CPU budget) and in the
//! `pbkdf2` crate in the admin command; this module holds the format and the comparison.

use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use subtle::ConstantTimeEq;

/// The most iterations Cloudflare's WebCrypto accepts for PBKDF2.
pub const ITERATIONS: u32 = 100_000;
pub const SALT_BYTES: usize = 16;
pub const HASH_BYTES: usize = 32;
pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;
const SCHEME: &str = "pbkdf2-sha256";

/// A stored hash, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl Stored {
    pub fn encode(&self) -> String {
        format!("{SCHEME}${}${}${}", self.iterations, B64.encode(&self.salt), B64.encode(&self.hash))
    }

    pub fn decode(text: &str) -> Option<Stored> {
        let mut parts = text.split('$');
        if parts.next()? != SCHEME {
            return None;
        }
        let iterations = parts.next()?.parse().ok().filter(|n| (1..=ITERATIONS).contains(n))?;
        let salt = B64.decode(parts.next()?).ok()?;
        let hash = B64.decode(parts.next()?).ok()?;
        (parts.next().is_none() && hash.len() == HASH_BYTES).then_some(Stored { iterations, salt, hash })
    }

    /// Whether `derived` (the presented password derived with this salt and count) matches,
    /// in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        self.hash.ct_eq(derived).into()
    }

    /// What an unknown email is checked against, so that it takes as long as a wrong password.
    pub fn decoy() -> Stored {
        Stored { iterations: ITERATIONS, salt: vec![0; SALT_BYTES], hash: vec![0; HASH_BYTES] }
    }
}

/// A new password's length rule (counted in characters).
pub fn check_new(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&n) {
        return Err(format!("A password must have {MIN_LEN} to {MAX_LEN} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_formats() {
        let s = Stored { iterations: ITERATIONS, salt: vec![7; SALT_BYTES], hash: vec![9; HASH_BYTES] };
        assert_eq!(Stored::decode(&s.encode()), Some(s.clone()));
        assert!(s.matches(&[9; HASH_BYTES]) && !s.matches(&[8; HASH_BYTES]) && !s.matches(&[9; 31]));
        for bad in ["", "bcrypt$1$a$b", "pbkdf2-sha256$0$AAAA$AAAA", "pbkdf2-sha256$999999$AAAA$AAAA", "pbkdf2-sha256$10$AAAA$AAAA"] {
            assert_eq!(Stored::decode(bad), None, "{bad}");
        }
        assert!(check_new("short").is_err() && check_new("long enough pass").is_ok());
    }
}
