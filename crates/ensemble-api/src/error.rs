//! The one place where errors become HTTP statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ensemble_core::FieldError;
use ensemble_node::NodeError;
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

impl From<NodeError> for ApiError {
    fn from(error: NodeError) -> ApiError {
        let status = match &error {
            NodeError::Invalid { .. } | NodeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            NodeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            NodeError::NotFound(_) => StatusCode::NOT_FOUND,
            NodeError::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
            NodeError::Net(_) | NodeError::OwnLogBehind { .. } => StatusCode::SERVICE_UNAVAILABLE,
            NodeError::Store(ensemble_node::StoreError::InvalidCursor(_)) => {
                StatusCode::BAD_REQUEST
            }
            NodeError::Store(_)
            | NodeError::DataDir(_)
            | NodeError::Config(_)
            | NodeError::Damaged(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let fields = match &error {
            NodeError::Invalid { errors, .. } => {
                errors.errors.iter().map(ErrorField::from).collect()
            }
            _ => Vec::new(),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(%error, "request failed");
        }
        ApiError {
            status,
            body: ErrorBody {
                error: error.to_string(),
                fields,
            },
        }
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
