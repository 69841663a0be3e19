//! Access tokens: finding them in a request, parsing their SuperTokens structure, and
//! verifying signature and times. Everything here is a pure function of its inputs.

pub(crate) mod cache;
pub(crate) mod extract;
pub(crate) mod parse;
pub(crate) mod verify;
