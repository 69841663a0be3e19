//! Verifying a parsed token: signature, audience/issuer, times and key kind (SPEC §1.3
//! step 2, §1.4, §1.5, §13.1 step 5).
//!
//! The order is node's: signature first, then expiry and `nbf`, then the key kind. The
//! optional `aud`/`iss` check (node has none) runs right after the signature: a token for
//! another audience can never become valid, so it is answered Unauthorised even when it
//! has also expired.
//!
//! The algorithm is never taken from the header alone: it must be an RSA algorithm, be in
//! the configured allow-list, and fit the JWK's own `alg` when the JWK names one.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::config::SigningKeyKind;
use crate::keys::VerifyingKey;
use crate::state::{SessionState, TryRefreshReason, UnauthorisedReason};
use crate::token::cache::VerifiedTokens;
use crate::token::parse::ParsedToken;

/// The verification settings of a layer.
pub(crate) struct VerifyOptions<'a> {
    pub(crate) algorithms: &'a [Algorithm],
    pub(crate) leeway: Duration,
    pub(crate) audience: Option<&'a [String]>,
    pub(crate) issuer: Option<&'a [String]>,
    pub(crate) key_kind: SigningKeyKind,
}

const fn try_refresh(reason: TryRefreshReason) -> SessionState {
    SessionState::TryRefresh(reason)
}

/// Verifies `token` (raw text `raw`) with `keys` (those published under its kid) at `now`.
/// `Err` is the resulting TryRefresh or Unauthorised state. The layer uses
/// [`verify_cached`]; this uncached form is what the tests pin down.
#[cfg(test)]
pub(crate) fn verify(
    raw: &str,
    token: &ParsedToken,
    keys: &[VerifyingKey],
    options: &VerifyOptions<'_>,
    now: SystemTime,
) -> Result<(), SessionState> {
    check_signature(raw, token, keys, options.algorithms)?;
    check_after_signature(token, options, now)
}

/// [`verify`], skipping the signature when `cache` saw this exact token verify under this
/// exact key set; a token that passes everything is remembered.
pub(crate) fn verify_cached(
    raw: &str,
    token: &ParsedToken,
    keys: &Arc<[VerifyingKey]>,
    options: &VerifyOptions<'_>,
    now: SystemTime,
    cache: &VerifiedTokens,
) -> Result<(), SessionState> {
    let known = cache.contains(raw, keys);
    if !known {
        check_signature(raw, token, keys, options.algorithms)?;
    }
    check_after_signature(token, options, now)?;
    if !known {
        cache.insert(raw, keys);
    }
    Ok(())
}

/// Everything after the signature, in the SDK's order: audience/issuer (when configured),
/// times, key kind.
fn check_after_signature(
    token: &ParsedToken,
    options: &VerifyOptions<'_>,
    now: SystemTime,
) -> Result<(), SessionState> {
    check_audience_and_issuer(&token.payload, options)?;
    check_times(&token.payload, options.leeway, now)?;
    match token.kid.as_deref() {
        Some(kid) if options.key_kind.accepts(kid) => Ok(()),
        _ => Err(try_refresh(TryRefreshReason::KeyKindMismatch)),
    }
}

/// The token's algorithm, if it is an RSA algorithm on the allow-list.
fn allowed_algorithm(alg: &str, allowed: &[Algorithm]) -> Option<Algorithm> {
    let alg = Algorithm::from_str(alg).ok()?;
    let rsa = matches!(
        alg,
        Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
    );
    (rsa && allowed.contains(&alg)).then_some(alg)
}

fn check_signature(
    raw: &str,
    token: &ParsedToken,
    keys: &[VerifyingKey],
    allowed: &[Algorithm],
) -> Result<(), SessionState> {
    let alg = allowed_algorithm(&token.alg, allowed)
        .ok_or(try_refresh(TryRefreshReason::AlgorithmNotAllowed))?;
    let message = raw
        .as_bytes()
        .get(..token.signing_input_len)
        .ok_or(try_refresh(TryRefreshReason::InvalidSignature))?;
    let provider = crate::crypto::provider();
    let mut candidates = keys
        .iter()
        .filter(|key| key.alg.is_none_or(|key_alg| key_alg == alg))
        .peekable();
    if candidates.peek().is_none() {
        return Err(try_refresh(TryRefreshReason::AlgorithmNotAllowed));
    }
    let verified = candidates.any(|key| {
        (provider.verifier_factory)(&alg, &key.key)
            .is_ok_and(|verifier| verifier.verify(message, &token.signature).is_ok())
    });
    if verified {
        Ok(())
    } else {
        Err(try_refresh(TryRefreshReason::InvalidSignature))
    }
}

