//! STUB: signature, times, audience/issuer and key kind.

use std::time::{Duration, SystemTime};

use jsonwebtoken::Algorithm;

use crate::config::SigningKeyKind;
use crate::keys::VerifyingKey;
use crate::state::SessionState;
use crate::token::parse::ParsedToken;

/// The verification settings of a layer.
pub(crate) struct VerifyOptions<'a> {
    pub(crate) algorithms: &'a [Algorithm],
    pub(crate) leeway: Duration,
    pub(crate) audience: Option<&'a [String]>,
    pub(crate) issuer: Option<&'a [String]>,
    pub(crate) key_kind: SigningKeyKind,
}

/// Verifies `token` (raw text `raw`) with `keys` (those published under its kid) at `now`.
/// `Err` is the resulting TryRefresh or Unauthorised state.
pub(crate) fn verify(
    raw: &str,
    token: &ParsedToken,
    keys: &[VerifyingKey],
    options: &VerifyOptions<'_>,
    now: SystemTime,
) -> Result<(), SessionState> {
    let _ = (raw, token, keys, options, now);
    unimplemented!()
}
