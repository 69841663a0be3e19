//! A development token issuer for tests: [`TestIssuer`] holds RSA keys, returns or serves
//! its JWKS, and mints SuperTokens-shaped access tokens (feature `test-util`).
//!
//! Tokens are laid out exactly as a SuperTokens core lays them out (SPEC §1, §8.4):
//! header keys in the order `kid, typ, version, alg`, and the v5 payload fields `iat, exp,
//! sub, tId, rsub, sessionHandle, refreshTokenHash1, parentRefreshTokenHash1,
//! antiCsrfToken, iss` followed by your claims. Any of it can be changed or removed to
//! craft broken tokens.
//!
//! **The keys are test-only.** They are three fixed RSA-2048 keys whose private halves are
//! published in this crate's source. Never trust a JWKS built from them outside tests.
//!
//! ```
//! use std::time::Duration;
//! use tower_supertokens::testing::TestIssuer;
//!
//! let issuer = TestIssuer::new();
//! let token = issuer
//!     .token("user-1")
//!     .expires_in(Duration::from_secs(600))
//!     .email_verified(true)
//!     .roles(["admin"])
//!     .sign();
//! assert_eq!(token.split('.').count(), 3);
//!
//! // The JWKS to give the layer, as JSON or as a key store.
//! let jwks = issuer.jwks();
//! assert_eq!(jwks["keys"][0]["kid"], "d-1700000000000");
//! assert!(issuer.jwks_json().starts_with(r#"{"keys":[{"kty":"RSA""#));
//!
//! // Rotation: new tokens use the new key; the old key stays published.
//! issuer.rotate("d-1800000000000");
//! assert_eq!(issuer.kid(), "d-1800000000000");
//! assert_eq!(issuer.jwks()["keys"].as_array().map(Vec::len), Some(2));
//! ```
//!
//! Serving the JWKS over HTTP, for tests of the key store's fetching:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use tower_supertokens::testing::TestIssuer;
//!
//! let issuer = TestIssuer::new();
//! let server = issuer.serve().await?;
//! assert!(server.jwks_uri().starts_with("http://127.0.0.1:"));
//! assert!(server.jwks_uri().ends_with("/.well-known/jwks.json"));
//! assert_eq!(server.fetch_count(), 0);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::collections::hash_map::RandomState;
use std::convert::Infallible;
use std::fmt::{self, Write as _};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::keys::KeyStore;
use crate::token::parse::{LEGACY_V1_HEADER, LEGACY_V2_HEADER};

/// The embedded test-only keys: private (PKCS#1) and public (SPKI) PEM.
const KEY_PEMS: [(&str, &str); 3] = [
    (
        include_str!("testing/key0.pem"),
        include_str!("testing/key0.pub.pem"),
    ),
    (
        include_str!("testing/key1.pem"),
        include_str!("testing/key1.pub.pem"),
    ),
    (
        include_str!("testing/key2.pem"),
        include_str!("testing/key2.pub.pem"),
    ),
];

/// The default kid: a dynamic key created at 2023-11-14T22:13:20Z.
const DEFAULT_KID: &str = "d-1700000000000";
/// The default `iss` claim, as node sets it (`apiDomain + apiBasePath`).
const DEFAULT_ISS: &str = "http://localhost:3001/auth";

/// One embedded key, parsed.
struct Material {
    encoding: EncodingKey,
    n: Vec<u8>,
    e: Vec<u8>,
    public_pem: &'static str,
}

fn materials() -> &'static [Material] {
    static MATERIALS: OnceLock<Vec<Material>> = OnceLock::new();
    MATERIALS.get_or_init(|| {
        KEY_PEMS
            .iter()
            .map(|(private, public)| {
                let encoding = EncodingKey::from_rsa_pem(private.as_bytes())
                    .expect("the embedded test key is a valid RSA key");
                let (n, e) = (crate::crypto::provider()
                    .key_utils
                    .rsa_pub_components_from_private_key)(
                    encoding.as_bytes()
                )
                .expect("the embedded test key has RSA public components");
                Material {
                    encoding,
                    n,
                    e,
                    public_pem: public,
                }
            })
            .collect()
    })
}

/// A key published in the JWKS.
struct PublishedKey {
    kid: String,
    material: usize,
}

struct Keys {
    published: Vec<PublishedKey>,
    /// Index into `published` of the signing key.
    signing: usize,
    /// The embedded key the next rotation uses.
    next_material: usize,
}

impl Keys {
    fn signing(&self) -> &PublishedKey {
        // `signing` always indexes `published`, which is never empty.
        &self.published[self.signing]
    }

    fn find(&self, kid: &str) -> Option<&PublishedKey> {
        self.published.iter().find(|key| key.kid == kid)
    }
}

/// A development issuer of SuperTokens access tokens. Clones share keys and rotations
/// (and a server started with [`TestIssuer::serve`] sees them).
///
/// See the [module documentation](self) for an example.
#[derive(Clone)]
pub struct TestIssuer {
    keys: Arc<Mutex<Keys>>,
    clock: Arc<dyn Clock>,
    iss: String,
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer")
            .field("kid", &self.kid())
            .field("now", &self.clock.now())
            .field("iss", &self.iss)
            .finish_non_exhaustive()
    }
}

