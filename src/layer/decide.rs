//! The per-request decision: from headers (and keys) to a [`SessionState`].

use http::{HeaderMap, Method};

use super::Shared;
use crate::claims::validate_all;
use crate::csrf;
use crate::keys::KeyLookup;
use crate::state::{Session, SessionParts, SessionState, TokenSource, TryRefreshReason};
use crate::token::extract::extract;
use crate::token::parse::ParsedToken;
use crate::token::verify::{VerifyOptions, verify_cached};

/// What `decide` could settle without waiting.
pub(crate) enum Step {
    /// The state is known.
    Decided(SessionState),
    /// The key for this token must be fetched first.
    AwaitKeys(Pending),
}

/// A parsed token waiting for its key.
pub(crate) struct Pending {
    pub(crate) raw: String,
    pub(crate) source: TokenSource,
    pub(crate) parsed: ParsedToken,
    pub(crate) kid: String,
}

/// Steps 1–7 of the data flow (DESIGN.md), as far as the cached keys allow.
pub(crate) fn decide(shared: &Shared, method: &Method, headers: &HeaderMap) -> Step {
    let config = &shared.config;
    let candidate = match extract(headers, config.transport, &config.cookie_name) {
        Ok(candidate) => candidate,
        Err(state) => return Step::Decided(state),
    };
    if let Err(reason) =
        csrf::check_custom_header(config.anti_csrf, method, candidate.source, headers)
    {
        return Step::Decided(SessionState::TryRefresh(reason));
    }
    let Some(kid) = candidate.parsed.kid.as_deref() else {
        // A kid that is absent or not a string names no key (SPEC §13.9).
        return Step::Decided(SessionState::TryRefresh(TryRefreshReason::UnknownKeyId));
    };
    match config.keys.cached(kid) {
        Some(lookup) => Step::Decided(finish(
            shared,
            candidate.raw,
            candidate.source,
            candidate.parsed,
            lookup,
            method,
            headers,
        )),
        None => Step::AwaitKeys(Pending {
            raw: candidate.raw.to_owned(),
            source: candidate.source,
            kid: kid.to_owned(),
            parsed: candidate.parsed,
        }),
    }
}

/// Verification, anti-CSRF token check and claims, once the keys are known.
pub(crate) fn finish(
    shared: &Shared,
    raw: &str,
    source: TokenSource,
    parsed: ParsedToken,
    lookup: KeyLookup,
    method: &Method,
    headers: &HeaderMap,
) -> SessionState {
    let config = &shared.config;
    let keys = match lookup {
        KeyLookup::Found(keys) => keys,
        KeyLookup::UnknownKid => {
            return SessionState::TryRefresh(TryRefreshReason::UnknownKeyId);
        }
        KeyLookup::Unavailable => return SessionState::KeysUnavailable,
    };
    let now = config.clock.now();
    let options = VerifyOptions {
        algorithms: &config.algorithms,
        leeway: config.leeway,
        audience: config.audience.as_deref(),
        issuer: config.issuer.as_deref(),
        key_kind: config.key_kind,
    };
    if let Err(state) = verify_cached(raw, &parsed, &keys, &options, now, &shared.verified) {
        return state;
    }
    if let Err(reason) =
        csrf::check_token(config.anti_csrf, method, source, headers, &parsed.payload)
    {
        return SessionState::TryRefresh(reason);
    }
    let session = Session::from_parts(SessionParts {
        access_token: raw.to_owned(),
        source,
        version: parsed.version,
        payload: parsed.payload,
    });
    let errors = validate_all(&config.validators, &session, now);
    if errors.is_empty() {
        SessionState::Valid(session)
    } else {
        SessionState::InvalidClaims(errors)
    }
}
