//! Claim validators: `st-ev`, `st-role`, `st-perm`, `st-mfa` and your own.
//!
//! PLACEHOLDER: validators are being written (see the claims helper task).

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;

use crate::state::Session;

/// One failed claim, serialised exactly as SuperTokens does in `claimValidationErrors`:
/// `{"id": "...", "reason": {...}}`, `reason` omitted when there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimValidationError {
    /// The validator's id (`st-ev`, `st-role`, ... or an overridden id).
    pub id: String,
    /// Why it failed, in SuperTokens' shape (SPEC §13.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Value>,
}

/// Checks one claim of a verified session.
pub trait ClaimValidator: Send + Sync + 'static {
    /// `Ok(())` when the claim holds, else the error SuperTokens would report.
    ///
    /// # Errors
    /// The [`ClaimValidationError`] to put in the 403 body.
    fn validate(&self, session: &Session, now: SystemTime) -> Result<(), ClaimValidationError>;
}

impl<F> ClaimValidator for F
where
    F: Fn(&Session) -> Result<(), ClaimValidationError> + Send + Sync + 'static,
{
    fn validate(&self, session: &Session, _now: SystemTime) -> Result<(), ClaimValidationError> {
        self(session)
    }
}

/// A validator shared between layers.
pub type SharedValidator = Arc<dyn ClaimValidator>;

/// Runs `validators` in order and collects every failure.
pub(crate) fn validate_all(
    validators: &[SharedValidator],
    session: &Session,
    now: SystemTime,
) -> Vec<ClaimValidationError> {
    validators
        .iter()
        .filter_map(|validator| validator.validate(session, now).err())
        .collect()
}
