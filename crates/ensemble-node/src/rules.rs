//! Rules checked before this node signs a record of its own, beyond body validation:
//! references must point at records this node holds, and of the right kind; a new
//! mentoring record (or acknowledgement) must keep its thread's rules.

use ensemble_core::body::{self, Body, Mode};
use ensemble_core::rules::Violation;
use ensemble_core::{Kind, RecordId};

use crate::node::{Node, NodeError};

/// Checks a local publish (or update of `doc`) of `kind` against held records.
pub(crate) fn check_local(
    node: &Node,
    kind: Kind,
    body_bytes: &[u8],
    doc: Option<&RecordId>,
) -> Result<(), NodeError> {
    // Body validation proper happens when signing; a body that does not parse is left
    // for that step to report with every field at fault.
    let Ok(body) = body::validate(kind, body_bytes, Mode::Local) else {
        return Ok(());
    };
    if let Body::Feedback(feedback) = &body {
        let Some(target) = node.store().get(&feedback.target)? else {
            return Err(NodeError::Rule(Violation::TargetNotHeld {
                target: feedback.target,
            }));
        };
        if target.retracted {
            return Err(NodeError::Rule(Violation::TargetRetracted {
                target: feedback.target,
            }));
        }
    }
    // A thread's rules judge new documents; a new version keeps its place in the
    // thread, which the derived state re-checks on every node.
    if doc.is_none() {
        node.check_mentoring(kind, &body)?;
    }
    Ok(())
}
