//! The user's consent and what each change does (`docs/DESIGN.md` section 4): the transition table, the purge and the deletion request.

use crate::core::ids::Entropy;
use crate::core::time::Millis;

use super::{Deletion, Engine};

/// The user's consent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Consent {
    /// Not asked yet: nothing is recorded, stored or sent.
    #[default]
    Pending,
    /// Recording and delivery run under an anonymous ID.
    Granted,
    /// Nothing is recorded; the only request ever sent is the deletion request.
    Denied,
}

impl Consent {
    /// Every state, each at the index `as u8` gives it (the start code's,
    /// `core::names::start_code`).
    pub const ALL: [Consent; 3] = [Consent::Pending, Consent::Granted, Consent::Denied];

    /// `pending`, `granted` or `denied`, as the JS API reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            Consent::Pending => "pending",
            Consent::Granted => "granted",
            Consent::Denied => "denied",
        }
    }

    /// Parses the JS spelling.
    pub fn parse(text: &str) -> Option<Consent> {
        match text {
            "pending" => Some(Consent::Pending),
            "granted" => Some(Consent::Granted),
            "denied" => Some(Consent::Denied),
            _ => None,
        }
    }
}

/// What a consent change requires of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentChange {
    /// Nothing changed.
    Unchanged,
    /// Consent was granted: a new anonymous ID exists; persist.
    Granted,
    /// Consent moved to denied without data to erase; persist.
    Denied,
    /// Consent was revoked: queue and ID are gone from memory; the platform must
    /// write storage *before* it polls, so the deletion request goes out last.
    Revoked,
}

impl Engine {
    /// Applies the user's choice.
    pub fn set_consent(
        &mut self,
        granted: bool,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) -> ConsentChange {
        let state = &mut self.state;
        let change = match (state.consent, granted) {
            (Consent::Granted, true) | (Consent::Denied, false) => return ConsentChange::Unchanged,
            (_, true) => {
                state.consent = Consent::Granted;
                state.anonymous_id = Some(entropy.uuid_v4());
                state.session = None;
                ConsentChange::Granted
            }
            (Consent::Pending, false) => {
                state.consent = Consent::Denied;
                ConsentChange::Denied
            }
            (Consent::Granted, false) => {
                let old_id = state.anonymous_id.take();
                state.consent = Consent::Denied;
                self.purge();
                // Only the v1 collector has a deletion endpoint; the README
                // says how to erase an ID on each other backend.
                let v1 = self.routes.destinations.endpoint.is_some();
                if let Some(anonymous_id) = old_id.filter(|_| v1) {
                    self.state.deletion = Some(Deletion {
                        batch_id: entropy.uuid_v4(),
                        anonymous_id,
                        requested_at: now,
                        attempts: 0,
                        retry_at: now,
                        in_flight: None,
                    });
                }
                ConsentChange::Revoked
            }
        };
        self.dirty = true;
        self.poll_needed = true;
        self.report_corrupt();
        change
    }
}
