//! Parsing an access token's header and payload and checking their SuperTokens structure
//! (SPEC §1.1–§1.3, §13.9), before any signature work.
//!
//! This is node's `parseJWTWithoutSignatureVerification` followed by
//! `validateAccessTokenStructure`, with one deliberate difference: the three segments of a
//! v3+ token must be canonical base64url without padding, and a header `version` must be
//! a canonical decimal string. Node's decoders are lenient there; no real core produces
//! such tokens.

use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use crate::config::MAX_TOKEN_BYTES;
use crate::state::UnauthorisedReason;

/// A token whose header and payload parsed and passed the structure check.
#[derive(Debug, Clone)]
pub(crate) struct ParsedToken {
    /// Header `version` (missing → 3); 1 or 2 for legacy tokens.
    pub(crate) version: u32,
    /// Header `kid`; `None` when absent or not a string.
    pub(crate) kid: Option<String>,
    /// Header `alg`.
    pub(crate) alg: String,
    /// The decoded payload.
    pub(crate) payload: Map<String, Value>,
    /// Byte length of `header.payload`, the signed part of the raw token.
    pub(crate) signing_input_len: usize,
    /// The decoded signature.
    pub(crate) signature: Vec<u8>,
}

/// The header segment of a v1 token, compared byte for byte (`jwt.ts` `HEADERS`).
pub(crate) const LEGACY_V1_HEADER: &str =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsInZlcnNpb24iOiIxIn0=";
/// The header segment of a v2 token, compared byte for byte.
pub(crate) const LEGACY_V2_HEADER: &str =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsInZlcnNpb24iOiIyIn0=";

/// Legacy segments are standard base64, padded or not. They are only read to classify the
/// token (it is answered TryRefresh without verification), so leniency costs nothing.
const LEGACY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Parses and structure-checks `raw`.
pub(crate) fn parse(raw: &str) -> Result<ParsedToken, UnauthorisedReason> {
    // Checked before any decoding: the work below is linear in the length.
    if raw.len() > MAX_TOKEN_BYTES {
        return Err(UnauthorisedReason::TooLarge);
    }
    let mut segments = raw.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(UnauthorisedReason::Malformed(
            "expected three dot-separated segments",
        ));
    };
    let signing_input_len = header.len() + 1 + payload.len();

    if header == LEGACY_V1_HEADER || header == LEGACY_V2_HEADER {
        let version = if header == LEGACY_V1_HEADER { 1 } else { 2 };
        return parse_legacy(version, payload, signature, signing_input_len);
    }

    let header = decode_json_object(header, "header")?;
    let version = header_version(&header)?;
    if header.get("typ").and_then(Value::as_str) != Some("JWT") {
        return Err(UnauthorisedReason::InvalidStructure("typ"));
    }
    let Some(alg) = header.get("alg").and_then(Value::as_str) else {
        return Err(UnauthorisedReason::InvalidStructure("alg"));
    };
    // Node only requires `kid` to be defined; a non-string kid later finds no key.
    let Some(kid) = header.get("kid") else {
        return Err(UnauthorisedReason::InvalidStructure("kid"));
    };
    let kid = kid.as_str().map(str::to_owned);
    let alg = alg.to_owned();

    let payload = decode_json_object(payload, "payload")?;
    check_structure(&payload, version)?;

    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| UnauthorisedReason::Malformed("signature is not canonical base64url"))?;

    Ok(ParsedToken {
        version,
        kid,
        alg,
        payload,
        signing_input_len,
        signature,
    })
}

/// A v1/v2 token: fixed header, standard base64 payload with the v2 structure.
fn parse_legacy(
    version: u32,
    payload: &str,
    signature: &str,
    signing_input_len: usize,
) -> Result<ParsedToken, UnauthorisedReason> {
    let bytes = LEGACY_BASE64
        .decode(payload)
        .map_err(|_| UnauthorisedReason::Malformed("payload is not base64"))?;
    let payload: Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|_| UnauthorisedReason::Malformed("payload is not a JSON object"))?;
    check_structure(&payload, version)?;
    Ok(ParsedToken {
        version,
        kid: None,
        alg: "RS256".to_owned(),
        payload,
        signing_input_len,
        // Never verified: a legacy token is answered TryRefresh.
        signature: LEGACY_BASE64.decode(signature).unwrap_or_default(),
    })
}

