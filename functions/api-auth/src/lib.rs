//! `api-auth`: `POST /sign-in` with email and password answers a session token (an HS256
//! JWT) for the admin endpoints. One round trip counts the attempt and reads the candidates
//! (see [`sign_in::count_attempt`]); a success takes its count back in a second. The password
//! check runs in WebCrypto.

use eryxon_domain::{auth::session, auth::sign_in};
use eryxon_edge::{pbkdf2_sha256, Answer, Call, Reply};

eryxon_edge::function!("api-auth", route);

async fn route(call: &Call) -> Answer {
    let attempt = sign_in::parse(&call.json_body()?)?;
    let secret = call.session_secret()?;
    let now = call.now();
    let found = call.read_unauthenticated(&sign_in::reads(&attempt, now)).await?;
    let found = sign_in::SignInReads::rows(&found);
    // An attempt beyond the limit is refused before any password is derived.
    sign_in::throttle(found.attempts, now)?;
    let candidates = found.candidates;
    let mut matched = vec![];
    for stored in sign_in::hashes(candidates) {
        let derived = pbkdf2_sha256(attempt.password.as_bytes(), &stored.salt, stored.iterations).await?;
        matched.push(stored.matches(&derived));
    }
    let verdict = sign_in::verdict(candidates, &matched);
    if let Some(uncount) = sign_in::uncount(&attempt, now, &verdict) {
        call.write(&[uncount]).await?;
    }
    let user = verdict?;
    let (token, expires_at) = session::issue(&user, secret.as_bytes(), now);
    Ok(Reply::ok(user.answer(token, expires_at)))
}