/// `aud` must contain, and `iss` must equal, one of the configured values (when set).
fn check_audience_and_issuer(
    payload: &Map<String, Value>,
    options: &VerifyOptions<'_>,
) -> Result<(), SessionState> {
    let rejected = SessionState::Unauthorised(UnauthorisedReason::WrongAudienceOrIssuer);
    if let Some(accepted) = options.audience {
        let accepts = |aud: &Value| {
            aud.as_str()
                .is_some_and(|aud| accepted.iter().any(|a| a == aud))
        };
        let ok = match payload.get("aud") {
            Some(Value::Array(auds)) => auds.iter().any(accepts),
            Some(aud) => accepts(aud),
            None => false,
        };
        if !ok {
            return Err(rejected);
        }
    }
    if let Some(accepted) = options.issuer {
        let ok = payload
            .get("iss")
            .and_then(Value::as_str)
            .is_some_and(|iss| accepted.iter().any(|a| a == iss));
        if !ok {
            return Err(rejected);
        }
    }
    Ok(())
}

/// jose's rules with `clockTolerance = leeway`: accepted iff `exp > floor(now) - leeway`
/// and, when present, `nbf <= floor(now) + leeway`. A future `iat` is accepted.
fn check_times(
    payload: &Map<String, Value>,
    leeway: Duration,
    now: SystemTime,
) -> Result<(), SessionState> {
    // Whole seconds, as jose's `epoch(new Date())`; before the epoch reads as 0.
    #[allow(clippy::cast_precision_loss)]
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs() as f64);
    let leeway = leeway.as_secs_f64();
    let Some(exp) = payload.get("exp").and_then(Value::as_f64) else {
        // The structure check requires a number; defensive only.
        return Err(SessionState::Unauthorised(
            UnauthorisedReason::InvalidStructure("exp"),
        ));
    };
    if exp <= now - leeway {
        return Err(try_refresh(TryRefreshReason::Expired));
    }
    if let Some(nbf) = payload.get("nbf") {
        // jose throws for a non-number `nbf`; node maps every jose error to TryRefresh.
        if !nbf.as_f64().is_some_and(|nbf| nbf <= now + leeway) {
            return Err(try_refresh(TryRefreshReason::NotYetValid));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::DecodingKey;
    use serde_json::json;

    use super::*;
    use crate::testing::TestIssuer;
    use crate::token::parse::parse;

    const NOW: u64 = 1_750_000_000;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn options() -> VerifyOptions<'static> {
        VerifyOptions {
            algorithms: &[Algorithm::RS256],
            leeway: Duration::ZERO,
            audience: None,
            issuer: None,
            key_kind: SigningKeyKind::Dynamic,
        }
    }

    fn issuer() -> TestIssuer {
        TestIssuer::new().at(at(NOW))
    }

    /// Parses and verifies `raw` against the issuer's keys for its kid.
    fn check_with(
        issuer: &TestIssuer,
        raw: &str,
        options: &VerifyOptions<'_>,
        now: SystemTime,
    ) -> Result<(), SessionState> {
        let parsed = parse(raw).map_err(SessionState::Unauthorised)?;
        let keys = parsed
            .kid
            .as_deref()
            .map(|kid| issuer.verifying_keys(kid))
            .unwrap_or_default();
        verify(raw, &parsed, &keys, options, now)
    }

    fn check(issuer: &TestIssuer, raw: &str) -> Result<(), SessionState> {
        check_with(issuer, raw, &options(), at(NOW))
    }

    fn try_refresh_reason(result: Result<(), SessionState>) -> TryRefreshReason {
        match result {
            Err(SessionState::TryRefresh(reason)) => reason,
            other => panic!("expected TryRefresh, got {other:?}"),
        }
    }

    #[test]
    fn valid_token_verifies() {
        let issuer = issuer();
        assert!(check(&issuer, &issuer.token("user").sign()).is_ok());
        for version in [3, 4, 5, 6] {
            let raw = issuer.token("user").version(version).sign();
            assert!(check(&issuer, &raw).is_ok(), "v{version}");
        }
    }

    #[test]
    fn alg_none_is_refused() {
        let issuer = issuer();
        let raw = issuer
            .token("user")
            .header_field("alg", json!("none"))
            .unsigned();
        assert!(raw.ends_with('.'));
        assert_eq!(
            try_refresh_reason(check(&issuer, &raw)),
            TryRefreshReason::AlgorithmNotAllowed
        );
        // Even with RS256 in the header, an empty signature fails.
        let raw = issuer.token("user").unsigned();
        assert_eq!(
            try_refresh_reason(check(&issuer, &raw)),
            TryRefreshReason::InvalidSignature
        );
    }

    #[test]
    fn hs256_signed_with_the_public_key_is_refused() {
        let issuer = issuer();
        let raw = issuer.token("user").algorithm(Algorithm::HS256).sign();
        assert!(parse(&raw).is_ok());
        assert_eq!(
            try_refresh_reason(check(&issuer, &raw)),
            TryRefreshReason::AlgorithmNotAllowed
        );
        // Even if someone lists it: HMAC is never accepted.
        let options = VerifyOptions {
            algorithms: &[Algorithm::HS256, Algorithm::RS256],
            ..options()
        };
        assert_eq!(
            try_refresh_reason(check_with(&issuer, &raw, &options, at(NOW))),
            TryRefreshReason::AlgorithmNotAllowed
        );
        // And a key that is (wrongly) an HMAC secret made of the public key PEM does not
        // make it verify either.
        let parsed = parse(&raw).unwrap();
        let keys = [VerifyingKey {
            alg: None,
            key: DecodingKey::from_secret(issuer.public_key_pem().as_bytes()).unwrap(),
        }];
        assert_eq!(
            try_refresh_reason(verify(&raw, &parsed, &keys, &options, at(NOW))),
            TryRefreshReason::AlgorithmNotAllowed
        );
    }

    #[test]
    fn other_families_are_refused() {
        let issuer = issuer();
        for alg in ["ES256", "ES384", "EdDSA", "HS512", "RS1", "rs256", ""] {
            let raw = issuer.token("user").header_field("alg", json!(alg)).sign();
            assert_eq!(
                try_refresh_reason(check(&issuer, &raw)),
                TryRefreshReason::AlgorithmNotAllowed,
                "{alg}"
            );
        }
    }

    #[test]
    fn rs512_and_ps256_need_configuration() {
        let issuer = issuer();
        for alg in [
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::RS384,
            Algorithm::PS512,
        ] {
            let raw = issuer.token("user").algorithm(alg).sign();
            // Not allowed by default.
            assert_eq!(
                try_refresh_reason(check(&issuer, &raw)),
                TryRefreshReason::AlgorithmNotAllowed,
                "{alg:?}"
            );
            // Allowed when configured, with a JWK that names no alg.
            let algorithms = [Algorithm::RS256, alg];
            let options = VerifyOptions {
                algorithms: &algorithms,
                ..options()
            };
            let parsed = parse(&raw).unwrap();
            let kid = parsed.kid.clone().unwrap();
            let mut keys = issuer.verifying_keys(&kid);
            for key in &mut keys {
                key.alg = None;
            }
            assert!(
                verify(&raw, &parsed, &keys, &options, at(NOW)).is_ok(),
                "{alg:?}"
            );
            // A JWK that says RS256 is no candidate for another algorithm.
            let keys = issuer.verifying_keys(&kid);
            assert!(keys.iter().all(|key| key.alg == Some(Algorithm::RS256)));
            assert_eq!(
                try_refresh_reason(verify(&raw, &parsed, &keys, &options, at(NOW))),
                TryRefreshReason::AlgorithmNotAllowed
            );
            // A JWK naming the same alg is a candidate.
            let mut keys = issuer.verifying_keys(&kid);
            for key in &mut keys {
                key.alg = Some(alg);
            }
            assert!(verify(&raw, &parsed, &keys, &options, at(NOW)).is_ok());
        }
    }

    #[test]
    fn rs256_header_with_ps256_signature_fails() {
        // The header says RS256 but the bytes are a PS256 signature: the algorithm comes
        // from the allow-list check of the header, and the signature must match it.
        let issuer = issuer();
        let good = issuer.token("user").algorithm(Algorithm::PS256).sign();
        let (_, signature) = good.rsplit_once('.').unwrap();
        let rs256 = issuer.token("user").sign();
        let (signing_input, _) = rs256.rsplit_once('.').unwrap();
        let raw = format!("{signing_input}.{signature}");
        assert_eq!(
            try_refresh_reason(check(&issuer, &raw)),
            TryRefreshReason::InvalidSignature
        );
    }

    #[test]
    fn tampered_payload_fails() {
        let issuer = issuer();
        let raw = issuer.token("user").sign();
        let forged = issuer.token("admin").sign();
        let [h, _, s]: [&str; 3] = raw.split('.').collect::<Vec<_>>().try_into().unwrap();
        let [_, p, _]: [&str; 3] = forged.split('.').collect::<Vec<_>>().try_into().unwrap();
        let tampered = format!("{h}.{p}.{s}");
        assert_eq!(
            try_refresh_reason(check(&issuer, &tampered)),
            TryRefreshReason::InvalidSignature
        );
    }

    #[test]
    fn tampered_kid_fails() {
        let issuer = issuer();
        issuer.rotate("d-1800000000000");
        // Signed with the new key, but the header names the old kid.
        let raw = issuer.token("user").kid("d-1700000000000").sign();
        assert_eq!(
            try_refresh_reason(check(&issuer, &raw)),
            TryRefreshReason::InvalidSignature
        );
        // Re-signing the same payload under the old header: the kid is in the signed part.
        let good = issuer.token("user").sign();
        let [_, p, s]: [&str; 3] = good.split('.').collect::<Vec<_>>().try_into().unwrap();
        let header =
            json!({"kid": "d-1700000000000", "typ": "JWT", "version": "5", "alg": "RS256"});
        let h = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(&header).unwrap(),
        );
        let raw = format!("{h}.{p}.{s}");
        assert_eq!(
            try_refresh_reason(check(&issuer, &raw)),
            TryRefreshReason::InvalidSignature
        );
    }

    #[test]
    fn no_keys_or_wrong_key() {
        let issuer = issuer();
        let raw = issuer.token("user").sign();
        let parsed = parse(&raw).unwrap();
        assert_eq!(
            try_refresh_reason(verify(&raw, &parsed, &[], &options(), at(NOW))),
            TryRefreshReason::AlgorithmNotAllowed
        );
        // A different key under the same kid.
        let other = TestIssuer::with_kid("d-other").at(at(NOW));
        other.rotate("d-1700000000000");
        let keys = other.verifying_keys("d-1700000000000");
        assert_eq!(keys.len(), 1);
        assert_eq!(
            try_refresh_reason(verify(&raw, &parsed, &keys, &options(), at(NOW))),
            TryRefreshReason::InvalidSignature
        );
        // Several candidates: the right one is found.
        let mut keys = other.verifying_keys("d-1700000000000");
        keys.extend(issuer.verifying_keys("d-1700000000000"));
        assert!(verify(&raw, &parsed, &keys, &options(), at(NOW)).is_ok());
    }

    #[test]
    fn signing_input_out_of_range_fails_safely() {
        let issuer = issuer();
        let raw = issuer.token("user").sign();
        let mut parsed = parse(&raw).unwrap();
        parsed.signing_input_len = raw.len() + 10;
        let keys = issuer.verifying_keys("d-1700000000000");
        assert_eq!(
            try_refresh_reason(verify(&raw, &parsed, &keys, &options(), at(NOW))),
            TryRefreshReason::InvalidSignature
        );
    }

    #[test]
    fn expiry_is_exact_to_the_second() {
        let issuer = issuer();
        let raw = issuer
            .token("user")
            .issued_at(at(NOW - 3600))
            .expires_in(Duration::from_secs(3600))
            .sign();
        assert_eq!(parse(&raw).unwrap().payload["exp"], json!(NOW));
        // Valid during the last second before exp.
        let last = at(NOW - 1) + Duration::from_millis(999);
        assert!(check_with(&issuer, &raw, &options(), last).is_ok());
        // Expired at exp, and one second later.
        assert_eq!(
            try_refresh_reason(check_with(&issuer, &raw, &options(), at(NOW))),
            TryRefreshReason::Expired
        );
        assert_eq!(
            try_refresh_reason(check_with(&issuer, &raw, &options(), at(NOW + 1))),
            TryRefreshReason::Expired
        );
        // Leeway extends it.
        let lenient = VerifyOptions {
            leeway: Duration::from_secs(2),
            ..options()
        };
        assert!(check_with(&issuer, &raw, &lenient, at(NOW + 1)).is_ok());
        assert_eq!(
            try_refresh_reason(check_with(&issuer, &raw, &lenient, at(NOW + 2))),
            TryRefreshReason::Expired
        );
    }

    #[test]
    fn float_exp_is_compared_as_a_number() {
        let issuer = issuer();
        let raw = issuer
            .token("user")
            .claim("exp", json!(1_750_000_000.5))
            .sign();
        assert!(check_with(&issuer, &raw, &options(), at(NOW)).is_ok());
        assert_eq!(
            try_refresh_reason(check_with(&issuer, &raw, &options(), at(NOW + 1))),
            TryRefreshReason::Expired
        );
    }

    #[test]
    fn expiry_is_checked_after_the_signature() {
        let issuer = issuer();
        let raw = issuer.token("user").expires_in(Duration::ZERO).sign();
        assert_eq!(
            try_refresh_reason(check(&issuer, &raw)),
            TryRefreshReason::Expired
        );
        let (signing_input, _) = raw.rsplit_once('.').unwrap();
        let forged = format!("{signing_input}.AQ");
        assert_eq!(
            try_refresh_reason(check(&issuer, &forged)),
            TryRefreshReason::InvalidSignature
        );
    }

    #[test]
    fn nbf_in_the_future_is_not_yet_valid() {
        let issuer = issuer();
        let raw = issuer.token("user").claim("nbf", json!(NOW + 1)).sign();
        assert_eq!(
            try_refresh_reason(check(&issuer, &raw)),
            TryRefreshReason::NotYetValid
        );
        let raw = issuer.token("user").claim("nbf", json!(NOW)).sign();
        assert!(check(&issuer, &raw).is_ok());
        let raw = issuer.token("user").claim("nbf", json!(NOW + 5)).sign();
        let lenient = VerifyOptions {
            leeway: Duration::from_secs(5),
            ..options()
        };
        assert!(check_with(&issuer, &raw, &lenient, at(NOW)).is_ok());
        let raw = issuer.token("user").claim("nbf", json!("later")).sign();
        assert_eq!(
            try_refresh_reason(check(&issuer, &raw)),
            TryRefreshReason::NotYetValid
        );
    }

    #[test]
    fn future_iat_is_accepted() {
        let issuer = issuer();
        let raw = issuer.token("user").issued_at(at(NOW + 600)).sign();
        assert!(check(&issuer, &raw).is_ok());
    }

    #[test]
    fn audience_and_issuer_are_ignored_unless_configured() {
        let issuer = issuer();
        let raw = issuer
            .token("user")
            .claim("aud", json!("someone-else"))
            .claim("iss", json!("https://elsewhere"))
            .sign();
        assert!(check(&issuer, &raw).is_ok());

        let audience = ["api".to_owned(), "web".to_owned()];
        let issuers = ["https://auth.example".to_owned()];
        let strict = VerifyOptions {
            audience: Some(&audience),
            issuer: Some(&issuers),
            ..options()
        };
        let wrong = Err::<(), _>(());
        let cases = [
            (json!("web"), json!("https://auth.example"), Ok(())),
            (json!(["x", "api"]), json!("https://auth.example"), Ok(())),
            (json!("x"), json!("https://auth.example"), wrong),
            (json!(["x", 1]), json!("https://auth.example"), wrong),
            (json!(null), json!("https://auth.example"), wrong),
            (json!("api"), json!("https://other"), wrong),
            (json!("api"), json!(["https://auth.example"]), wrong),
        ];
        for (aud, iss, expected) in cases {
            let raw = issuer
                .token("user")
                .claim("aud", aud.clone())
                .claim("iss", iss.clone())
                .sign();
            let result = check_with(&issuer, &raw, &strict, at(NOW));
            match expected {
                Ok(()) => assert!(result.is_ok(), "{aud} {iss}"),
                Err(()) => assert!(
                    matches!(
                        result,
                        Err(SessionState::Unauthorised(
                            UnauthorisedReason::WrongAudienceOrIssuer
                        ))
                    ),
                    "{aud} {iss}"
                ),
            }
        }
        // Missing aud with an audience configured.
        let raw = issuer.token("user").without_field("aud").sign();
        let only_audience = VerifyOptions {
            audience: Some(&audience),
            ..options()
        };
        assert!(matches!(
            check_with(&issuer, &raw, &only_audience, at(NOW)),
            Err(SessionState::Unauthorised(
                UnauthorisedReason::WrongAudienceOrIssuer
            ))
        ));
        // Only the issuer configured: the default minted iss.
        let own = [issuer.issuer_claim().to_owned()];
        let only_issuer = VerifyOptions {
            issuer: Some(&own),
            ..options()
        };
        assert!(check_with(&issuer, &issuer.token("user").sign(), &only_issuer, at(NOW)).is_ok());
    }

    #[test]
    fn key_kind() {
        let dynamic = issuer();
        let static_ = TestIssuer::with_kid("s-f836dd32-ef71-426a-8804-946a7f230bc9").at(at(NOW));
        let d = dynamic.token("user").sign();
        let s = static_.token("user").sign();
        let with_kind = |key_kind| VerifyOptions {
            key_kind,
            ..options()
        };
        let run = |issuer: &TestIssuer, raw: &str, kind| {
            check_with(issuer, raw, &with_kind(kind), at(NOW))
        };
        assert!(run(&dynamic, &d, SigningKeyKind::Dynamic).is_ok());
        assert_eq!(
            try_refresh_reason(run(&static_, &s, SigningKeyKind::Dynamic)),
            TryRefreshReason::KeyKindMismatch
        );
        assert!(run(&static_, &s, SigningKeyKind::Static).is_ok());
        assert_eq!(
            try_refresh_reason(run(&dynamic, &d, SigningKeyKind::Static)),
            TryRefreshReason::KeyKindMismatch
        );
        assert!(run(&dynamic, &d, SigningKeyKind::Any).is_ok());
        assert!(run(&static_, &s, SigningKeyKind::Any).is_ok());
        // Checked after expiry.
        let expired = static_.token("user").expires_in(Duration::ZERO).sign();
        assert_eq!(
            try_refresh_reason(run(&static_, &expired, SigningKeyKind::Dynamic)),
            TryRefreshReason::Expired
        );
    }

    #[test]
    fn missing_kid_is_a_key_kind_mismatch() {
        // Defensive: a token without a string kid never finds keys, but if it did...
        let issuer = issuer();
        let raw = issuer.token("user").header_field("kid", json!(7)).sign();
        let parsed = parse(&raw).unwrap();
        assert_eq!(parsed.kid, None);
        let keys = issuer.verifying_keys("d-1700000000000");
        assert_eq!(
            try_refresh_reason(verify(&raw, &parsed, &keys, &options(), at(NOW))),
            TryRefreshReason::KeyKindMismatch
        );
        let any = VerifyOptions {
            key_kind: SigningKeyKind::Any,
            ..options()
        };
        assert_eq!(
            try_refresh_reason(verify(&raw, &parsed, &keys, &any, at(NOW))),
            TryRefreshReason::KeyKindMismatch
        );
    }

    #[test]
    fn time_before_the_epoch_does_not_panic() {
        let issuer = issuer();
        let raw = issuer.token("user").sign();
        let before = UNIX_EPOCH - Duration::from_secs(10);
        assert!(check_with(&issuer, &raw, &options(), before).is_ok());
    }

    // Interop vectors (SPEC §8): real tokens minted by SuperTokens cores.

    struct Vector {
        name: String,
        token: String,
        at: SystemTime,
        keys: Vec<(String, VerifyingKey)>,
    }

    fn vectors() -> Vec<Vector> {
        let json: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/published-vectors.json"))
                .unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .map(|vector| Vector {
                name: vector["name"].as_str().unwrap().to_owned(),
                token: vector["token"].as_str().unwrap().to_owned(),
                at: at(vector["verifyAtUnixSeconds"].as_u64().unwrap()),
                keys: vector["jwks"]["keys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|jwk| {
                        let key = DecodingKey::from_rsa_components(
                            jwk["n"].as_str().unwrap(),
                            jwk["e"].as_str().unwrap(),
                        )
                        .unwrap();
                        let alg = jwk["alg"]
                            .as_str()
                            .map(|alg| Algorithm::from_str(alg).unwrap());
                        (
                            jwk["kid"].as_str().unwrap().to_owned(),
                            VerifyingKey { alg, key },
                        )
                    })
                    .collect(),
            })
            .collect()
    }

    fn vector(name: &str) -> Vector {
        vectors().into_iter().find(|v| v.name == name).unwrap()
    }

    fn verify_vector(
        vector: &Vector,
        raw: &str,
        key_kind: SigningKeyKind,
        now: SystemTime,
    ) -> Result<(), SessionState> {
        let parsed = parse(raw).map_err(SessionState::Unauthorised)?;
        let keys: Vec<VerifyingKey> = vector
            .keys
            .iter()
            .filter(|(kid, _)| Some(kid.as_str()) == parsed.kid.as_deref())
            .map(|(_, key)| VerifyingKey {
                alg: key.alg,
                key: key.key.clone(),
            })
            .collect();
        let options = VerifyOptions {
            key_kind,
            ..options()
        };
        verify(raw, &parsed, &keys, &options, now)
    }

    #[test]
    fn v4_dynamic_vector_verifies() {
        let v = vector("litellm-v4-dynamic-key");
        let parsed = parse(&v.token).unwrap();
        assert_eq!(parsed.version, 4);
        assert_eq!(parsed.kid.as_deref(), Some("d-1733370597545"));
        assert!(verify_vector(&v, &v.token, SigningKeyKind::Dynamic, v.at).is_ok());
        assert!(verify_vector(&v, &v.token, SigningKeyKind::Any, v.at).is_ok());
        assert_eq!(
            try_refresh_reason(verify_vector(&v, &v.token, SigningKeyKind::Static, v.at)),
            TryRefreshReason::KeyKindMismatch
        );
        // Expired after exp = 1733507877.
        assert!(verify_vector(&v, &v.token, SigningKeyKind::Dynamic, at(1_733_507_876)).is_ok());
        assert_eq!(
            try_refresh_reason(verify_vector(
                &v,
                &v.token,
                SigningKeyKind::Dynamic,
                at(1_733_507_877)
            )),
            TryRefreshReason::Expired
        );
    }

    #[test]
    fn v5_static_vector_verifies() {
        let v = vector("appstractive-v5-static-key");
        let parsed = parse(&v.token).unwrap();
        assert_eq!(parsed.version, 5);
        // It carries `aud`, which is ignored by default.
        assert!(parsed.payload.contains_key("aud"));
        assert_eq!(
            try_refresh_reason(verify_vector(&v, &v.token, SigningKeyKind::Dynamic, v.at)),
            TryRefreshReason::KeyKindMismatch
        );
        assert!(verify_vector(&v, &v.token, SigningKeyKind::Static, v.at).is_ok());
        assert!(verify_vector(&v, &v.token, SigningKeyKind::Any, v.at).is_ok());
    }

    #[test]
    fn tampered_vector_fails() {
        let v = vector("appstractive-v5-tampered");
        assert!(parse(&v.token).is_ok());
        assert_eq!(
            try_refresh_reason(verify_vector(&v, &v.token, SigningKeyKind::Any, v.at)),
            TryRefreshReason::InvalidSignature
        );
    }

    #[test]
    fn one_altered_byte_in_a_vector_fails() {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for name in ["litellm-v4-dynamic-key", "appstractive-v5-static-key"] {
            let v = vector(name);
            let bytes = v.token.as_bytes();
            let mut checked = 0;
            // Every 5th position, in all three segments; the replacement keeps the token
            // in the base64url alphabet.
            for i in (0..bytes.len()).step_by(5) {
                if bytes[i] == b'.' {
                    continue;
                }
                let replacement = if bytes[i] == b'A' { b'B' } else { b'A' };
                let mut altered = bytes.to_vec();
                altered[i] = replacement;
                assert!(ALPHABET.contains(&replacement));
                let altered = String::from_utf8(altered).unwrap();
                let result = verify_vector(&v, &altered, SigningKeyKind::Any, v.at);
                assert!(result.is_err(), "{name}: byte {i} altered still verifies");
                checked += 1;
            }
            assert!(checked > 200);
        }
    }
}
