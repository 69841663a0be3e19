//! Structured token fuzzing: legitimately signed tokens from the TestIssuer, mutated
//! segment by segment (or re-signed with arbitrary header and payload fields), sent through
//! the layer as `Authorization: Bearer` or the `sAccessToken` cookie.
//!
//! Oracles: no panic, no 5xx, a same-origin `Location`, and the handler is reached only
//! when the token the layer extracted is byte for byte one the issuer signed, and that
//! token satisfies every rule of the profile (times, key kind, algorithm, claims,
//! anti-CSRF, audience, issuer).
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{HeaderValue, Method, Request};
use http_body_util::Full;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use tower_supertokens::testing::TokenBuilder;
use tower_supertokens_fuzz::{
    AUDIENCE, Algorithm, NOW, PROFILES, Profile, RICH_ISS, RICH_LEEWAY, call, check_layer_answer,
    issuer,
};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Key {
    Kid,
    Typ,
    Version,
    Alg,
    Iat,
    Exp,
    Nbf,
    Sub,
    Rsub,
    TId,
    SessionHandle,
    RefreshTokenHash1,
    AntiCsrfToken,
    Iss,
    Aud,
    Stt,
    StEv,
    StRole,
    StPerm,
    StMfa,
    V,
    T,
    Empty,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::Kid => "kid",
            Key::Typ => "typ",
            Key::Version => "version",
            Key::Alg => "alg",
            Key::Iat => "iat",
            Key::Exp => "exp",
            Key::Nbf => "nbf",
            Key::Sub => "sub",
            Key::Rsub => "rsub",
            Key::TId => "tId",
            Key::SessionHandle => "sessionHandle",
            Key::RefreshTokenHash1 => "refreshTokenHash1",
            Key::AntiCsrfToken => "antiCsrfToken",
            Key::Iss => "iss",
            Key::Aud => "aud",
            Key::Stt => "stt",
            Key::StEv => "st-ev",
            Key::StRole => "st-role",
            Key::StPerm => "st-perm",
            Key::StMfa => "st-mfa",
            Key::V => "v",
            Key::T => "t",
            Key::Empty => "",
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum Name {
    Known(Key),
    Other(String),
}

impl Name {
    fn text(&self) -> String {
        match self {
            Name::Known(key) => key.name().to_owned(),
            Name::Other(text) => text.clone(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum FValue {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// NOW plus an offset in seconds (times that are near the clock).
    NearNow(i32),
    /// NOW in milliseconds plus an offset (claim `t`).
    NearNowMs(i32),
    Str(String),
    Known(u8),
    Arr(Vec<FValue>),
    Obj(Vec<(Name, FValue)>),
}

const KNOWN: [&str; 12] = [
    "JWT",
    "RS256",
    "PS256",
    "HS256",
    "none",
    "5",
    "3",
    "d-1700000000000",
    "admin",
    "public",
    AUDIENCE,
    RICH_ISS,
];

impl FValue {
    fn json(&self, depth: u32) -> Value {
        if depth > 16 {
            return Value::Null;
        }
        match self {
            FValue::Null => Value::Null,
            FValue::Bool(b) => json!(b),
            FValue::Int(i) => json!(i),
            FValue::UInt(u) => json!(u),
            FValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            FValue::NearNow(offset) => json!(NOW as i64 + i64::from(*offset)),
            FValue::NearNowMs(offset) => json!(NOW as i64 * 1000 + i64::from(*offset)),
            FValue::Str(s) => json!(s),
            FValue::Known(i) => json!(KNOWN[usize::from(*i) % KNOWN.len()]),
            FValue::Arr(items) => Value::Array(items.iter().map(|v| v.json(depth + 1)).collect()),
            FValue::Obj(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.text(), v.json(depth + 1)))
                    .collect(),
            ),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Seg {
    Header,
    Payload,
    Signature,
}

impl Seg {
    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    HS256,
}

impl Alg {
    fn algorithm(self) -> Algorithm {
        match self {
            Alg::RS256 => Algorithm::RS256,
            Alg::RS384 => Algorithm::RS384,
            Alg::RS512 => Algorithm::RS512,
            Alg::PS256 => Algorithm::PS256,
            Alg::PS384 => Algorithm::PS384,
            Alg::PS512 => Algorithm::PS512,
            Alg::HS256 => Algorithm::HS256,
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
struct Resign {
    user: Option<String>,
    version: Option<u8>,
    alg: Option<Alg>,
    anti_csrf: Option<String>,
    email_verified: Option<bool>,
    roles: Option<Vec<String>>,
    mfa: Option<bool>,
    header: Vec<(Name, Option<FValue>)>,
    payload: Vec<(Name, Option<FValue>)>,
}

#[derive(Arbitrary, Debug, Clone)]
enum Mutation {
    /// Segment = base64url(JSON of the value).
    SegmentJson(Seg, FValue),
    /// Segment = base64url(bytes).
    SegmentBytes(Seg, Vec<u8>),
    /// Segment = the bytes, not encoded.
    SegmentRaw(Seg, Vec<u8>),
    /// Decode the header/payload JSON object, set or remove a field, re-encode.
    Patch(Seg, Name, Option<FValue>),
    /// The segment from another base token.
    Splice(Seg, u8),
    /// Re-encode the segment in standard base64 with padding / base64url with padding.
    Standard(Seg),
    Padded(Seg),
    /// Flip bits of one byte of the whole token.
    Flip(u16, u8),
    Truncate(u16),
    Insert(u16, Vec<u8>),
    AppendSegment(Vec<u8>),
    DropSegment(Seg),
    /// A freshly signed token with these edits (legitimate by construction).
    Resign(Box<Resign>),
}

#[derive(Arbitrary, Debug, Clone)]
enum Transport {
    Bearer { lead: u8, trail: u8 },
    Cookie { quoted: bool, other_before: bool },
    /// Both, the header wins when it parses.
    Both,
}

#[derive(Arbitrary, Debug)]
struct Input {
    base: u8,
    mutations: Vec<Mutation>,
    transport: Transport,
    method: u8,
    profile: u8,
    anti_csrf: Option<String>,
    rid: bool,
    accept_html: bool,
    path: u8,
}

struct Bases {
    tokens: Vec<String>,
}

fn at_now(builder: TokenBuilder<'_>) -> TokenBuilder<'_> {
    builder.at(UNIX_EPOCH + Duration::from_secs(NOW))
}

fn bases() -> &'static Bases {
    static BASES: OnceLock<Bases> = OnceLock::new();
    BASES.get_or_init(|| {
        let issuer = issuer();
        let now = UNIX_EPOCH + Duration::from_secs(NOW);
        let tokens = vec![
            at_now(issuer.token("user-1")).sign(),
            at_now(issuer.token("user-2"))
                .email_verified(true)
                .roles(["admin"])
                .mfa(true)
                .anti_csrf_token("csrf-secret")
                .claim("aud", json!([AUDIENCE]))
                .sign(),
            at_now(issuer.token("user-3")).version(3).sign(),
            at_now(issuer.token("user-4")).version(4).tenant_id(None).sign(),
            at_now(issuer.token("user-5"))
                .issued_at(now - Duration::from_secs(7200))
                .expires_at(now - Duration::from_secs(10))
                .sign(),
            at_now(issuer.token("user-6")).version(2).sign(),
            at_now(issuer.token("user-7")).algorithm(Algorithm::PS256).sign(),
            at_now(issuer.token("user-8")).algorithm(Algorithm::HS256).sign(),
            at_now(issuer.token("user-9"))
                .claim("nbf", json!(NOW + 100))
                .sign(),
            at_now(issuer.token("user-10")).kid("s-static").sign(),
        ];
        let bases = Bases { tokens };
        // The harness is wired: the plain token passes the default profile.
        let outcome = send(Profile::Default, Method::GET, &bases.tokens[0], &Transport::Both, None, false, false, 0);
        assert!(outcome.inner, "self-check: a fresh token must pass: {outcome:?}");
        bases
    })
}

fn resign(spec: &Resign) -> String {
    let issuer = issuer();
    let mut builder = at_now(issuer.token(spec.user.clone().unwrap_or_else(|| "resigned".into())));
    if let Some(version) = spec.version {
        builder = builder.version(u32::from(version % 8));
    }
    if let Some(alg) = spec.alg {
        builder = builder.algorithm(alg.algorithm());
    }
    if let Some(token) = &spec.anti_csrf {
        builder = builder.anti_csrf_token(token.clone());
    }
    if let Some(verified) = spec.email_verified {
        builder = builder.email_verified(verified);
    }
    if let Some(roles) = &spec.roles {
        builder = builder.roles(roles.iter().take(8).cloned());
    }
    if let Some(mfa) = spec.mfa {
        builder = builder.mfa(mfa);
    }
    for (name, value) in spec.header.iter().take(8) {
        builder = match value {
            Some(value) => builder.header_field(name.text(), value.json(0)),
            None => builder.without_header_field(name.text()),
        };
    }
    for (name, value) in spec.payload.iter().take(8) {
        builder = match value {
            Some(value) => builder.claim(name.text(), value.json(0)),
            None => builder.without_field(name.text()),
        };
    }
    builder.sign()
}

fn segments(token: &[u8]) -> Vec<Vec<u8>> {
    token.split(|b| *b == b'.').map(<[u8]>::to_vec).collect()
}

fn join(segments: &[Vec<u8>]) -> Vec<u8> {
    segments.join(&b'.')
}

fn apply(token: Vec<u8>, mutation: &Mutation, legit: &mut HashSet<String>) -> Vec<u8> {
    let mut segs = segments(&token);
    let set = |segs: &mut Vec<Vec<u8>>, seg: Seg, value: Vec<u8>| {
        while segs.len() <= seg.index() {
            segs.push(Vec::new());
        }
        segs[seg.index()] = value;
    };
    match mutation {
        Mutation::SegmentJson(seg, value) => {
            let text = value.json(0).to_string();
            set(&mut segs, *seg, URL_SAFE_NO_PAD.encode(text).into_bytes());
        }
        Mutation::SegmentBytes(seg, bytes) => {
            set(&mut segs, *seg, URL_SAFE_NO_PAD.encode(bytes).into_bytes());
        }
        Mutation::SegmentRaw(seg, bytes) => set(&mut segs, *seg, bytes.clone()),
        Mutation::Patch(seg, name, value) => {
            let Some(current) = segs.get(seg.index()) else { return token };
            let Ok(decoded) = URL_SAFE_NO_PAD.decode(current) else { return token };
            let Ok(mut object) = serde_json::from_slice::<Map<String, Value>>(&decoded) else {
                return token;
            };
            match value {
                Some(value) => {
                    object.insert(name.text(), value.json(0));
                }
                None => {
                    object.remove(&name.text());
                }
            }
            let text = Value::Object(object).to_string();
            set(&mut segs, *seg, URL_SAFE_NO_PAD.encode(text).into_bytes());
        }
        Mutation::Splice(seg, other) => {
            let tokens = &bases().tokens;
            let other = segments(tokens[usize::from(*other) % tokens.len()].as_bytes());
            if let Some(part) = other.get(seg.index()) {
                set(&mut segs, *seg, part.clone());
            }
        }
        Mutation::Standard(seg) | Mutation::Padded(seg) => {
            let Some(current) = segs.get(seg.index()) else { return token };
            let Ok(decoded) = URL_SAFE_NO_PAD.decode(current) else { return token };
            let encoded = match mutation {
                Mutation::Standard(_) => STANDARD.encode(decoded),
                _ => URL_SAFE.encode(decoded),
            };
            set(&mut segs, *seg, encoded.into_bytes());
        }
        Mutation::Flip(at, xor) => {
            let mut token = token;
            if !token.is_empty() {
                let at = usize::from(*at) % token.len();
                token[at] ^= xor;
            }
            return token;
        }
        Mutation::Truncate(len) => {
            let mut token = token;
            token.truncate(usize::from(*len));
            return token;
        }
        Mutation::Insert(at, bytes) => {
            let mut token = token;
            let at = usize::from(*at) % (token.len() + 1);
            token.splice(at..at, bytes.iter().copied());
            return token;
        }
        Mutation::AppendSegment(bytes) => segs.push(bytes.clone()),
        Mutation::DropSegment(seg) => {
            if seg.index() < segs.len() {
                segs.remove(seg.index());
            }
        }
        Mutation::Resign(spec) => {
            let token = resign(spec);
            legit.insert(token.clone());
            return token.into_bytes();
        }
    }
    join(&segs)
}

const PATHS: [&str; 6] = [
    "/",
    "/inbox?page=2",
    "/auth/verify-email",
    "/no-role?x=1",
    "/a/b%2F%2Fc",
    "/%2F%2Fevil.example",
];

#[allow(clippy::too_many_arguments)]
fn send(
    profile: Profile,
    method: Method,
    token: impl AsRef<[u8]>,
    transport: &Transport,
    anti_csrf: Option<&str>,
    rid: bool,
    accept_html: bool,
    path: u8,
) -> tower_supertokens_fuzz::Outcome {
    let token = token.as_ref();
    let mut request = Request::new(Full::new(Bytes::new()));
    *request.method_mut() = method;
    *request.uri_mut() = PATHS[usize::from(path) % PATHS.len()].parse().unwrap();
    let headers = request.headers_mut();
    let bearer = |lead: u8, trail: u8| {
        const WS: [&[u8]; 4] = [b"", b" ", b"\t", "\u{a0}".as_bytes()];
        let mut value = b"Bearer ".to_vec();
        value.extend_from_slice(WS[usize::from(lead) % WS.len()]);
        value.extend_from_slice(token);
        value.extend_from_slice(WS[usize::from(trail) % WS.len()]);
        value
    };
    let cookie = |quoted: bool, other_before: bool| {
        let mut value = Vec::new();
        if other_before {
            value.extend_from_slice(b"sFrontToken=abc; ");
        }
        value.extend_from_slice(b"sAccessToken=");
        if quoted {
            value.push(b'"');
        }
        value.extend_from_slice(token);
        if quoted {
            value.push(b'"');
        }
        value
    };
    let mut add = |name: &'static str, value: Vec<u8>| {
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.append(name, value);
        }
    };
    match transport {
        Transport::Bearer { lead, trail } => add("authorization", bearer(*lead, *trail)),
        Transport::Cookie { quoted, other_before } => add("cookie", cookie(*quoted, *other_before)),
        Transport::Both => {
            add("authorization", bearer(0, 0));
            add("cookie", cookie(false, false));
        }
    }
    if let Some(anti_csrf) = anti_csrf {
        add("anti-csrf", anti_csrf.as_bytes().to_vec());
    }
    if rid {
        add("rid", b"session".to_vec());
    }
    if accept_html {
        add("accept", b"text/html".to_vec());
    }
    call(profile, request)
}

/// The token the layer extracts from what `send` wrote, per SPEC §3 (bearer wins when it
/// parses; here: the candidate texts, either of which may have been chosen).
fn candidates(token: &[u8], transport: &Transport) -> Vec<Vec<u8>> {
    let from_bearer = || std::str::from_utf8(token).ok().map(|t| t.trim().as_bytes().to_vec());
    let from_cookie = |quoted: bool| {
        let mut value = Vec::new();
        if quoted {
            value.push(b'"');
        }
        value.extend_from_slice(token);
        if quoted {
            value.push(b'"');
        }
        // First `sAccessToken` pair: the token text up to the first `;`, trimmed, unquoted.
        let first = value.split(|b| *b == b';').next().unwrap_or_default();
        let trimmed = trim(first);
        let unquoted = match trimmed {
            [b'"', inner @ .., b'"'] => inner,
            other => other,
        };
        unquoted.to_vec()
    };
    match transport {
        Transport::Bearer { .. } => from_bearer().into_iter().collect(),
        Transport::Cookie { quoted, .. } => vec![from_cookie(*quoted)],
        Transport::Both => from_bearer().into_iter().chain([from_cookie(false)]).collect(),
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_space(b)).map_or(start, |i| i + 1);
    &bytes[start..end]
}

fn decode_object(segment: &str) -> Map<String, Value> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).expect("a passing token's segment decodes");
    serde_json::from_slice(&bytes).expect("a passing token's segment is a JSON object")
}

/// Everything the profile requires of a token that reached the handler.
fn check_accepted(
    raw: &str,
    profile: Profile,
    method: &Method,
    from_cookie: bool,
    anti_csrf: Option<&str>,
    rid: bool,
) {
    let parts: Vec<&str> = raw.split('.').collect();
    assert_eq!(parts.len(), 3, "{raw}");
    let header = decode_object(parts[0]);
    let payload = decode_object(parts[1]);
    let leeway = if profile == Profile::Rich { RICH_LEEWAY as f64 } else { 0.0 };
    let now = NOW as f64;
    let exp = payload.get("exp").and_then(Value::as_f64).expect("exp is a number");
    assert!(exp > now - leeway, "expired token accepted: {payload:?}");
    if let Some(nbf) = payload.get("nbf") {
        let nbf = nbf.as_f64().expect("nbf is a number");
        assert!(nbf <= now + leeway, "not-yet-valid token accepted: {payload:?}");
    }
    assert_eq!(header.get("typ"), Some(&json!("JWT")));
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let allowed: &[&str] = if profile == Profile::Rich { &["RS256", "PS256"] } else { &["RS256"] };
    assert!(allowed.contains(&alg), "alg {alg} accepted");
    let kid = header.get("kid").and_then(Value::as_str).expect("kid is a string");
    if profile != Profile::Rich {
        assert!(kid.starts_with("d-"), "kid {kid} accepted");
    }
    if let Some(version) = header.get("version") {
        let version: u32 = version.as_str().and_then(|v| v.parse().ok()).expect("version");
        assert!(version >= 3);
    }
    assert!(payload.get("stt").is_none_or(|stt| stt.as_f64() == Some(0.0)));
    for field in ["sub", "sessionHandle", "refreshTokenHash1"] {
        assert!(payload.get(field).is_some_and(Value::is_string), "{field}: {payload:?}");
    }
    let csrf_applies = from_cookie && *method != Method::GET;
    match profile {
        Profile::Default => {}
        Profile::Rich => {
            let ev = payload.get("st-ev").and_then(|c| c.get("v"));
            assert_eq!(ev, Some(&json!(true)), "st-ev: {payload:?}");
            let role = payload.get("st-role").and_then(|c| c.get("v"));
            let has_admin = match role {
                Some(Value::Array(items)) => items.iter().any(|i| i == "admin"),
                Some(Value::String(text)) => text.contains("admin"),
                _ => false,
            };
            assert!(has_admin, "st-role: {payload:?}");
            let mfa = payload.get("st-mfa").and_then(|c| c.get("v"));
            assert!(mfa.is_some_and(|v| !matches!(v, Value::Null | Value::Bool(false))), "st-mfa: {payload:?}");
            assert_eq!(payload.get("iss"), Some(&json!(RICH_ISS)));
            if csrf_applies {
                let expected = payload.get("antiCsrfToken").and_then(Value::as_str);
                assert!(expected.is_some() && expected == anti_csrf, "anti-csrf: {payload:?} vs {anti_csrf:?}");
            }
        }
        Profile::CookieOnly => {
            assert!(from_cookie, "CookieOnly accepted a bearer token");
            if csrf_applies {
                assert!(rid, "VIA_CUSTOM_HEADER accepted a request without rid");
            }
            let aud_ok = match payload.get("aud") {
                Some(Value::Array(items)) => items.iter().any(|a| a == AUDIENCE),
                Some(aud) => aud == AUDIENCE,
                None => false,
            };
            assert!(aud_ok, "aud: {payload:?}");
        }
    }
}

const METHODS: [Method; 8] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
    Method::TRACE,
];

fuzz_target!(|input: Input| {
    let bases = bases();
    let mut legit: HashSet<String> = bases.tokens.iter().cloned().collect();
    let mut token = bases.tokens[usize::from(input.base) % bases.tokens.len()].clone().into_bytes();
    for mutation in input.mutations.iter().take(6) {
        token = apply(token, mutation, &mut legit);
    }
    let profile = PROFILES[usize::from(input.profile) % PROFILES.len()];
    let method = METHODS[usize::from(input.method) % METHODS.len()].clone();
    let outcome = send(
        profile,
        method.clone(),
        &token,
        &input.transport,
        input.anti_csrf.as_deref(),
        input.rid,
        input.accept_html,
        input.path,
    );
    check_layer_answer(&outcome);
    if !outcome.inner || method == Method::OPTIONS || method == Method::TRACE {
        return;
    }
    assert_eq!(outcome.status, 200);
    // Which candidate was used is the layer's business; one of them must be legitimate and
    // acceptable. Bearer first: it wins when it parses.
    let candidates = candidates(&token, &input.transport);
    let chosen = candidates
        .iter()
        .enumerate()
        .find(|(_, c)| std::str::from_utf8(c).is_ok_and(|c| legit.contains(c)));
    let Some((index, raw)) = chosen else {
        panic!(
            "handler reached with a token nobody signed: {:?} (candidates {:?})",
            String::from_utf8_lossy(&token),
            candidates.iter().map(|c| String::from_utf8_lossy(c)).collect::<Vec<_>>()
        );
    };
    let from_cookie = match input.transport {
        Transport::Cookie { .. } => true,
        Transport::Bearer { .. } => false,
        Transport::Both => index == 1 || profile == Profile::CookieOnly,
    };
    check_accepted(
        std::str::from_utf8(raw).unwrap(),
        profile,
        &method,
        from_cookie,
        input.anti_csrf.as_deref(),
        input.rid,
    );
});
