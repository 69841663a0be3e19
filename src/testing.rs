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
use std::fmt;
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
use jsonwebtoken::signature::Signer;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Value, json};

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::keys::{KeyStore, VerifyingKey};
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
    pub(crate) fn verifying_keys(&self, kid: &str) -> Vec<VerifyingKey> {
        self.lock()
            .published
            .iter()
            .filter(|key| key.kid == kid)
            .map(|key| {
                let material = &materials()[key.material];
                VerifyingKey {
                    alg: Some(Algorithm::RS256),
                    key: DecodingKey::from_rsa_raw_components(&material.n, &material.e),
                }
            })
            .collect()
    }

    /// Starts building a token for user `user_id` (`sub`, and `rsub` for v5).
    #[must_use]
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
        hmac_secret = EncodingKey::from_secret(material.public_pem.as_bytes());
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
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
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
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
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
        if self.version >= 4 {
            if let Some(tenant_id) = &self.tenant_id {
                payload.push(("tId".to_owned(), json!(tenant_id)));
            }
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
