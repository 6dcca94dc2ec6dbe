//! The node's error type: one variant per cause a caller might handle. The HTTP layer
//! maps each variant to a status in one place (`ensemble_api::ApiError`).

use ensemble_core::rules::Violation;
use ensemble_core::{Kind, RecordError, ValidationErrors};

use crate::data_dir;

/// Node errors. The HTTP layer maps each variant to a status in one place.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The body is not valid for its kind.
    #[error("invalid {kind} body: {errors}")]
    Invalid {
        /// The kind.
        kind: Kind,
        /// Every field at fault.
        errors: ValidationErrors,
    },
    /// Over a size limit.
    #[error("{what} is {size} bytes, the limit is {limit}")]
    TooLarge {
        /// What.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Something named is not held.
    #[error("{0} not found")]
    NotFound(String),
    /// A protocol rule refuses the request; the violation carries the rule's code.
    #[error("{0}")]
    Rule(Violation),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] ensemble_store::Error),
    /// The network layer failed.
    #[error("network: {0}")]
    Net(#[from] ensemble_net::Error),
    /// Configuration or data-directory problem.
    #[error(transparent)]
    DataDir(#[from] data_dir::Error),
    /// Configuration problem.
    #[error("{0}")]
    Config(String),
    /// The store is damaged: the node refuses to serve a part of it.
    #[error(transparent)]
    Damaged(#[from] crate::recovery::Damage),
    /// The store holds less of this school's log than the key has signed: publishing
    /// now would sign a seq twice, so it waits for sync or `ensemble recover`.
    #[error(
        "this node holds this school's log up to seq {held} but seq {signed} was already signed; publishing waits until peers give the missing records back (sync) or `ensemble recover` restores them"
    )]
    OwnLogBehind {
        /// The highest own seq held.
        held: u64,
        /// The highest own seq signed (the seq mark).
        signed: u64,
    },
}

impl NodeError {
    pub(crate) fn from_record(error: RecordError) -> NodeError {
        match error {
            RecordError::InvalidBody { kind, errors } => NodeError::Invalid { kind, errors },
            RecordError::TooLarge { what, size, limit } => {
                NodeError::TooLarge { what, size, limit }
            }
            other => NodeError::BadRequest(other.to_string()),
        }
    }
}