/// Decodes one canonical base64url segment holding a JSON object.
fn decode_json_object(
    segment: &str,
    what: &'static str,
) -> Result<Map<String, Value>, UnauthorisedReason> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| {
        UnauthorisedReason::Malformed(if what == "header" {
            "header is not canonical base64url"
        } else {
            "payload is not canonical base64url"
        })
    })?;
    serde_json::from_slice(&bytes).map_err(|_| {
        UnauthorisedReason::Malformed(if what == "header" {
            "header is not a JSON object"
        } else {
            "payload is not a JSON object"
        })
    })
}

/// The header `version`: absent → 3; else a JSON string with a canonical decimal integer
/// of at least 3.
fn header_version(header: &Map<String, Value>) -> Result<u32, UnauthorisedReason> {
    let Some(version) = header.get("version") else {
        return Ok(3);
    };
    let version = version
        .as_str()
        .and_then(canonical_decimal)
        .ok_or(UnauthorisedReason::InvalidStructure("version"))?;
    if version < 3 {
        // v1/v2 are recognised only by their fixed header strings.
        return Err(UnauthorisedReason::InvalidStructure("version"));
    }
    Ok(version)
}

/// `"0"` or a non-empty run of ASCII digits without a leading zero, fitting a `u32`.
fn canonical_decimal(text: &str) -> Option<u32> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

