//! The partner follower: once a school accepts one of this school's offers, this school
//! follows it, so the partnership's records replicate even across networks. A task of
//! its own, fed by the stored-record broadcast, so ingest never waits for it.

use ensemble_core::body::Body;
use ensemble_core::{Kind, RecordId, SchoolId};
use tokio::sync::broadcast;
use tracing::{debug, info, warn};

use super::date::today;
use super::thread::Derived;
use crate::node::{Node, NodeError, StoredEvent};
/// Follows partner schools: once an acceptance of one of this school's offers is
/// stored, its author is followed. Runs as its own task, fed by the stored-record
/// broadcast, so the ingest path and the network loop never wait for it.
pub(crate) async fn follow_partners(node: Node, mut events: broadcast::Receiver<StoredEvent>) {
    // Acceptances stored while this task was not running (before a restart).
    node.follow_every_partner().await;
    loop {
        let event = tokio::select! {
            _ = node.cancelled().cancelled() => break,
            event = events.recv() => event,
        };
        match event {
            Ok(event)
                if event.kind == Kind::MentoringAcceptance && event.author != node.school_id() =>
            {
                node.follow_partner(event.id).await;
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                debug!(missed, "partner follower lagged; rescanning acceptances");
                node.follow_every_partner().await;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    debug!("partner follower stopped");
}

impl Node {
    async fn follow_every_partner(&self) {
        let acceptances = match self.store().latest(Kind::MentoringAcceptance) {
            Ok(acceptances) => acceptances,
            Err(error) => {
                warn!(%error, "cannot list acceptances to follow partners");
                return;
            }
        };
        for acceptance in acceptances {
            if acceptance.author() != self.school_id() {
                self.follow_partner(acceptance.id()).await;
            }
        }
    }

    async fn follow_partner(&self, acceptance: RecordId) {
        let partner = match self.partner_of(acceptance) {
            Ok(Some(partner)) => partner,
            Ok(None) => return,
            Err(error) => {
                warn!(%error, %acceptance, "cannot check an acceptance for a partner to follow");
                return;
            }
        };
        if self.store().is_followed(&partner).unwrap_or(false) {
            return;
        }
        match self.follow(partner).await {
            Ok(_) => info!(partner = %partner, %acceptance, "following the partner school"),
            Err(error) => warn!(%error, partner = %partner, "could not follow the partner school"),
        }
    }

    /// The author of `acceptance` when it accepts one of this school's offers and forms
    /// the agreement (or its request is not held yet: following brings it).
    fn partner_of(&self, acceptance: RecordId) -> Result<Option<SchoolId>, NodeError> {
        let store = self.store();
        let Some(stored) = store.get(&acceptance)? else {
            return Ok(None);
        };
        let record = stored.record;
        let Some(Body::MentoringAcceptance(body)) = record.body() else {
            return Ok(None);
        };
        let ours = store
            .get(&body.offer)?
            .is_some_and(|offer| offer.record.author() == self.school_id());
        if !ours || record.author() == self.school_id() {
            return Ok(None);
        }
        let request_doc = self.doc_of(body.request)?;
        let Some(derived) = Derived::load(self, request_doc, today()?)? else {
            return Ok(Some(record.author()));
        };
        let formed = derived
            .thread
            .agreement
            .as_ref()
            .is_some_and(|agreement| agreement.acceptance == record.doc());
        Ok(formed.then_some(record.author()))
    }
}