impl Default for TestIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl TestIssuer {
    /// An issuer signing with the first embedded key under the dynamic kid
    /// `d-1700000000000`, reading the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self::with_kid(DEFAULT_KID)
    }

    /// An issuer signing with the first embedded key under `kid`. A kid starting with
    /// `d-` is a dynamic key, anything else (`s-<uuid>` in SuperTokens) a static one.
    #[must_use]
    pub fn with_kid(kid: impl Into<String>) -> Self {
        Self {
            keys: Arc::new(Mutex::new(Keys {
                published: vec![PublishedKey {
                    kid: kid.into(),
                    material: 0,
                }],
                signing: 0,
                next_material: 1,
            })),
            clock: Arc::new(SystemClock),
            iss: DEFAULT_ISS.to_owned(),
        }
    }

    /// Mints tokens as of `clock` (default the system clock), for example a
    /// [`ManualClock`] shared with the layer's configuration.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Mints tokens as of the fixed time `now`.
    #[must_use]
    pub fn at(self, now: SystemTime) -> Self {
        self.with_clock(ManualClock::new(now))
    }

    /// The `iss` claim of minted tokens (default `http://localhost:3001/auth`).
    #[must_use]
    pub fn with_issuer_claim(mut self, iss: impl Into<String>) -> Self {
        self.iss = iss.into();
        self
    }

    /// The `iss` claim minted tokens carry.
    #[must_use]
    pub fn issuer_claim(&self) -> &str {
        &self.iss
    }

    fn lock(&self) -> MutexGuard<'_, Keys> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kid of the current signing key.
    #[must_use]
    pub fn kid(&self) -> String {
        self.lock().signing().kid.clone()
    }

    /// The kids published in the JWKS, oldest first.
    #[must_use]
    pub fn kids(&self) -> Vec<String> {
        self.lock()
            .published
            .iter()
            .map(|key| key.kid.clone())
            .collect()
    }

    /// Publishes the next embedded key under `kid` and signs with it from now on, as a
    /// core does when its dynamic key rotates. Earlier keys stay in the JWKS. After the
    /// third rotation the embedded keys are reused in turn (under the new kid).
    pub fn rotate(&self, kid: impl Into<String>) {
        let mut keys = self.lock();
        let material = keys.next_material;
        keys.next_material = (material + 1) % KEY_PEMS.len();
        keys.published.push(PublishedKey {
            kid: kid.into(),
            material,
        });
        keys.signing = keys.published.len() - 1;
    }

    /// Removes `kid` from the JWKS, as a core does once an old dynamic key expires.
    /// Returns whether it was published. The signing key cannot be removed.
    #[allow(clippy::must_use_candidate)] // retiring is the point; the bool is a courtesy
    pub fn retire(&self, kid: &str) -> bool {
        let mut keys = self.lock();
        let Some(index) = keys.published.iter().position(|key| key.kid == kid) else {
            return false;
        };
        if index == keys.signing {
            return false;
        }
        keys.published.remove(index);
        if keys.signing > index {
            keys.signing -= 1;
        }
        true
    }

    /// The public key of the current signing key as a PEM (`-----BEGIN PUBLIC KEY-----`),
    /// the "secret" of a key-confusion attack ([`TokenBuilder::algorithm`] with `HS256`).
    #[must_use]
    pub fn public_key_pem(&self) -> &'static str {
        materials()[self.lock().signing().material].public_pem
    }

    /// The JWKS, as a SuperTokens core serves it:
    /// `{"keys":[{"kty":"RSA","kid":..,"n":..,"e":..,"alg":"RS256","use":"sig"}, ..]}`.
    #[must_use]
    pub fn jwks(&self) -> Value {
        serde_json::from_str(&self.jwks_json()).unwrap_or(Value::Null)
    }

    /// The JWKS as JSON text (keys in the order a core writes them).
    #[must_use]
    pub fn jwks_json(&self) -> String {
        let keys = self.lock();
        let entries: Vec<String> = keys
            .published
            .iter()
            .map(|key| {
                let material = &materials()[key.material];
                object_json(&[
                    ("kty", json!("RSA")),
                    ("kid", json!(key.kid)),
                    ("n", json!(URL_SAFE_NO_PAD.encode(&material.n))),
                    ("e", json!(URL_SAFE_NO_PAD.encode(&material.e))),
                    ("alg", json!("RS256")),
                    ("use", json!("sig")),
                ])
            })
            .collect();
        format!(r#"{{"keys":[{}]}}"#, entries.join(","))
    }

    /// A static [`KeyStore`] holding this issuer's current JWKS (later rotations are not
    /// seen; use [`TestIssuer::serve`] for that).
    ///
    /// # Panics
    /// If the key store rejects the JWKS, which would be a bug.
    #[must_use]
    pub fn key_store(&self) -> KeyStore {
        KeyStore::from_jwks_json(&self.jwks_json()).expect("the TestIssuer JWKS is valid")
    }

    /// The verifying keys published under `kid` (empty when none), for the crate's own
    /// tests. The JWK `alg` is RS256, as a core publishes it.
    #[cfg(test)]
    pub(crate) fn verifying_keys(&self, kid: &str) -> Vec<crate::keys::VerifyingKey> {
        self.lock()
            .published
            .iter()
            .filter(|key| key.kid == kid)
            .map(|key| {
                let material = &materials()[key.material];
                crate::keys::VerifyingKey {
                    alg: Some(Algorithm::RS256),
                    key: jsonwebtoken::DecodingKey::from_rsa_raw_components(
                        &material.n,
                        &material.e,
                    ),
                }
            })
            .collect()
    }

    /// Starts building a token for user `user_id` (`sub`, and `rsub` for v5).
    pub fn token(&self, user_id: impl Into<String>) -> TokenBuilder<'_> {
        TokenBuilder {
            issuer: self,
            user_id: user_id.into(),
            now: None,
            issued_at: None,
            expiry: Expiry::In(Duration::from_secs(3600)),
            version: 5,
            tenant_id: Some("public".to_owned()),
            anti_csrf_token: None,
            algorithm: Algorithm::RS256,
            signing_kid: None,
            header_edits: Vec::new(),
            payload_edits: Vec::new(),
        }
    }

    /// Signs exactly these header and payload bytes with RS256 and the current signing key:
    /// `base64url(header).base64url(payload).signature`. For tokens no builder would make.
    #[must_use]
    pub fn sign_parts(&self, header_json: &[u8], payload_json: &[u8]) -> String {
        self.sign_parts_with(header_json, payload_json, Some(Algorithm::RS256))
    }

    /// Like [`TestIssuer::sign_parts`] with algorithm `alg`; `None` leaves the signature
    /// segment empty (an `alg: none` token). `HS*` uses the public key PEM as the secret.
    ///
    /// # Panics
    /// For `ES*` and `EdDSA`: the issuer holds only RSA keys.
    #[must_use]
    pub fn sign_parts_with(
        &self,
        header_json: &[u8],
        payload_json: &[u8],
        alg: Option<Algorithm>,
    ) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header_json),
            URL_SAFE_NO_PAD.encode(payload_json)
        );
        let material = self.lock().signing().material;
        let signature = alg.map_or_else(Vec::new, |alg| {
            sign_bytes(material, alg, signing_input.as_bytes())
        });
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// [`TestIssuer::sign_parts_with`] for JSON values (serialised compactly).
    ///
    /// # Panics
    /// For `ES*` and `EdDSA`: the issuer holds only RSA keys.
    #[must_use]
    pub fn sign_raw(&self, header: &Value, payload: &Value, alg: Option<Algorithm>) -> String {
        self.sign_parts_with(
            header.to_string().as_bytes(),
            payload.to_string().as_bytes(),
            alg,
        )
    }

    /// Serves the JWKS on `127.0.0.1` at an ephemeral port, at `/.well-known/jwks.json`
    /// (the core's path) and `/auth/jwt/jwks.json` (the backend SDK's). Rotations made
    /// after this call are served. The server stops on [`JwksServer::shutdown`] or drop.
    ///
    /// Must be called within a tokio runtime.
    ///
    /// # Errors
    /// When the listener cannot be bound.
    pub async fn serve(&self) -> io::Result<JwksServer> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(ServerShared {
            issuer: self.clone(),
            fetches: AtomicUsize::new(0),
            unavailable: AtomicBool::new(false),
        });
        let served = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            // Owned by this task: aborting it drops (and aborts) every connection.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::task::yield_now().await;
                    continue;
                };
                while connections.try_join_next().is_some() {}
                let served = Arc::clone(&served);
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let response = served.answer(&request);
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Ok(JwksServer {
            addr,
            shared,
            task: Some(task),
        })
    }
}

