//! Verified-token cache: skips the RSA signature check for a token already verified by
//! the same published keys.
//!
//! Signature verification is a pure function of (token, key), and the same access token is
//! typically presented on every request of a session for its whole lifetime, so the layer
//! remembers which exact token strings verified under which key set. Only the signature is
//! skipped: expiry, `nbf`, audience, issuer, key kind, anti-CSRF and claims are checked on
//! every request. The cache is keyed by the whole token (header, payload and signature), so
//! a token differing in any byte is verified afresh, and an entry is only used while the
//! key set that verified it is still the one published under its kid (a refetched JWKS
//! starts over).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::keys::VerifyingKey;

/// Default number of distinct tokens remembered per layer.
pub(crate) const DEFAULT_CAPACITY: usize = 4096;

/// Tokens whose signature verified, with the key set that verified them.
pub(crate) struct VerifiedTokens {
    capacity: usize,
    entries: RwLock<HashMap<Box<str>, Arc<[VerifyingKey]>>>,
}

impl std::fmt::Debug for VerifiedTokens {
    // Never prints the tokens themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl VerifiedTokens {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// Whether `raw` verified under exactly this key set.
    pub(crate) fn contains(&self, raw: &str, keys: &Arc<[VerifyingKey]>) -> bool {
        if self.capacity == 0 {
            return false;
        }
        self.entries
            .read()
            .ok()
            .and_then(|entries| entries.get(raw).map(|known| Arc::ptr_eq(known, keys)))
            .unwrap_or(false)
    }

    /// Remembers that `raw` verified under `keys`. When full, the cache starts over: cheap,
    /// bounded, and the next requests of live sessions refill it.
    pub(crate) fn insert(&self, raw: &str, keys: &Arc<[VerifyingKey]>) {
        if self.capacity == 0 {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= self.capacity {
                entries.clear();
            }
            entries.insert(raw.into(), Arc::clone(keys));
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.read().map_or(0, |entries| entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::DecodingKey;

    fn key_set() -> Arc<[VerifyingKey]> {
        Arc::from(vec![VerifyingKey {
            alg: None,
            key: DecodingKey::from_rsa_raw_components(&[1, 2, 3], &[1, 0, 1]),
        }])
    }

    #[test]
    fn remembers_a_token_only_for_the_key_set_that_verified_it() {
        let cache = VerifiedTokens::new(8);
        let keys = key_set();
        let refetched = key_set();
        assert!(!cache.contains("a.b.c", &keys));
        cache.insert("a.b.c", &keys);
        assert!(cache.contains("a.b.c", &keys));
        assert!(
            !cache.contains("a.b.C", &keys),
            "any other byte is another token"
        );
        assert!(
            !cache.contains("a.b.c", &refetched),
            "a new key set verifies afresh"
        );
    }

    #[test]
    fn stays_bounded_and_zero_disables_it() {
        let cache = VerifiedTokens::new(3);
        let keys = key_set();
        for i in 0..10 {
            cache.insert(&format!("t{i}"), &keys);
            assert!(cache.len() <= 3);
        }
        let disabled = VerifiedTokens::new(0);
        disabled.insert("t", &keys);
        assert!(!disabled.contains("t", &keys));
    }
}
