//! The publish path: this school's own records are validated, checked against the
//! rules that need held records, signed with the next seq, stored and flushed, and only
//! then published (a crash never reuses a seq with other content).

use ensemble_core::body::language_of;
use ensemble_core::rules::Violation;
use ensemble_core::{Draft, Kind, RecordId, TopicFamily, VerifiedRecord, topic};
use tracing::warn;

use super::Node;
use crate::error::NodeError;
use crate::metrics::PublishLabels;

impl Node {
    /// Signs, stores (flushed) and publishes a new document of `kind`.
    pub async fn publish(&self, kind: Kind, body: Vec<u8>) -> Result<VerifiedRecord, NodeError> {
        if kind == Kind::Retraction {
            return Err(NodeError::BadRequest(
                "retractions are made with retract, not publish".into(),
            ));
        }
        self.check_rules(kind, &body, None)?;
        self.append_and_publish(kind, body, None).await
    }

    /// Publishes a new version of one of this school's documents.
    pub async fn update(&self, doc: RecordId, body: Vec<u8>) -> Result<VerifiedRecord, NodeError> {
        let first = self.own_document(&doc)?;
        let kind = first.kind();
        if kind == Kind::Retraction {
            return Err(NodeError::Rule(Violation::RetractionIsFinal {
                attempted: "updated",
            }));
        }
        self.check_rules(kind, &body, Some(&doc))?;
        self.append_and_publish(kind, body, Some(doc)).await
    }

    /// Retracts one of this school's documents: its bodies are purged on every node.
    pub async fn retract(
        &self,
        doc: RecordId,
        reason: Option<String>,
    ) -> Result<VerifiedRecord, NodeError> {
        let first = self.own_document(&doc)?;
        if first.kind() == Kind::Retraction {
            return Err(NodeError::Rule(Violation::RetractionIsFinal {
                attempted: "retracted",
            }));
        }
        let mut body = serde_json::json!({ "doc": doc.to_string() });
        if let Some(reason) = reason.filter(|reason| !reason.trim().is_empty()) {
            body["reason"] = serde_json::json!({ language_of(&reason): reason });
        }
        let family = first.kind().topic_family();
        let record = self.append(Kind::Retraction, body.to_string().into_bytes(), None)?;
        self.broadcast(&record, family).await;
        Ok(record)
    }

    /// The first version of a document of this school that is not retracted.
    fn own_document(&self, doc: &RecordId) -> Result<VerifiedRecord, NodeError> {
        let Some(first) = self.inner.store.get(doc)? else {
            return Err(NodeError::NotFound(format!("document {doc}")));
        };
        if first.record.author() != self.inner.school_id {
            return Err(NodeError::Rule(Violation::NotTheAuthor { doc: *doc }));
        }
        if first.record.header().doc.is_some() {
            return Err(NodeError::BadRequest(format!(
                "{doc} is a later version; name the document by its first version's id ({})",
                first.record.doc()
            )));
        }
        if first.retracted {
            return Err(NodeError::Rule(Violation::Retracted { doc: *doc }));
        }
        Ok(first.record)
    }

    /// Protocol rules that depend on held records (mentoring rules live with the
    /// mentoring module); body validation itself happens when signing.
    fn check_rules(
        &self,
        kind: Kind,
        body: &[u8],
        doc: Option<&RecordId>,
    ) -> Result<(), NodeError> {
        crate::rules::check_local(self, kind, body, doc)
    }

    fn append(
        &self,
        kind: Kind,
        body: Vec<u8>,
        doc: Option<RecordId>,
    ) -> Result<VerifiedRecord, NodeError> {
        if body.len() > ensemble_core::limits::MAX_BODY_BYTES {
            return Err(NodeError::TooLarge {
                what: "body",
                size: body.len(),
                limit: ensemble_core::limits::MAX_BODY_BYTES,
            });
        }
        let draft = Draft {
            network: self.inner.options.network.clone(),
            kind,
            doc,
            body,
        };
        // The mark's lock spans the append and the raise, so that two publishes cannot
        // raise it out of order; the store flushed the record before the raise, and the
        // raise is durable before the record is published or acknowledged.
        let mut mark = self
            .inner
            .mark
            .lock()
            .map_err(|_| NodeError::Store(ensemble_store::Error::Poisoned))?;
        let record = self
            .inner
            .store
            .append(
                &self.inner.key,
                draft,
                ensemble_core::now_ms(),
                mark.signed(),
            )
            .map_err(|error| match error {
                ensemble_store::Error::Record(error) => NodeError::from_record(error),
                ensemble_store::Error::OwnLogBehind { held, signed } => {
                    NodeError::OwnLogBehind { held, signed }
                }
                other => NodeError::Store(other),
            })?;
        mark.raise(record.seq())?;
        drop(mark);
        self.announce(&record);
        Ok(record)
    }

    async fn append_and_publish(
        &self,
        kind: Kind,
        body: Vec<u8>,
        doc: Option<RecordId>,
    ) -> Result<VerifiedRecord, NodeError> {
        let record = self.append(kind, body, doc)?;
        self.broadcast(&record, kind.topic_family()).await;
        Ok(record)
    }

    /// Publishes a stored record on its network topic and its author's school topic.
    /// Failure to reach anyone is not an error: the record is stored and sync carries it.
    async fn broadcast(&self, record: &VerifiedRecord, family: TopicFamily) {
        let topics = vec![
            topic::network(&record.header().network, family),
            topic::school(&record.author()),
        ];
        let outcome = match self.inner.net.publish(topics, record.to_wire()).await {
            Ok(outcome) if !outcome.delivered_topics.is_empty() => "delivered",
            Ok(_) => "stored_only",
            Err(error) => {
                warn!(%error, id = %record.id(), "publish failed; sync will deliver the record");
                "stored_only"
            }
        };
        self.inner
            .metrics
            .published
            .get_or_create(&PublishLabels {
                kind: record.kind().as_str().into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// Publishes the school profile from the configuration when the log has none.
    pub(super) async fn ensure_profile(&self) -> Result<(), NodeError> {
        let held = self.inner.store.max_seq(&self.inner.school_id)?;
        if held < self.signed_seq() {
            // The profile may be among the records peers have yet to give back; signing
            // now would reuse a seq.
            warn!(
                held,
                signed = self.signed_seq(),
                "own log incomplete; the profile is not republished"
            );
            return Ok(());
        }
        let has_profile = self
            .inner
            .store
            .latest(Kind::SchoolProfile)?
            .iter()
            .any(|record| record.author() == self.inner.school_id);
        if has_profile {
            return Ok(());
        }
        let options = &self.inner.options;
        // The configuration was validated through the same function when it was loaded,
        // so this refuses nothing the loader accepted.
        let body =
            ensemble_core::body::configured_profile(&options.name, &options.region, &options.roles)
                .map_err(|errors| NodeError::Invalid {
                    kind: Kind::SchoolProfile,
                    errors,
                })?;
        self.append_and_publish(Kind::SchoolProfile, body, None)
            .await?;
        Ok(())
    }
}