/// Signs `message` with embedded key `material`.
fn sign_bytes(material: usize, alg: Algorithm, message: &[u8]) -> Vec<u8> {
    let material = &materials()[material];
    let hmac_secret;
    let key = if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
        // The classic key-confusion attack: the public key as an HMAC secret.
        hmac_secret = EncodingKey::from_secret(material.public_pem.as_bytes())
            .unwrap_or_else(|error| panic!("TestIssuer cannot make an HMAC key: {error}"));
        &hmac_secret
    } else {
        &material.encoding
    };
    let signer = (crate::crypto::provider().signer_factory)(&alg, key)
        .unwrap_or_else(|error| panic!("TestIssuer cannot sign with {alg:?}: {error}"));
    signer
        .try_sign(message)
        .unwrap_or_else(|error| panic!("TestIssuer failed to sign with {alg:?}: {error}"))
}

/// Compact JSON for an object whose key order matters.
fn object_json<K: AsRef<str>>(entries: &[(K, Value)]) -> String {
    let fields: Vec<String> = entries
        .iter()
        .map(|(key, value)| format!("{}:{value}", Value::from(key.as_ref())))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// Sets `key` in place (keeping its position) or appends it.
fn set(entries: &mut Vec<(String, Value)>, key: &str, value: Value) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key.to_owned(), value)),
    }
}

/// Random-looking hex, unique per call within a process.
fn unique_hex(label: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static SEED: OnceLock<u64> = OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x5eed);
        hasher.finish()
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let input = format!("{seed}:{count}:{label}");
    let digest = (crate::crypto::provider().key_utils.compute_digest)(
        input.as_bytes(),
        ThumbprintHash::SHA256,
    )
    .unwrap_or_else(|_| input.into_bytes());
    digest.iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

fn uuid_like() -> String {
    let hex = unique_hex("sessionHandle");
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or("0").to_owned();
    format!(
        "{}-{}-4{}-a{}-{}",
        part(0..8),
        part(8..12),
        part(13..16),
        part(17..20),
        part(20..32)
    )
}

fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

enum Expiry {
    In(Duration),
    At(SystemTime),
}

enum Edit {
    Set(String, Value),
    Remove(String),
}

