//! JSON Web Tokens as a proxy gate checks them (RFC 7519, HMAC algorithms of RFC 7518): the
//! signature with the group's secret under the group's algorithm only (a token naming another
//! algorithm, `none` included, is refused), `exp` and `nbf` against the clock, and the claims
//! the group requires.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The algorithms a JWT group may use.
pub const ALGORITHMS: [&str; 3] = ["HS256", "HS384", "HS512"];
/// The other signing algorithms of RFC 7518 (and EdDSA): public-key ones, not checked yet.
pub const NOT_YET: [&str; 10] =
    ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/// Why a token does not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Malformed,
    WrongAlgorithm,
    BadSignature,
    Expired,
    NotYetValid,
    /// A claim the group requires is missing or has another value.
    Claim(String),
}

/// The token's claims when it is signed with `secret` under `algorithm`, is valid at `now`
/// (seconds since the epoch) and holds every `required` claim: a required value matches the
/// claim's equal, an array of values any of them, and a claim that is an array matches when it
/// holds the value.
pub fn verify(
    token: &str,
    algorithm: &str,
    secret: &[u8],
    required: &BTreeMap<String, Value>,
    now: i64,
) -> Result<Map<String, Value>, Rejection> {
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::Malformed);
    };
    let json = |part: &str| -> Result<Map<String, Value>, Rejection> {
        let raw = URL_SAFE_NO_PAD.decode(part).map_err(|_| Rejection::Malformed)?;
        serde_json::from_slice(&raw).map_err(|_| Rejection::Malformed)
    };
    if json(header)?.get("alg").and_then(Value::as_str) != Some(algorithm) {
        return Err(Rejection::WrongAlgorithm);
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| Rejection::Malformed)?;
    let signed = format!("{header}.{payload}");
    if !signature_holds(algorithm, secret, signed.as_bytes(), &signature) {
        return Err(Rejection::BadSignature);
    }
    let claims = json(payload)?;
    let time = |name: &str| claims.get(name).and_then(Value::as_f64);
    if time("exp").is_some_and(|exp| exp <= now as f64) {
        return Err(Rejection::Expired);
    }
    if time("nbf").is_some_and(|nbf| nbf > now as f64) {
        return Err(Rejection::NotYetValid);
    }
    for (name, wanted) in required {
        if !claim_matches(claims.get(name), wanted) {
            return Err(Rejection::Claim(name.clone()));
        }
    }
    Ok(claims)
}

fn claim_matches(claim: Option<&Value>, wanted: &Value) -> bool {
    let Some(claim) = claim else { return false };
    match (claim, wanted) {
        (_, Value::Array(any)) => any.contains(claim),
        (Value::Array(held), _) => held.contains(wanted),
        _ => claim == wanted,
    }
}

/// Checks in constant time (the MAC's own comparison).
fn signature_holds(algorithm: &str, secret: &[u8], signed: &[u8], signature: &[u8]) -> bool {
    fn check<M: Mac + hmac::digest::KeyInit>(secret: &[u8], signed: &[u8], signature: &[u8]) -> bool {
        let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else { return false };
        mac.update(signed);
        mac.verify_slice(signature).is_ok()
    }
    match algorithm {
        "HS256" => check::<Hmac<sha2::Sha256>>(secret, signed, signature),
        "HS384" => check::<Hmac<sha2::Sha384>>(secret, signed, signature),
        "HS512" => check::<Hmac<sha2::Sha512>>(secret, signed, signature),
        _ => false,
    }
}

/// A token signed with `secret` (HS256/384/512): for tests and for clients of this crate.
pub fn sign(algorithm: &str, secret: &[u8], claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(serde_json::json!({"alg": algorithm, "typ": "JWT"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    fn mac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], signed: &[u8]) -> Vec<u8> {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret).expect("HMAC takes any key");
        mac.update(signed);
        mac.finalize().into_bytes().to_vec()
    }
    let signature = match algorithm {
        "HS384" => mac::<Hmac<sha2::Sha384>>(secret, signed.as_bytes()),
        "HS512" => mac::<Hmac<sha2::Sha512>>(secret, signed.as_bytes()),
        _ => mac::<Hmac<sha2::Sha256>>(secret, signed.as_bytes()),
    };
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"a secret of the gate, 32 bytes..";

    #[test]
    fn a_token_passes_only_signed_valid_and_with_the_claims_asked() {
        let none = BTreeMap::new();
        let now = 1_800_000_000;
        for alg in ALGORITHMS {
            let token = sign(alg, SECRET, &json!({"sub": "ana", "exp": now + 60}));
            assert_eq!(verify(&token, alg, SECRET, &none, now).unwrap()["sub"], "ana", "{alg}");
            assert_eq!(verify(&token, alg, b"another secret", &none, now), Err(Rejection::BadSignature));
        }
        let token = sign("HS256", SECRET, &json!({"sub": "ana", "exp": now + 60}));
        assert_eq!(verify(&token, "HS512", SECRET, &none, now), Err(Rejection::WrongAlgorithm), "no downgrade");
        assert_eq!(verify(&token, "HS256", SECRET, &none, now + 60), Err(Rejection::Expired));
        let later = sign("HS256", SECRET, &json!({"nbf": now + 10}));
        assert_eq!(verify(&later, "HS256", SECRET, &none, now), Err(Rejection::NotYetValid));
        // Tampered payload, an unsigned token, garbage.
        let (head, rest) = token.split_once('.').unwrap();
        let sig = rest.split_once('.').unwrap().1;
        let forged = format!("{head}.{}.{sig}", URL_SAFE_NO_PAD.encode(json!({"sub": "root"}).to_string()));
        assert_eq!(verify(&forged, "HS256", SECRET, &none, now), Err(Rejection::BadSignature));
        let unsigned = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode("{}"));
        assert_eq!(verify(&unsigned, "HS256", SECRET, &none, now), Err(Rejection::WrongAlgorithm));
        assert_eq!(verify("a.b", "HS256", SECRET, &none, now), Err(Rejection::Malformed));
        assert_eq!(verify("", "HS256", SECRET, &none, now), Err(Rejection::Malformed));

        let roles = sign("HS256", SECRET, &json!({"role": ["dev", "ops"], "team": "core", "level": 3}));
        let want = |pairs: Value| -> BTreeMap<String, Value> { serde_json::from_value(pairs).unwrap() };
        assert!(verify(&roles, "HS256", SECRET, &want(json!({"role": "ops", "team": "core"})), now).is_ok());
        assert!(verify(&roles, "HS256", SECRET, &want(json!({"team": ["core", "web"], "level": 3})), now).is_ok());
        let missing = verify(&roles, "HS256", SECRET, &want(json!({"role": "admin"})), now);
        assert_eq!(missing, Err(Rejection::Claim("role".into())));
        assert_eq!(
            verify(&roles, "HS256", SECRET, &want(json!({"org": "x"})), now),
            Err(Rejection::Claim("org".into()))
        );
    }
}
