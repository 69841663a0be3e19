//! KeyStore: the JWKS the access tokens are verified against.
//!
//! STUB: being implemented by the keys task. The crate-internal API below is the contract.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey};

/// One usable public key from a JWKS.
pub(crate) struct VerifyingKey {
    /// The JWK's `alg`, when it names one; the token's algorithm must then equal it.
    pub(crate) alg: Option<Algorithm>,
    /// The parsed public key.
    pub(crate) key: DecodingKey,
}

/// What the key cache knows about a `kid`.
pub(crate) enum KeyLookup {
    /// The keys published under this kid (usually one).
    Found(Arc<[VerifyingKey]>),
    /// The key set is fresh (or was just refetched) and has no such kid.
    UnknownKid,
    /// No key set could be fetched and none is cached.
    Unavailable,
}

/// The published signing keys, fetched from JWKS URIs or given statically. Cheap to clone.
#[derive(Clone)]
pub struct KeyStore {
    inner: Arc<()>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").finish_non_exhaustive()
    }
}

impl KeyStore {
    /// Answers from the cache alone, without waiting. `None` means the caller must await
    /// [`KeyStore::resolve`] (cold cache, or an unknown kid outside the cooldown).
    pub(crate) fn cached(&self, kid: &str) -> Option<KeyLookup> {
        let _ = (kid, &self.inner);
        unimplemented!()
    }

    /// Fetches if needed (single-flight) and looks the kid up again.
    pub(crate) async fn resolve(&self, kid: &str) -> KeyLookup {
        let _ = kid;
        unimplemented!()
    }

    /// How long a client should wait before retrying when keys are unavailable.
    pub(crate) fn retry_after(&self) -> Duration {
        Duration::from_secs(5)
    }

    /// A key store with a static JWKS (`{"keys":[...]}`).
    ///
    /// # Errors
    /// When the JSON is not a JWKS.
    pub fn from_jwks_json(json: &str) -> Result<Self, std::io::Error> {
        let _ = json;
        unimplemented!()
    }
}
