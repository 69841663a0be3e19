//! STUB: parsing a token's header and payload and checking their SuperTokens structure.

use serde_json::{Map, Value};

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

/// Parses and structure-checks `raw`.
pub(crate) fn parse(raw: &str) -> Result<ParsedToken, UnauthorisedReason> {
    let _ = raw;
    unimplemented!()
}