fn apply(entries: &mut Vec<(String, Value)>, edits: &[Edit]) {
    for edit in edits {
        match edit {
            Edit::Set(key, value) => set(entries, key, value.clone()),
            Edit::Remove(key) => entries.retain(|(k, _)| k != key),
        }
    }
}

/// Builds one token; made by [`TestIssuer::token`]. Finish with [`TokenBuilder::sign`].
///
/// Defaults: a v5 token for the issuer's clock, valid for one hour, tenant `public`,
/// signed RS256 with the issuer's current key.
#[must_use = "a token builder does nothing until signed"]
pub struct TokenBuilder<'a> {
    issuer: &'a TestIssuer,
    user_id: String,
    now: Option<SystemTime>,
    issued_at: Option<SystemTime>,
    expiry: Expiry,
    version: u32,
    tenant_id: Option<String>,
    anti_csrf_token: Option<String>,
    algorithm: Algorithm,
    signing_kid: Option<String>,
    header_edits: Vec<Edit>,
    payload_edits: Vec<Edit>,
}

impl fmt::Debug for TokenBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("user_id", &self.user_id)
            .field("version", &self.version)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl TokenBuilder<'_> {
    /// The current time for this token (default: the issuer's clock). `iat` and the claim
    /// timestamps (`t`) derive from it.
    pub fn at(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    /// `iat` (default: now), truncated to whole seconds as the core does.
    pub fn issued_at(mut self, iat: SystemTime) -> Self {
        self.issued_at = Some(iat);
        self
    }

    /// Validity from `iat` (default one hour): `exp = iat + validity`, in whole seconds.
    pub fn expires_in(mut self, validity: Duration) -> Self {
        self.expiry = Expiry::In(validity);
        self
    }

    /// `exp` at `exp`, in whole seconds (an `exp` in the past makes an expired token).
    pub fn expires_at(mut self, exp: SystemTime) -> Self {
        self.expiry = Expiry::At(exp);
        self
    }

    /// The token version (default 5). 3 and 4 drop `rsub` (and 3 drops `tId`); above 5
    /// the v5 layout is used. 1 and 2 mint a legacy token: fixed header, standard base64,
    /// fields `sessionHandle, userId, refreshTokenHash1, parentRefreshTokenHash1,
    /// userData, antiCsrfToken, expiryTime, timeCreated` (milliseconds).
    pub fn version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// `tId` (default `public`); `None` omits it. Emitted for v4 and later only.
    pub fn tenant_id(mut self, tenant_id: Option<&str>) -> Self {
        self.tenant_id = tenant_id.map(str::to_owned);
        self
    }

    /// `antiCsrfToken` (default `null`), for the VIA_TOKEN anti-CSRF mode.
    pub fn anti_csrf_token(mut self, token: impl Into<String>) -> Self {
        self.anti_csrf_token = Some(token.into());
        self
    }

    /// Sets payload entry `key` (replacing a default field in place, or appended).
    /// Applied in call order after the default fields, so it can also break them
    /// (`.claim("exp", json!("soon"))`).
    pub fn claim(mut self, key: impl Into<String>, value: Value) -> Self {
        self.payload_edits.push(Edit::Set(key.into(), value));
        self
    }

    /// Removes payload entry `key` (a default field or an earlier claim).
    pub fn without_field(mut self, key: impl Into<String>) -> Self {
        self.payload_edits.push(Edit::Remove(key.into()));
        self
    }

    /// Sets header entry `key` (for example `"version"` to `json!(5)`, or `"alg"` to
    /// `json!("none")`). The signature is still made with the builder's algorithm.
    pub fn header_field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.header_edits.push(Edit::Set(key.into(), value));
        self
    }

    /// Removes header entry `key` (for example `"kid"` or `"version"`).
    pub fn without_header_field(mut self, key: impl Into<String>) -> Self {
        self.header_edits.push(Edit::Remove(key.into()));
        self
    }

    /// The header `kid` only; the token is still signed with the current key (a forged
    /// or tampered kid). See [`TokenBuilder::signed_with`] to sign with another key.
    pub fn kid(self, kid: impl Into<String>) -> Self {
        self.header_field("kid", Value::String(kid.into()))
    }

    /// Signs with the published key `kid` (an older key after a rotation) and names it
    /// in the header.
    pub fn signed_with(mut self, kid: impl Into<String>) -> Self {
        self.signing_kid = Some(kid.into());
        self
    }

    /// Signs with `alg` and names it in the header (default RS256). `RS*`/`PS*` use the
    /// RSA key; `HS*` use the public key PEM as the HMAC secret (key confusion).
    pub fn algorithm(mut self, alg: Algorithm) -> Self {
        self.algorithm = alg;
        let name = serde_json::to_value(alg).unwrap_or(Value::Null);
        self.header_edits.push(Edit::Set("alg".to_owned(), name));
        self
    }

    /// `st-ev`: `{"v": verified, "t": now_ms}`.
    pub fn email_verified(self, verified: bool) -> Self {
        let t = self.now_millis();
        self.claim("st-ev", json!({"v": verified, "t": t}))
    }

    /// `st-role`: `{"v": [roles], "t": now_ms}`.
    pub fn roles<I, S>(self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let t = self.now_millis();
        let roles: Vec<String> = roles.into_iter().map(Into::into).collect();
        self.claim("st-role", json!({"v": roles, "t": t}))
    }

    /// `st-perm`: `{"v": [permissions], "t": now_ms}`.
    pub fn permissions<I, S>(self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let t = self.now_millis();
        let permissions: Vec<String> = permissions.into_iter().map(Into::into).collect();
        self.claim("st-perm", json!({"v": permissions, "t": t}))
    }

    /// `st-mfa`: `{"c": {}, "v": completed}`.
    pub fn mfa(self, completed: bool) -> Self {
        self.claim("st-mfa", json!({"c": {}, "v": completed}))
    }

    fn now(&self) -> SystemTime {
        self.now.unwrap_or_else(|| self.issuer.clock.now())
    }

    fn now_millis(&self) -> u64 {
        unix_millis(self.now())
    }

    fn times(&self) -> (u64, u64) {
        let iat = unix_seconds(self.issued_at.unwrap_or_else(|| self.now()));
        let exp = match self.expiry {
            Expiry::In(validity) => iat.saturating_add(validity.as_secs()),
            Expiry::At(exp) => unix_seconds(exp),
        };
        (iat, exp)
    }

    fn signing_material(&self) -> (String, usize) {
        let keys = self.issuer.lock();
        let key = match &self.signing_kid {
            Some(kid) => keys
                .find(kid)
                .unwrap_or_else(|| panic!("TestIssuer has no key {kid:?}")),
            None => keys.signing(),
        };
        (key.kid.clone(), key.material)
    }

    /// The header and payload JSON, in the core's key order.
    fn parts(&self, kid: &str) -> (String, String) {
        let (iat, exp) = self.times();
        let alg = serde_json::to_value(self.algorithm).unwrap_or(Value::Null);
        let mut header: Vec<(String, Value)> = vec![
            ("kid".to_owned(), json!(kid)),
            ("typ".to_owned(), json!("JWT")),
            ("version".to_owned(), json!(self.version.to_string())),
            ("alg".to_owned(), alg),
        ];
        apply(&mut header, &self.header_edits);

        let mut payload: Vec<(String, Value)> = vec![
            ("iat".to_owned(), json!(iat)),
            ("exp".to_owned(), json!(exp)),
            ("sub".to_owned(), json!(self.user_id)),
        ];
        if self.version >= 4
            && let Some(tenant_id) = &self.tenant_id
        {
            payload.push(("tId".to_owned(), json!(tenant_id)));
        }
        if self.version >= 5 {
            payload.push(("rsub".to_owned(), json!(self.user_id)));
        }
        payload.extend([
            ("sessionHandle".to_owned(), json!(uuid_like())),
            (
                "refreshTokenHash1".to_owned(),
                json!(unique_hex("refreshTokenHash1")),
            ),
            ("parentRefreshTokenHash1".to_owned(), Value::Null),
            ("antiCsrfToken".to_owned(), json!(self.anti_csrf_token)),
            ("iss".to_owned(), json!(self.issuer.iss)),
        ]);
        apply(&mut payload, &self.payload_edits);
        (object_json(&header), object_json(&payload))
    }

    /// A legacy v1/v2 token (never verified by the layer: it is answered TryRefresh).
    fn sign_legacy(&self, material: usize) -> String {
        let (iat, exp) = self.times();
        let mut payload: Vec<(String, Value)> = vec![
            ("sessionHandle".to_owned(), json!(uuid_like())),
            ("userId".to_owned(), json!(self.user_id)),
            (
                "refreshTokenHash1".to_owned(),
                json!(unique_hex("refreshTokenHash1")),
            ),
            ("parentRefreshTokenHash1".to_owned(), Value::Null),
            ("userData".to_owned(), json!({})),
            ("antiCsrfToken".to_owned(), json!(self.anti_csrf_token)),
            ("expiryTime".to_owned(), json!(exp.saturating_mul(1000))),
            ("timeCreated".to_owned(), json!(iat.saturating_mul(1000))),
        ];
        apply(&mut payload, &self.payload_edits);
        let header = if self.version == 1 {
            LEGACY_V1_HEADER
        } else {
            LEGACY_V2_HEADER
        };
        let signing_input = format!("{header}.{}", STANDARD.encode(object_json(&payload)));
        let signature = sign_bytes(material, Algorithm::RS256, signing_input.as_bytes());
        format!("{signing_input}.{}", STANDARD.encode(signature))
    }

    /// Signs the token.
    ///
    /// # Panics
    /// When [`TokenBuilder::signed_with`] names an unknown kid, or the algorithm is
    /// `ES*`/`EdDSA` (the issuer holds only RSA keys).
    #[must_use]
    pub fn sign(self) -> String {
        let (kid, material) = self.signing_material();
        if self.version <= 2 {
            return self.sign_legacy(material);
        }
        let (header, payload) = self.parts(&kid);
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature = sign_bytes(material, self.algorithm, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The token with an empty signature segment (`header.payload.`), as an `alg: none`
    /// token is written.
    #[must_use]
    pub fn unsigned(self) -> String {
        let (kid, _) = self.signing_material();
        let (header, payload) = self.parts(&kid);
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }
}

/// What the server tasks share with [`JwksServer`].
struct ServerShared {
    issuer: TestIssuer,
    fetches: AtomicUsize,
    unavailable: AtomicBool,
}

impl ServerShared {
    fn answer<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
        let path = request.uri().path();
        if path != "/.well-known/jwks.json" && path != "/auth/jwt/jwks.json" {
            return plain(StatusCode::NOT_FOUND, "not found");
        }
        if request.method() != Method::GET {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        }
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if self.unavailable.load(Ordering::SeqCst) {
            return plain(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        }
        let mut response = Response::new(Full::new(Bytes::from(self.issuer.jwks_json())));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

/// A running JWKS server, made by [`TestIssuer::serve`]. Stops on drop.
pub struct JwksServer {
    addr: SocketAddr,
    shared: Arc<ServerShared>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for JwksServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksServer")
            .field("addr", &self.addr)
            .field("fetch_count", &self.fetch_count())
            .finish_non_exhaustive()
    }
}

impl JwksServer {
    /// The address the server listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, the "connection URI" of this fake core.
    #[must_use]
    pub fn base_uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:<port>/.well-known/jwks.json`, the core's JWKS URI.
    #[must_use]
    pub fn jwks_uri(&self) -> String {
        format!("http://{}/.well-known/jwks.json", self.addr)
    }

    /// `http://127.0.0.1:<port>/auth/jwt/jwks.json`, the backend SDK's JWKS URI.
    #[must_use]
    pub fn api_jwks_uri(&self) -> String {
        format!("http://{}/auth/jwt/jwks.json", self.addr)
    }

    /// How many JWKS requests were answered (including 503 answers).
    #[must_use]
    pub fn fetch_count(&self) -> usize {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// While `true`, JWKS requests are answered 503 (a JWKS outage).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.shared.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// Stops the server and closes its open connections.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // Wait for the abort, so the port and connections are released on return.
            let _ = task.await;
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// `openssl rsa -noout -modulus` of the embedded keys 0 and 2.
    const MODULUS_0: &str = "B2300748046A0A0BA776BBA217D0F74AEE373253D27F47FF0FB0C0DE0B3459B4623029BACDC48E15E7B6FC76CC7DE85C92AEBFDD0BBB7855F630E9934017B9184F63845E46E72D188244BB1C135C2B5924C43E57DD63D9989577481A860163F4360D07C72D9372D942198ADF0BCF6F0DF605F9CCFA6D85AA3A6842157EC845F7ECF8094932E6177B1718690AE336AE6ADA89A7E9967176E862A2A492E0243771638E445DF29F258F590A693D64A7B9E2AF6108E9945F14347BFF6689A84A91E2E42A898E2BCDF60CAA2A1CC3CB170BB75D51FFD866DA0570964FE8AC8D4F4D5FC3DED578582F8EFBBB271681363864D5AE61400E6EFECFC6D197CEA01643DB37";
    const MODULUS_2: &str = "E4F10C9CCE97AE018425B5C7D3EF762FC93C30F6D673FD9D9052151A35BC33E769F1DA1F5378C72D4C7FC3C08AB734FD65419FAD4E263A854AF803DDC0F75E615F830632CB018671945422AC1F0E8E34343DE5487521ACB06E03762A92CDED24C294804B0A9605EA29EC2ED5FB53EB065BE36F711D305ADFB8F25104483411A23EDE645B9A41CDA6A085CE348DF5D834ED8FA84B99F8C4D43AD2A1BFD7A0384C272C6DE8BD75F1BD8F353AD5875E708647131DC9743DECBB3F4912AEB4C1B971C32AB1C3A7E04073979DF529CD2537E92E6331A18125E89E93DC96F10E575E5CC2DE1D33E36BF8DAE22F6A40A77C0E9321DED876420DD0BDC23FF7C903014FA7";

    fn decode_part(raw: &str, index: usize) -> String {
        let part = raw.split('.').nth(index).unwrap();
        String::from_utf8(URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn hex_upper(bytes: &[u8]) -> String {
        bytes.iter().fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02X}");
            hex
        })
    }

    #[test]
    fn jwks_components_match_openssl() {
        let issuer = TestIssuer::new();
        issuer.rotate("d-2");
        issuer.rotate("d-3");
        let jwks = issuer.jwks();
        let n = |i: usize| {
            URL_SAFE_NO_PAD
                .decode(jwks["keys"][i]["n"].as_str().unwrap())
                .unwrap()
        };
        assert_eq!(hex_upper(&n(0)), MODULUS_0);
        assert_eq!(hex_upper(&n(2)), MODULUS_2);
        assert_eq!(jwks["keys"][0]["e"], "AQAB");
        assert_eq!(issuer.kids(), ["d-1700000000000", "d-2", "d-3"]);
        assert!(
            issuer
                .jwks_json()
                .starts_with(r#"{"keys":[{"kty":"RSA","kid":"d-1700000000000","n":""#)
        );
        assert!(
            issuer
                .jwks_json()
                .contains(r#""e":"AQAB","alg":"RS256","use":"sig"}"#)
        );
    }

    #[test]
    fn minted_token_verifies_against_the_published_jwk() {
        let issuer = TestIssuer::new();
        let raw = issuer.token("u").sign();
        let jwk = &issuer.jwks()["keys"][0];
        let key = jsonwebtoken::DecodingKey::from_rsa_components(
            jwk["n"].as_str().unwrap(),
            jwk["e"].as_str().unwrap(),
        )
        .unwrap();
        let (message, signature) = raw.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        let verifier =
            (crate::crypto::provider().verifier_factory)(&Algorithm::RS256, &key).unwrap();
        assert!(verifier.verify(message.as_bytes(), &signature).is_ok());
        assert!(verifier.verify(b"other", &signature).is_err());
    }

    #[test]
    fn v5_token_layout_matches_the_core() {
        let now = UNIX_EPOCH + Duration::from_millis(1_733_507_277_700);
        let issuer = TestIssuer::new().at(now);
        let raw = issuer.token("user-1").sign();
        assert_eq!(
            decode_part(&raw, 0),
            r#"{"kid":"d-1700000000000","typ":"JWT","version":"5","alg":"RS256"}"#
        );
        let payload = decode_part(&raw, 1);
        let keys: Vec<String> = {
            let value: serde_json::Map<String, Value> = serde_json::from_str(&payload).unwrap();
            let mut keys: Vec<(usize, String)> = value
                .keys()
                .map(|k| (payload.find(&format!("\"{k}\":")).unwrap(), k.clone()))
                .collect();
            keys.sort();
            keys.into_iter().map(|(_, k)| k).collect()
        };
        assert_eq!(
            keys,
            [
                "iat",
                "exp",
                "sub",
                "tId",
                "rsub",
                "sessionHandle",
                "refreshTokenHash1",
                "parentRefreshTokenHash1",
                "antiCsrfToken",
                "iss"
            ]
        );
        let value: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(value["iat"], 1_733_507_277);
        assert_eq!(value["exp"], 1_733_507_277 + 3600);
        assert_eq!(value["sub"], "user-1");
        assert_eq!(value["rsub"], "user-1");
        assert_eq!(value["tId"], "public");
        assert_eq!(value["parentRefreshTokenHash1"], Value::Null);
        assert_eq!(value["antiCsrfToken"], Value::Null);
        assert_eq!(value["iss"], DEFAULT_ISS);
        let hash = value["refreshTokenHash1"].as_str().unwrap();
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        let handle = value["sessionHandle"].as_str().unwrap();
        assert_eq!(handle.len(), 36);
        assert_eq!(handle.matches('-').count(), 4);
        // Unique per token.
        let other: Value =
            serde_json::from_str(&decode_part(&issuer.token("user-1").sign(), 1)).unwrap();
        assert_ne!(other["sessionHandle"], value["sessionHandle"]);
        assert_ne!(other["refreshTokenHash1"], value["refreshTokenHash1"]);
    }

    #[test]
    fn builder_options() {
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        let issuer = TestIssuer::new()
            .at(now)
            .with_issuer_claim("https://api.example/auth");
        let raw = issuer
            .token("u")
            .version(4)
            .tenant_id(Some("acme"))
            .anti_csrf_token("csrf")
            .email_verified(true)
            .roles(["admin", "editor"])
            .permissions(["read"])
            .mfa(false)
            .claim("custom", json!({"a": 1}))
            .claim("sub", json!("replaced"))
            .without_field("iss")
            .header_field("extra", json!(true))
            .without_header_field("typ")
            .expires_in(Duration::from_secs(60))
            .sign();
        let header: Value = serde_json::from_str(&decode_part(&raw, 0)).unwrap();
        assert_eq!(
            header,
            json!({"kid": "d-1700000000000", "version": "4", "alg": "RS256", "extra": true})
        );
        let payload: Value = serde_json::from_str(&decode_part(&raw, 1)).unwrap();
        assert_eq!(payload["tId"], "acme");
        assert!(payload.get("rsub").is_none());
        assert!(payload.get("iss").is_none());
        assert_eq!(payload["sub"], "replaced");
        assert_eq!(payload["antiCsrfToken"], "csrf");
        assert_eq!(
            payload["st-ev"],
            json!({"v": true, "t": 1_700_000_000_250_u64})
        );
        assert_eq!(payload["st-role"]["v"], json!(["admin", "editor"]));
        assert_eq!(payload["st-perm"]["v"], json!(["read"]));
        assert_eq!(payload["st-mfa"], json!({"c": {}, "v": false}));
        assert_eq!(payload["custom"], json!({"a": 1}));
        assert_eq!(payload["exp"], 1_700_000_060);
        // v3: no tId, no rsub.
        let raw = issuer.token("u").version(3).sign();
        let payload: Value = serde_json::from_str(&decode_part(&raw, 1)).unwrap();
        assert!(payload.get("tId").is_none() && payload.get("rsub").is_none());
        // Tenant omitted.
        let raw = issuer.token("u").tenant_id(None).sign();
        let payload: Value = serde_json::from_str(&decode_part(&raw, 1)).unwrap();
        assert!(payload.get("tId").is_none());
        // Explicit times.
        let raw = issuer
            .token("u")
            .issued_at(UNIX_EPOCH + Duration::from_secs(100))
            .expires_at(UNIX_EPOCH + Duration::from_secs(50))
            .sign();
        let payload: Value = serde_json::from_str(&decode_part(&raw, 1)).unwrap();
        assert_eq!(
            (payload["iat"].as_u64(), payload["exp"].as_u64()),
            (Some(100), Some(50))
        );
        // Builder-level time.
        let raw = issuer
            .token("u")
            .at(UNIX_EPOCH + Duration::from_secs(7))
            .sign();
        let payload: Value = serde_json::from_str(&decode_part(&raw, 1)).unwrap();
        assert_eq!(payload["iat"], 7);
    }

    #[test]
    fn algorithms_and_raw_parts() {
        let issuer = TestIssuer::new();
        let raw = issuer.token("u").algorithm(Algorithm::PS256).sign();
        let header: Value = serde_json::from_str(&decode_part(&raw, 0)).unwrap();
        assert_eq!(header["alg"], "PS256");
        let raw = issuer.token("u").algorithm(Algorithm::HS256).sign();
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(raw.split('.').nth(2).unwrap())
                .unwrap()
                .len(),
            32
        );
        let raw = issuer.sign_parts(br#"{"a":1}"#, b"[]");
        assert_eq!(decode_part(&raw, 0), r#"{"a":1}"#);
        assert_eq!(decode_part(&raw, 1), "[]");
        let raw = issuer.sign_raw(&json!({"alg": "none"}), &json!({}), None);
        assert!(raw.ends_with('.'));
        let raw = issuer.token("u").unsigned();
        assert!(raw.ends_with('.'));
        assert!(
            issuer
                .public_key_pem()
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
    }

    #[test]
    fn rotation_and_retirement() {
        let issuer = TestIssuer::new();
        let shared = issuer.clone();
        issuer.rotate("d-2");
        assert_eq!(shared.kid(), "d-2");
        let header: Value =
            serde_json::from_str(&decode_part(&shared.token("u").sign(), 0)).unwrap();
        assert_eq!(header["kid"], "d-2");
        // Signing with the older key.
        let raw = issuer.token("u").signed_with("d-1700000000000").sign();
        let header: Value = serde_json::from_str(&decode_part(&raw, 0)).unwrap();
        assert_eq!(header["kid"], "d-1700000000000");
        // The forged kid keeps the current key.
        let forged = issuer.token("u").kid("d-1700000000000").sign();
        assert_ne!(forged.split('.').nth(2), raw.split('.').nth(2));
        assert!(!issuer.retire("d-2"), "the signing key stays");
        assert!(issuer.retire("d-1700000000000"));
        assert!(!issuer.retire("d-1700000000000"));
        assert_eq!(issuer.kids(), ["d-2"]);
        assert_eq!(issuer.kid(), "d-2");
        // Rotation cycles through the three embedded keys.
        issuer.rotate("d-3");
        issuer.rotate("d-4");
        assert_eq!(issuer.kids(), ["d-2", "d-3", "d-4"]);
        let jwks = issuer.jwks();
        let n = |i: usize| {
            URL_SAFE_NO_PAD
                .decode(jwks["keys"][i]["n"].as_str().unwrap())
                .unwrap()
        };
        assert_eq!(hex_upper(&n(1)), MODULUS_2);
        assert_eq!(hex_upper(&n(2)), MODULUS_0);
        assert_ne!(n(0), n(1));
    }

    #[test]
    fn legacy_tokens() {
        let issuer = TestIssuer::new();
        for (version, header) in [(1, LEGACY_V1_HEADER), (2, LEGACY_V2_HEADER)] {
            let raw = issuer.token("old").version(version).sign();
            let parts: Vec<&str> = raw.split('.').collect();
            assert_eq!(parts.len(), 3);
            assert_eq!(parts[0], header);
            let payload: Value =
                serde_json::from_slice(&STANDARD.decode(parts[1]).unwrap()).unwrap();
            assert_eq!(payload["userId"], "old");
            assert_eq!(payload["userData"], json!({}));
            assert!(STANDARD.decode(parts[2]).is_ok());
        }
    }

    async fn get(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request =
            format!("{method} {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let status = response
            .get(9..12)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    #[tokio::test]
    async fn serves_the_jwks_and_counts_fetches() {
        let issuer = TestIssuer::new();
        let server = issuer.serve().await.unwrap();
        let addr = server.addr();
        assert_eq!(
            server.jwks_uri(),
            format!("http://{addr}/.well-known/jwks.json")
        );
        assert_eq!(
            server.api_jwks_uri(),
            format!("http://{addr}/auth/jwt/jwks.json")
        );
        assert_eq!(server.base_uri(), format!("http://{addr}"));

        let (status, body) = get(addr, "GET", "/.well-known/jwks.json").await;
        assert_eq!(status, 200);
        assert_eq!(body, issuer.jwks_json());
        assert_eq!(server.fetch_count(), 1);

        // Rotations after serve() are served.
        issuer.rotate("d-2");
        let (status, body) = get(addr, "GET", "/auth/jwt/jwks.json").await;
        assert_eq!(status, 200);
        assert!(body.contains("\"d-2\""));
        assert_eq!(server.fetch_count(), 2);

        assert_eq!(get(addr, "GET", "/other").await.0, 404);
        assert_eq!(get(addr, "POST", "/.well-known/jwks.json").await.0, 405);
        assert_eq!(server.fetch_count(), 2);

        server.set_unavailable(true);
        assert_eq!(get(addr, "GET", "/.well-known/jwks.json").await.0, 503);
        assert_eq!(server.fetch_count(), 3);
        server.set_unavailable(false);
        assert_eq!(get(addr, "GET", "/.well-known/jwks.json").await.0, 200);

        server.shutdown().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn drop_stops_the_server() {
        let issuer = TestIssuer::new();
        let server = issuer.serve().await.unwrap();
        let addr = server.addr();
        assert_eq!(get(addr, "GET", "/.well-known/jwks.json").await.0, 200);
        drop(server);
        // The abort lands at the task's next poll.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the server still accepts connections after drop");
    }

    #[test]
    fn key_store_compiles() {
        // KeyStore::from_jwks_json is exercised by the keys tests; here only the type.
        let _: fn(&TestIssuer) -> KeyStore = TestIssuer::key_store;
    }
}
