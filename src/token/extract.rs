//! STUB: finding the access token in a request (SPEC §3, §13.1, §13.9).

use http::HeaderMap;

use crate::config::TokenTransport;
use crate::state::{SessionState, TokenSource};
use crate::token::parse::ParsedToken;

/// The token chosen for a request.
pub(crate) struct Candidate<'a> {
    /// The raw token text.
    pub(crate) raw: &'a str,
    /// Where it came from.
    pub(crate) source: TokenSource,
    /// Its parsed header and payload.
    pub(crate) parsed: ParsedToken,
}

/// Finds the request's access token. `Err` carries the final state when there is no token
/// to verify: NoToken, Unauthorised (nothing parsed), TryRefresh (legacy cookie,
/// duplicate cookies, v1/v2 token).
pub(crate) fn extract<'a>(
    headers: &'a HeaderMap,
    transport: TokenTransport,
    cookie_name: &str,
) -> Result<Candidate<'a>, SessionState> {
    let _ = (headers, transport, cookie_name);
    unimplemented!()
}
