//! Webhooks: subscriptions, their secrets, how a delivery is signed, and when a failed
//! one is tried again.
//!
//! A delivery carries, for the reference's Node.js verifier, `X-Eryxon-Signature`: the
//! lowercase hex HMAC-SHA256 of the raw body keyed with the secret string itself; and, for
//! Standard Webhooks verifiers, `webhook-id` (the event id, the same on every retry),
//! `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
//! keyed with the base64 part of a `whsec_` secret (or the secret string when it has no such
//! form). During a rotation's grace period both secrets sign: `webhook-signature` carries both,
//! and `X-Eryxon-Signature-Previous` the old secret's hex signature.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Seconds to wait before each retry: nine attempts over about 27 hours (as Standard Webhooks
/// suggests), after which the delivery is failed and can be redelivered by API.
pub const SCHEDULE: &[u32] = &[10, 60, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// The retry schedule a deployment sets in `ERYXON_WEBHOOK_SCHEDULE` ("10,60,300"), else [`SCHEDULE`].
pub fn schedule(setting: Option<&str>) -> Vec<u32> {
    setting
        .and_then(|s| s.split(',').map(|n| n.trim().parse::<u32>().ok()).collect::<Option<Vec<u32>>>())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| SCHEDULE.to_vec())
}

/// What a delivery attempt's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Try again later (network error, timeout, 408, 429, 5xx).
    Retry,
    /// The receiver says the endpoint is gone (410): disable the webhook.
    Gone,
    /// Any other answer: the receiver refused this delivery; retrying would not help.
    Refused,
}

pub fn outcome(status: Option<u16>) -> Outcome {
    match status {
        Some(200..=299) => Outcome::Delivered,
        Some(410) => Outcome::Gone,
        None | Some(408) | Some(429) | Some(500..=599) => Outcome::Retry,
        Some(_) => Outcome::Refused,
    }
}

/// A new secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks form).
pub fn new_secret(random: &[u8; 32]) -> String {
    format!("whsec_{}", B64.encode(random))
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// `X-Eryxon-Signature`: lowercase hex HMAC-SHA256 of the raw body, keyed with the secret string.
pub fn reference_signature(secret: &str, body: &str) -> String {
    hex::encode(hmac(secret.as_bytes(), &[body.as_bytes()]))
}

/// One `v1,<base64>` Standard Webhooks signature.
pub fn standard_signature(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> String {
    let key = secret.strip_prefix("whsec_").and_then(|k| B64.decode(k).ok()).unwrap_or_else(|| secret.as_bytes().to_vec());
    let ts = timestamp.to_string();
    format!("v1,{}", B64.encode(hmac(&key, &[msg_id.as_bytes(), b".", ts.as_bytes(), b".", body.as_bytes()])))
}

/// The headers of one delivery: content type, event, both signature schemes, and during a
/// rotation's grace period the previous secret's signatures too.
pub fn signed_headers(secret: &str, previous: Option<&str>, event_id: &str, event_type: &str, timestamp: i64, body: &str) -> Vec<(&'static str, String)> {
    let mut standard = vec![standard_signature(secret, event_id, timestamp, body)];
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("User-Agent", "Eryxon-Webhooks/1.0".to_string()),
        ("X-Eryxon-Event", event_type.to_string()),
        ("X-Eryxon-Signature", reference_signature(secret, body)),
        ("webhook-id", event_id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
    ];
    if let Some(old) = previous {
        standard.push(standard_signature(old, event_id, timestamp, body));
        headers.push(("X-Eryxon-Signature-Previous", reference_signature(old, body)));
    }
    headers.push(("webhook-signature", standard.join(" ")));
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_signature_matches_a_known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(reference_signature("Jefe", "what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn standard_signature_matches_the_specification_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn rotation_signs_with_both_secrets() {
        let h = signed_headers("whsec_bmV3", Some("whsec_b2xk"), "e1", "job.created", 1, "{}");
        let get = |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("webhook-signature").split(' ').count(), 2);
        assert_eq!(get("X-Eryxon-Signature-Previous"), reference_signature("whsec_b2xk", "{}"));
        assert!(!signed_headers("whsec_bmV3", None, "e1", "t", 1, "{}").iter().any(|(k, _)| *k == "X-Eryxon-Signature-Previous"));
    }

    #[test]
    fn outcomes_and_schedule() {
        assert_eq!(outcome(Some(204)), Outcome::Delivered);
        assert_eq!(outcome(Some(410)), Outcome::Gone);
        for retry in [None, Some(408), Some(429), Some(500), Some(503)] {
            assert_eq!(outcome(retry), Outcome::Retry);
        }
        assert_eq!(outcome(Some(400)), Outcome::Refused);
        assert_eq!(schedule(Some("1, 2,3")), vec![1, 2, 3]);
        assert_eq!(schedule(Some("x")), SCHEDULE.to_vec());
        assert_eq!(SCHEDULE.iter().sum::<u32>() / 3600, 27);
        assert!(new_secret(&[0; 32]).starts_with("whsec_"));
        let secret = crate::protocol::fields::token(24, 256);
        assert!(secret(&serde_json::json!(new_secret(&[1; 32]))).is_ok(), "a generated secret is one a caller could give");
        assert!(secret(&serde_json::json!("short")).is_err());
    }
}
