//! The one place where errors become HTTP statuses, for the JSON API and the web
//! interface alike.
//!
//! [`fault_of`] (and [`search_fault_of`] for the search index) is the status policy:
//! an error is either the caller's fault (4xx: the message, and for a body every field
//! at fault, goes back to the caller; the web shows it beside the form fields) or the
//! node's fault (5xx: a store, network, data-directory or configuration failure,
//! logged here, and never presented as something the caller could fix). [`ApiError`]
//! turns that decision into a JSON response; the web pages turn the same decision into
//! a form with faults or an error page. This module does not render HTML.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ensemble_core::FieldError;
use ensemble_node::NodeError;
use ensemble_node::search;
use serde::{Deserialize, Serialize};

/// The JSON error body every failing call returns.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    /// One line for people.
    pub error: String,
    /// Every field at fault, when the request body was invalid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<ErrorField>,
}

/// A field at fault.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorField {
    /// JSON path.
    pub field: String,
    /// The fault's stable code (`required`, `length`, …), for clients that word it in
    /// their own language; absent from older nodes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// Why, in English.
    pub message: String,
}

impl From<&FieldError> for ErrorField {
    fn from(error: &FieldError) -> Self {
        ErrorField {
            field: error.field.clone(),
            code: error.code.to_string(),
            message: error.message.clone(),
        }
    }
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    /// An error with a status and a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: message.into(),
                fields: Vec::new(),
            },
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this call needs the node's token: Authorization: Bearer <token from DATA_DIR/api-token>",
        )
    }

    /// 404.
    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// Whose fault a failed request is, and so how it is answered: the whole status
/// policy of the crate, shared by the JSON API and the web forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request's (4xx): the caller can fix it, so it is told what is wrong; the web
    /// shows it on the form, beside the field at fault where there is one.
    Caller(StatusCode),
    /// The node's (5xx): storage, network, data directory or configuration failed.
    /// Logged for the operator; the caller gets an error response, never a form
    /// fault, since nothing they could type would fix it.
    Server(StatusCode),
}

impl Fault {
    /// The HTTP status of the answer.
    pub fn status(self) -> StatusCode {
        match self {
            Fault::Caller(status) | Fault::Server(status) => status,
        }
    }
}