/// Node's `validateAccessTokenStructure(payload, version)`.
fn check_structure(payload: &Map<String, Value>, version: u32) -> Result<(), UnauthorisedReason> {
    if payload
        .get("stt")
        .is_some_and(|stt| stt.as_f64() != Some(0.0))
    {
        return Err(UnauthorisedReason::WrongTokenType);
    }
    let (strings, numbers): (&[&'static str], &[&'static str]) = if version >= 5 {
        (
            &["sub", "sessionHandle", "refreshTokenHash1", "rsub"],
            &["exp", "iat"],
        )
    } else if version >= 3 {
        (
            &["sub", "sessionHandle", "refreshTokenHash1"],
            &["exp", "iat"],
        )
    } else {
        (
            &["sessionHandle", "userId", "refreshTokenHash1"],
            &["expiryTime", "timeCreated"],
        )
    };
    for &field in strings {
        if !payload.get(field).is_some_and(Value::is_string) {
            return Err(UnauthorisedReason::InvalidStructure(field));
        }
    }
    for &field in numbers {
        if !payload.get(field).is_some_and(Value::is_number) {
            return Err(UnauthorisedReason::InvalidStructure(field));
        }
    }
    // JSON `null` is "defined" in JavaScript; only absence fails.
    if version < 3 && !payload.contains_key("userData") {
        return Err(UnauthorisedReason::InvalidStructure("userData"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::TestIssuer;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A token from explicit header and payload JSON with a dummy signature.
    fn token(header: &Value, payload: &Value) -> String {
        format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(payload.to_string().as_bytes()),
            b64(b"signature")
        )
    }

    fn v5_header() -> Value {
        json!({"kid": "d-1", "typ": "JWT", "version": "5", "alg": "RS256"})
    }

    fn v5_payload() -> Value {
        json!({
            "iat": 1_700_000_000, "exp": 1_700_003_600, "sub": "user", "tId": "public",
            "rsub": "user", "sessionHandle": "h", "refreshTokenHash1": "r",
            "parentRefreshTokenHash1": null, "antiCsrfToken": null,
        })
    }

    fn without(mut value: Value, key: &str) -> Value {
        if let Some(object) = value.as_object_mut() {
            object.remove(key);
        }
        value
    }

    fn with(mut value: Value, key: &str, field: Value) -> Value {
        if let Some(object) = value.as_object_mut() {
            object.insert(key.to_owned(), field);
        }
        value
    }

    fn err(raw: &str) -> UnauthorisedReason {
        match parse(raw) {
            Ok(parsed) => panic!("expected an error, parsed {parsed:?}"),
            Err(reason) => reason,
        }
    }

    #[test]
    fn minted_v5_token_parses() {
        let raw = TestIssuer::new().token("user-1").sign();
        let parsed = parse(&raw).unwrap();
        assert_eq!(parsed.version, 5);
        assert_eq!(parsed.kid.as_deref(), Some("d-1700000000000"));
        assert_eq!(parsed.alg, "RS256");
        assert_eq!(parsed.payload["sub"], "user-1");
        assert_eq!(parsed.signature.len(), 256);
        let second_dot = raw.match_indices('.').nth(1).map(|(i, _)| i);
        assert_eq!(Some(parsed.signing_input_len), second_dot);
    }

    #[test]
    fn explicit_v5_parses() {
        let parsed = parse(&token(&v5_header(), &v5_payload())).unwrap();
        assert_eq!(parsed.version, 5);
        assert_eq!(parsed.signature, b"signature");
    }

    #[test]
    fn segment_count_must_be_three() {
        let good = token(&v5_header(), &v5_payload());
        for raw in [
            String::new(),
            "garbage".to_owned(),
            "a.b".to_owned(),
            "...".to_owned(),
            format!("{good}.extra"),
            good.rsplit_once('.').map(|(hp, _)| hp.to_owned()).unwrap(),
        ] {
            assert!(
                matches!(err(&raw), UnauthorisedReason::Malformed(_)),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn empty_and_garbage_segments() {
        for raw in ["..", "a.b.c", "!!!.???.***", "\u{e9}.\u{e9}.\u{e9}"] {
            assert!(
                matches!(err(raw), UnauthorisedReason::Malformed(_)),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn oversized_token_is_too_large() {
        let raw = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(err(&raw), UnauthorisedReason::TooLarge);
        // Just at the limit: decoded normally (and rejected for its shape).
        let raw = "a".repeat(MAX_TOKEN_BYTES);
        assert!(matches!(err(&raw), UnauthorisedReason::Malformed(_)));
        // A well-formed but padded-out token over the limit.
        let payload = with(v5_payload(), "pad", json!("x".repeat(MAX_TOKEN_BYTES)));
        assert_eq!(
            err(&token(&v5_header(), &payload)),
            UnauthorisedReason::TooLarge
        );
    }

    #[test]
    fn padding_is_rejected_in_every_segment() {
        let raw = token(&v5_header(), &v5_payload());
        let [h, p, s]: [&str; 3] = raw.split('.').collect::<Vec<_>>().try_into().unwrap();
        // Pick contents whose length forces padding in base64.
        let h_pad = ["", "a", "ab"]
            .iter()
            .map(|filler| {
                base64::engine::general_purpose::URL_SAFE
                    .encode(with(v5_header(), "x", json!(filler)).to_string())
            })
            .find(|encoded| encoded.ends_with('='))
            .unwrap();
        assert!(matches!(
            err(&format!("{h_pad}.{p}.{s}")),
            UnauthorisedReason::Malformed(_)
        ));
        assert!(matches!(
            err(&format!("{h}.{p}=.{s}")),
            UnauthorisedReason::Malformed(_)
        ));
        let s_pad = base64::engine::general_purpose::URL_SAFE.encode(b"sig");
        let s_pad = format!("{s_pad}=");
        assert!(matches!(
            err(&format!("{h}.{p}.{s_pad}")),
            UnauthorisedReason::Malformed(_)
        ));
        let s_padded = base64::engine::general_purpose::URL_SAFE.encode(b"si");
        assert!(s_padded.ends_with('='));
        assert!(matches!(
            err(&format!("{h}.{p}.{s_padded}")),
            UnauthorisedReason::Malformed(_)
        ));
    }

    #[test]
    fn standard_alphabet_is_rejected() {
        let raw = token(&v5_header(), &v5_payload());
        let [h, p, _]: [&str; 3] = raw.split('.').collect::<Vec<_>>().try_into().unwrap();
        for sig in ["ab+d", "ab/d"] {
            assert!(matches!(
                err(&format!("{h}.{p}.{sig}")),
                UnauthorisedReason::Malformed(_)
            ));
        }
        // A payload whose standard encoding contains '+' or '/'.
        let payload = with(v5_payload(), "x", json!("\u{fb}\u{ff}\u{fe}>?"));
        let standard = base64::engine::general_purpose::STANDARD_NO_PAD.encode(payload.to_string());
        assert!(
            standard.contains('+') || standard.contains('/'),
            "{standard}"
        );
        assert!(matches!(
            err(&format!("{h}.{standard}.c2ln")),
            UnauthorisedReason::Malformed(_)
        ));
    }

    /// `segment` with its lowest trailing bit set, when it has trailing bits.
    fn set_trailing_bit(segment: &str) -> Option<String> {
        const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        if segment.len().is_multiple_of(4) {
            return None;
        }
        let (head, last) = segment.split_at(segment.len() - 1);
        let index = ALPHABET.find(last)?;
        let flipped = ALPHABET.chars().nth(index | 1)?;
        (flipped.to_string() != last).then(|| format!("{head}{flipped}"))
    }

    #[test]
    fn non_canonical_trailing_bits_are_rejected() {
        // "AQ" is canonical for [0x01]; "AR" decodes to the same byte with a set trailing bit.
        let raw = token(&v5_header(), &v5_payload());
        let (hp, _) = raw.rsplit_once('.').unwrap();
        assert!(parse(&format!("{hp}.AQ")).is_ok());
        assert!(matches!(
            err(&format!("{hp}.AR")),
            UnauthorisedReason::Malformed(_)
        ));
        // A length of 1 mod 4 is never valid.
        assert!(matches!(
            err(&format!("{hp}.AQAAA")),
            UnauthorisedReason::Malformed(_)
        ));
        // Header and payload with trailing bits (padded with a filler field until their
        // encoded length is not a multiple of 4).
        let mut tested = (false, false);
        for filler in ["", "a", "ab", "abc"] {
            let header = with(v5_header(), "x", json!(filler));
            let payload = with(v5_payload(), "x", json!(filler));
            let raw = token(&header, &payload);
            assert!(parse(&raw).is_ok());
            let [h, p, s]: [&str; 3] = raw.split('.').collect::<Vec<_>>().try_into().unwrap();
            if let Some(bad) = set_trailing_bit(h) {
                assert!(matches!(
                    err(&format!("{bad}.{p}.{s}")),
                    UnauthorisedReason::Malformed(_)
                ));
                tested.0 = true;
            }
            if let Some(bad) = set_trailing_bit(p) {
                assert!(matches!(
                    err(&format!("{h}.{bad}.{s}")),
                    UnauthorisedReason::Malformed(_)
                ));
                tested.1 = true;
            }
        }
        assert_eq!(tested, (true, true));
    }

    #[test]
    fn header_must_be_an_object_with_typ_jwt_alg_and_kid() {
        let payload = v5_payload();
        let cases = [
            (json!([1, 2]), "array"),
            (json!("JWT"), "string"),
            (json!(null), "null"),
        ];
        for (header, name) in cases {
            assert!(
                matches!(
                    err(&token(&header, &payload)),
                    UnauthorisedReason::Malformed(_)
                ),
                "{name}"
            );
        }
        assert_eq!(
            err(&token(&without(v5_header(), "typ"), &payload)),
            UnauthorisedReason::InvalidStructure("typ")
        );
        assert_eq!(
            err(&token(&with(v5_header(), "typ", json!("jwt")), &payload)),
            UnauthorisedReason::InvalidStructure("typ")
        );
        assert_eq!(
            err(&token(&with(v5_header(), "typ", json!(1)), &payload)),
            UnauthorisedReason::InvalidStructure("typ")
        );
        assert_eq!(
            err(&token(&without(v5_header(), "alg"), &payload)),
            UnauthorisedReason::InvalidStructure("alg")
        );
        assert_eq!(
            err(&token(&with(v5_header(), "alg", json!(256)), &payload)),
            UnauthorisedReason::InvalidStructure("alg")
        );
        assert_eq!(
            err(&token(&without(v5_header(), "kid"), &payload)),
            UnauthorisedReason::InvalidStructure("kid")
        );
    }

    #[test]
    fn non_string_kid_parses_without_kid() {
        for kid in [json!(null), json!(7), json!({"a": 1})] {
            let parsed = parse(&token(&with(v5_header(), "kid", kid), &v5_payload())).unwrap();
            assert_eq!(parsed.kid, None);
        }
    }

    #[test]
    fn header_version_rules() {
        let payload = v5_payload();
        let version_of =
            |version: Value| parse(&token(&with(v5_header(), "version", version), &payload));
        assert_eq!(version_of(json!("3")).unwrap().version, 3);
        assert_eq!(version_of(json!("4")).unwrap().version, 4);
        assert_eq!(version_of(json!("5")).unwrap().version, 5);
        // Above 5: the v5 rules.
        assert_eq!(version_of(json!("6")).unwrap().version, 6);
        assert_eq!(version_of(json!("42")).unwrap().version, 42);
        // Missing: v3.
        let parsed = parse(&token(&without(v5_header(), "version"), &payload)).unwrap();
        assert_eq!(parsed.version, 3);
        // Non-canonical or non-string: Unauthorised (node's parseInt would read 5).
        for bad in [
            json!(5),
            json!(5.0),
            json!(null),
            json!(["5"]),
            json!("5abc"),
            json!(" 5"),
            json!("5 "),
            json!("5.9"),
            json!("05"),
            json!("+5"),
            json!("-5"),
            json!(""),
            json!("five"),
            json!("99999999999999999999"),
        ] {
            assert_eq!(
                version_of(bad.clone()).unwrap_err(),
                UnauthorisedReason::InvalidStructure("version"),
                "{bad}"
            );
        }
        // Below 3 with a non-legacy header.
        for low in ["0", "1", "2"] {
            assert_eq!(
                version_of(json!(low)).unwrap_err(),
                UnauthorisedReason::InvalidStructure("version")
            );
        }
    }

    #[test]
    fn payload_must_be_an_object() {
        for payload in [json!([1]), json!("x"), json!(5), json!(null)] {
            assert!(matches!(
                err(&token(&v5_header(), &payload)),
                UnauthorisedReason::Malformed(_)
            ));
        }
        let raw = format!(
            "{}.{}.c2ln",
            b64(v5_header().to_string().as_bytes()),
            b64(b"{not json")
        );
        assert!(matches!(err(&raw), UnauthorisedReason::Malformed(_)));
    }

    #[test]
    fn v5_requires_each_field_with_its_type() {
        for field in [
            "sub",
            "sessionHandle",
            "refreshTokenHash1",
            "rsub",
            "exp",
            "iat",
        ] {
            assert_eq!(
                err(&token(&v5_header(), &without(v5_payload(), field))),
                UnauthorisedReason::InvalidStructure(field),
                "missing {field}"
            );
            let wrong = if matches!(field, "exp" | "iat") {
                json!("1700003600")
            } else {
                json!(1)
            };
            assert_eq!(
                err(&token(&v5_header(), &with(v5_payload(), field, wrong))),
                UnauthorisedReason::InvalidStructure(field),
                "mistyped {field}"
            );
            assert_eq!(
                err(&token(
                    &v5_header(),
                    &with(v5_payload(), field, json!(null))
                )),
                UnauthorisedReason::InvalidStructure(field),
                "null {field}"
            );
        }
        // The same rules above v5.
        let v6 = with(v5_header(), "version", json!("6"));
        assert_eq!(
            err(&token(&v6, &without(v5_payload(), "rsub"))),
            UnauthorisedReason::InvalidStructure("rsub")
        );
    }

    #[test]
    fn string_exp_is_invalid_structure() {
        assert_eq!(
            err(&token(
                &v5_header(),
                &with(v5_payload(), "exp", json!("1700003600"))
            )),
            UnauthorisedReason::InvalidStructure("exp")
        );
    }

    #[test]
    fn v3_and_v4_do_not_need_rsub_or_tid() {
        for version in ["3", "4"] {
            let header = with(v5_header(), "version", json!(version));
            let payload = without(without(v5_payload(), "rsub"), "tId");
            assert!(parse(&token(&header, &payload)).is_ok(), "v{version}");
            for field in ["sub", "sessionHandle", "refreshTokenHash1", "exp", "iat"] {
                assert_eq!(
                    err(&token(&header, &without(payload.clone(), field))),
                    UnauthorisedReason::InvalidStructure(field),
                    "v{version} missing {field}"
                );
            }
        }
        // No version (v3) likewise.
        let payload = without(without(v5_payload(), "rsub"), "tId");
        assert!(parse(&token(&without(v5_header(), "version"), &payload)).is_ok());
    }

    #[test]
    fn v5_without_tid_is_accepted() {
        assert!(parse(&token(&v5_header(), &without(v5_payload(), "tId"))).is_ok());
    }

    #[test]
    fn lenient_fields() {
        // Float exp, empty sub, nullable props absent or of any type, tId of any type.
        let payload = with(v5_payload(), "exp", json!(1_700_003_600.5));
        assert!(parse(&token(&v5_header(), &payload)).is_ok());
        let payload = with(v5_payload(), "sub", json!(""));
        assert!(parse(&token(&v5_header(), &payload)).is_ok());
        let payload = without(
            without(v5_payload(), "antiCsrfToken"),
            "parentRefreshTokenHash1",
        );
        assert!(parse(&token(&v5_header(), &payload)).is_ok());
        let payload = with(v5_payload(), "antiCsrfToken", json!(12));
        assert!(parse(&token(&v5_header(), &payload)).is_ok());
    }

    #[test]
    fn stt_other_than_zero_is_wrong_token_type() {
        for stt in [json!(1), json!(2), json!("0"), json!(null), json!(false)] {
            // Checked before the structure: even an otherwise empty payload.
            assert_eq!(
                err(&token(&v5_header(), &json!({"stt": stt}))),
                UnauthorisedReason::WrongTokenType,
                "{stt}"
            );
            assert_eq!(
                err(&token(
                    &v5_header(),
                    &with(v5_payload(), "stt", stt.clone())
                )),
                UnauthorisedReason::WrongTokenType
            );
        }
        for zero in [json!(0), json!(0.0), json!(-0.0)] {
            assert!(parse(&token(&v5_header(), &with(v5_payload(), "stt", zero))).is_ok());
        }
        // An OAuth access token shape (SPEC §8.3): no version, stt 1.
        let header = json!({"kid": "s-0cfef07d", "typ": "JWT", "alg": "RS256"});
        assert_eq!(
            err(&token(&header, &with(v5_payload(), "stt", json!(1)))),
            UnauthorisedReason::WrongTokenType
        );
    }

    fn legacy_payload() -> Value {
        json!({
            "sessionHandle": "h", "userId": "6fb4ddce-1f7e-4b5d-9e8a-8e7a1e0f2b7c",
            "refreshTokenHash1": "r", "parentRefreshTokenHash1": null, "userData": {},
            "antiCsrfToken": null, "expiryTime": 1_700_003_600_000_u64,
            "timeCreated": 1_700_000_000_000_u64, "lmrt": 1_700_000_000_000_u64,
        })
    }

    fn legacy(header: &str, payload: &Value) -> String {
        let p = base64::engine::general_purpose::STANDARD.encode(payload.to_string());
        format!("{header}.{p}.ab+/cd==")
    }

    #[test]
    fn legacy_v2_token_parses_as_version_2() {
        let parsed = parse(&legacy(LEGACY_V2_HEADER, &legacy_payload())).unwrap();
        assert_eq!(parsed.version, 2);
        assert_eq!(parsed.kid, None);
        assert_eq!(
            parsed.payload["userId"],
            "6fb4ddce-1f7e-4b5d-9e8a-8e7a1e0f2b7c"
        );
        let parsed = parse(&legacy(LEGACY_V1_HEADER, &legacy_payload())).unwrap();
        assert_eq!(parsed.version, 1);
        // Minted by the test issuer.
        let raw = TestIssuer::new().token("legacy-user").version(2).sign();
        assert!(raw.starts_with(LEGACY_V2_HEADER));
        let parsed = parse(&raw).unwrap();
        assert_eq!(parsed.version, 2);
        assert_eq!(parsed.payload["userId"], "legacy-user");
    }

    #[test]
    fn legacy_structure_is_checked() {
        for field in [
            "sessionHandle",
            "userId",
            "refreshTokenHash1",
            "expiryTime",
            "timeCreated",
            "userData",
        ] {
            assert_eq!(
                err(&legacy(LEGACY_V2_HEADER, &without(legacy_payload(), field))),
                UnauthorisedReason::InvalidStructure(field),
                "{field}"
            );
        }
        // userData: null is defined.
        let payload = with(legacy_payload(), "userData", json!(null));
        assert!(parse(&legacy(LEGACY_V2_HEADER, &payload)).is_ok());
        let payload = with(legacy_payload(), "expiryTime", json!("soon"));
        assert_eq!(
            err(&legacy(LEGACY_V2_HEADER, &payload)),
            UnauthorisedReason::InvalidStructure("expiryTime")
        );
        let payload = with(legacy_payload(), "stt", json!(1));
        assert_eq!(
            err(&legacy(LEGACY_V2_HEADER, &payload)),
            UnauthorisedReason::WrongTokenType
        );
        // An array payload.
        assert!(matches!(
            err(&legacy(LEGACY_V2_HEADER, &json!([]))),
            UnauthorisedReason::Malformed(_)
        ));
        // The legacy header decoded and re-encoded as base64url is not legacy: no kid, v2.
        let url = LEGACY_V2_HEADER.trim_end_matches('=');
        assert!(
            parse(&format!(
                "{url}.{}.AQ",
                b64(v5_payload().to_string().as_bytes())
            ))
            .is_err()
        );
    }

    #[test]
    fn no_panic_on_arbitrary_input() {
        let good = TestIssuer::new().token("u").sign();
        let bytes = good.as_bytes();
        // Every prefix, and every single-byte replacement with a few interesting chars.
        for end in 0..=bytes.len() {
            if let Ok(prefix) = std::str::from_utf8(&bytes[..end]) {
                let _ = parse(prefix);
            }
        }
        for i in (0..bytes.len()).step_by(7) {
            for c in [b'.', b'=', b'+', b'/', b'A', b'_'] {
                let mut mutated = bytes.to_vec();
                mutated[i] = c;
                if let Ok(text) = String::from_utf8(mutated) {
                    let _ = parse(&text);
                }
            }
        }
        for raw in [
            "\u{0}.\u{0}.\u{0}",
            "é.é.é",
            ".",
            "..",
            "...",
            "a..b",
            "🦀.🦀.🦀",
        ] {
            let _ = parse(raw);
        }
        // Deeply nested JSON: serde_json's recursion limit, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let raw = format!(
            "{}.{}.AQ",
            b64(v5_header().to_string().as_bytes()),
            b64(deep.as_bytes())
        );
        assert!(parse(&raw).is_err());
    }
}
