//! JWKS parsing: which JWKs of a key set this crate can verify with.
//!
//! Each JWK is judged on its own, so one odd key (an EC key, an encryption key, a typo)
//! is skipped with a warning instead of failing the whole set.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use super::VerifyingKey;

/// The usable keys of a JWKS, grouped by kid.
pub(crate) struct KeySet {
    by_kid: HashMap<String, Arc<[VerifyingKey]>>,
    /// Kids in the order the JWKS lists them (SuperTokens: dynamic keys newest first).
    ids: Vec<String>,
    usable: usize,
    skipped: usize,
}

impl KeySet {
    /// A set with no keys.
    pub(crate) fn empty() -> Self {
        Self {
            by_kid: HashMap::new(),
            ids: Vec::new(),
            usable: 0,
            skipped: 0,
        }
    }

    /// The keys published under `kid`.
    pub(crate) fn get(&self, kid: &str) -> Option<&Arc<[VerifyingKey]>> {
        self.by_kid.get(kid)
    }

    /// Number of usable keys (several may share a kid).
    pub(crate) fn len(&self) -> usize {
        self.usable
    }

    /// Whether the set has no usable key.
    pub(crate) fn is_empty(&self) -> bool {
        self.usable == 0
    }

    /// Number of JWKs that were skipped as unusable.
    pub(crate) fn skipped(&self) -> usize {
        self.skipped
    }

    /// The distinct kids, in JWKS order.
    pub(crate) fn key_ids(&self) -> Vec<String> {
        self.ids.clone()
    }
}

/// The JWKS document. Other members (the deprecated core endpoint adds `status`) are ignored.
#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

/// The JWK members this crate reads.
#[derive(Deserialize)]
struct RawJwk {
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    n: Option<String>,
    e: Option<String>,
}

/// Why a JWK is skipped. Never carries key material.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Skip {
    /// A member has the wrong JSON type (e.g. a numeric kid).
    Malformed,
    /// `kty` is not `RSA`.
    NotRsa,
    /// No `kid`, or an empty one.
    NoKid,
    /// `use` is present and is not `sig`.
    NotForSignatures,
    /// `key_ops` is present and lacks `verify`.
    NoVerifyOp,
    /// `alg` is present and is not an RSA signature algorithm.
    UnsupportedAlg,
    /// `n` or `e` is missing, empty or not base64url.
    BadComponents,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "a member has the wrong JSON type",
            Self::NotRsa => "kty is not RSA",
            Self::NoKid => "no kid",
            Self::NotForSignatures => "use is not sig",
            Self::NoVerifyOp => "key_ops does not contain verify",
            Self::UnsupportedAlg => "alg is not one of RS256, RS384, RS512, PS256, PS384, PS512",
            Self::BadComponents => "n or e is missing or not base64url",
        })
    }
}

/// Parses a JWKS (`{"keys":[...]}`). Fails only when the document itself is not a JWKS;
/// unusable keys are skipped and logged.
pub(crate) fn parse_jwks(json: &[u8]) -> Result<KeySet, serde_json::Error> {
    let raw: RawJwks = serde_json::from_slice(json)?;
    let mut grouped: HashMap<String, Vec<VerifyingKey>> = HashMap::new();
    let mut ids = Vec::new();
    let mut set = KeySet::empty();
    for (index, value) in raw.keys.iter().enumerate() {
        match parse_jwk(value) {
            Ok((kid, key)) => {
                set.usable += 1;
                match grouped.entry(kid) {
                    Entry::Occupied(mut entry) => entry.get_mut().push(key),
                    Entry::Vacant(entry) => {
                        ids.push(entry.key().clone());
                        entry.insert(vec![key]);
                    }
                }
            }
            Err(reason) => {
                set.skipped += 1;
                let kid = value.get("kid").and_then(serde_json::Value::as_str);
                tracing::warn!(index, kid, %reason, "skipping a JWK that cannot verify access tokens");
            }
        }
    }
    set.by_kid = grouped
        .into_iter()
        .map(|(kid, keys)| (kid, Arc::from(keys)))
        .collect();
    set.ids = ids;
    Ok(set)
}

/// Judges one JWK: its kid and parsed key, or why it is unusable.
pub(crate) fn parse_jwk(value: &serde_json::Value) -> Result<(String, VerifyingKey), Skip> {
    let jwk = RawJwk::deserialize(value).map_err(|_| Skip::Malformed)?;
    if jwk.kty.as_deref() != Some("RSA") {
        return Err(Skip::NotRsa);
    }
    let kid = jwk.kid.filter(|kid| !kid.is_empty()).ok_or(Skip::NoKid)?;
    if jwk.use_.as_deref().is_some_and(|usage| usage != "sig") {
        return Err(Skip::NotForSignatures);
    }
    if jwk
        .key_ops
        .as_ref()
        .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
    {
        return Err(Skip::NoVerifyOp);
    }
    let alg = match jwk.alg.as_deref() {
        None => None,
        Some(name) => Some(rsa_algorithm(name).ok_or(Skip::UnsupportedAlg)?),
    };
    let (Some(n), Some(e)) = (jwk.n, jwk.e) else {
        return Err(Skip::BadComponents);
    };
    if n.is_empty() || e.is_empty() {
        return Err(Skip::BadComponents);
    }
    let key = DecodingKey::from_rsa_components(&n, &e).map_err(|_| Skip::BadComponents)?;
    Ok((kid, VerifyingKey { alg, key }))
}

/// The RSA signature algorithm a JWK `alg` names.
fn rsa_algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        _ => return None,
    })
}