/// The status policy for the node's errors.
///
/// A body the validator refuses and a malformed request are 400; a body over a size
/// limit 413; a named record the node does not hold 404; a protocol rule that refuses
/// the write (a thread's rule, another school's document) 422, so a client can tell
/// "fix your input" from "this is not allowed". A stale or forged listing cursor is the
/// caller's too (400), although the store reports it. A stopped network is 503 (the
/// node is shutting down or restarting: try again); every other store, data-directory
/// or configuration failure is 500. A node whose own log is behind the last seq it signed
/// (after a store loss) refuses to sign until sync or `ensemble recover` brings the log
/// back: 503, try again later; a damaged store is 500.
pub fn fault_of(error: &NodeError) -> Fault {
    match error {
        NodeError::Invalid { .. } | NodeError::BadRequest(_) => {
            Fault::Caller(StatusCode::BAD_REQUEST)
        }
        NodeError::TooLarge { .. } => Fault::Caller(StatusCode::PAYLOAD_TOO_LARGE),
        NodeError::NotFound(_) => Fault::Caller(StatusCode::NOT_FOUND),
        NodeError::Rule(_) => Fault::Caller(StatusCode::UNPROCESSABLE_ENTITY),
        NodeError::Store(ensemble_node::StoreError::InvalidCursor(_)) => {
            Fault::Caller(StatusCode::BAD_REQUEST)
        }
        NodeError::Net(_) | NodeError::OwnLogBehind { .. } => {
            Fault::Server(StatusCode::SERVICE_UNAVAILABLE)
        }
        NodeError::Store(_)
        | NodeError::DataDir(_)
        | NodeError::Config(_)
        | NodeError::Damaged(_) => Fault::Server(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// The status policy for the search index's errors: a query at fault is 400; an
/// indexer that has stopped (shutdown) is 503; a broken index or store is 500.
pub fn search_fault_of(error: &search::Error) -> Fault {
    match error {
        search::Error::Invalid(_) => Fault::Caller(StatusCode::BAD_REQUEST),
        search::Error::Stopped => Fault::Server(StatusCode::SERVICE_UNAVAILABLE),
        _ => Fault::Server(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

impl From<NodeError> for ApiError {
    fn from(error: NodeError) -> ApiError {
        let fault = fault_of(&error);
        if let Fault::Server(_) = fault {
            tracing::error!(%error, "request failed");
        }
        // Only a validation failure names fields: JSON paths into the body sent, which
        // the web maps back onto its form inputs.
        let fields = match &error {
            NodeError::Invalid { errors, .. } => {
                errors.errors.iter().map(ErrorField::from).collect()
            }
            _ => Vec::new(),
        };
        ApiError {
            status: fault.status(),
            body: ErrorBody {
                error: error.to_string(),
                fields,
            },
        }
    }
}

impl From<search::Error> for ApiError {
    fn from(error: search::Error) -> ApiError {
        let fault = search_fault_of(&error);
        if let Fault::Server(_) = fault {
            tracing::error!(%error, "search failed");
        }
        ApiError::new(fault.status(), error.to_string())
    }
}

impl From<ensemble_node::StoreError> for ApiError {
    fn from(error: ensemble_node::StoreError) -> ApiError {
        ApiError::from(NodeError::Store(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ensemble_core::Kind;
    use ensemble_core::body::{Mode, validate};

    fn check(error: NodeError, expected: Fault) {
        let text = error.to_string();
        assert_eq!(fault_of(&error), expected, "{text}");
        assert_eq!(ApiError::from(error).status(), expected.status(), "{text}");
    }

    #[test]
    fn callers_faults_are_4xx_and_the_nodes_are_5xx() {
        let Err(errors) = validate(Kind::Practice, b"{}", Mode::Local) else {
            panic!("an empty practice validated");
        };
        check(
            NodeError::Invalid {
                kind: Kind::Practice,
                errors,
            },
            Fault::Caller(StatusCode::BAD_REQUEST),
        );
        check(
            NodeError::BadRequest("no".into()),
            Fault::Caller(StatusCode::BAD_REQUEST),
        );
        check(
            NodeError::TooLarge {
                what: "body",
                size: 2,
                limit: 1,
            },
            Fault::Caller(StatusCode::PAYLOAD_TOO_LARGE),
        );
        check(
            NodeError::NotFound("record".into()),
            Fault::Caller(StatusCode::NOT_FOUND),
        );
        check(
            NodeError::Rule(ensemble_core::rules::Violation::NotTheAuthor {
                doc: ensemble_core::RecordId([3; 32]),
            }),
            Fault::Caller(StatusCode::UNPROCESSABLE_ENTITY),
        );
        check(
            NodeError::Store(ensemble_node::StoreError::InvalidCursor("x".into())),
            Fault::Caller(StatusCode::BAD_REQUEST),
        );
        check(
            NodeError::Store(ensemble_node::StoreError::Corrupt("head".into())),
            Fault::Server(StatusCode::INTERNAL_SERVER_ERROR),
        );
        check(
            NodeError::Config("api.listen".into()),
            Fault::Server(StatusCode::INTERNAL_SERVER_ERROR),
        );
        check(
            NodeError::OwnLogBehind {
                held: 8,
                signed: 20,
            },
            Fault::Server(StatusCode::SERVICE_UNAVAILABLE),
        );
    }

    #[test]
    fn search_faults_follow_the_same_policy() {
        let cases = [
            (
                search::Error::Invalid("limit".into()),
                Fault::Caller(StatusCode::BAD_REQUEST),
            ),
            (
                search::Error::Stopped,
                Fault::Server(StatusCode::SERVICE_UNAVAILABLE),
            ),
            (
                search::Error::Directory {
                    path: "index".into(),
                    reason: "gone".into(),
                },
                Fault::Server(StatusCode::INTERNAL_SERVER_ERROR),
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(search_fault_of(&error), expected, "{error}");
        }
    }
}
