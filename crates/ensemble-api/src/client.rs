//! The typed HTTP client the CLI (and tests) use to reach a running node.

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ErrorBody, ErrorField};
use crate::views::{
    BlockView, Changed, FollowView, Health, Published, RecordPage, RecordView, RetractRequest,
    SyncNowRequest, Target,
};

/// Client errors.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing answered.
    #[error("cannot reach the node at {url}: {reason}")]
    Unreachable {
        /// The base URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The node refused the call.
    #[error("{message}{}", fields_suffix(.fields))]
    Api {
        /// HTTP status.
        status: u16,
        /// The node's message.
        message: String,
        /// Fields at fault.
        fields: Vec<ErrorField>,
    },
    /// The answer did not decode.
    #[error("unexpected answer from the node: {0}")]
    Decode(String),
}

fn fields_suffix(fields: &[ErrorField]) -> String {
    if fields.is_empty() || fields.len() == 1 && fields[0].field.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = fields.iter().map(|field| field.field.as_str()).collect();
        format!(" (fields: {})", names.join(", "))
    }
}

impl ClientError {
    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A client for one node.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    /// A client for `base` (e.g. `http://127.0.0.1:4780`), with the token for writes.
    pub fn new(base: &str, token: Option<String>) -> Client {
        Client {
            base: base.trim_end_matches('/').to_string(),
            token,
            http: reqwest::Client::new(),
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response, ClientError> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|error| ClientError::Unreachable {
                url: self.base.clone(),
                reason: error.to_string(),
            })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let (message, fields) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => (body.error, body.fields),
            Err(_) if status == StatusCode::PAYLOAD_TOO_LARGE => (
                "the request is larger than the node accepts".to_string(),
                Vec::new(),
            ),
            Err(_) => (format!("{status}: {}", text.trim()), Vec::new()),
        };
        Err(ClientError::Api {
            status: status.as_u16(),
            message,
            fields,
        })
    }

    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, ClientError> {
        let response = self.send(method, path, body).await?;
        response
            .json()
            .await
            .map_err(|error| ClientError::Decode(error.to_string()))
    }

    fn encode<T: Serialize>(value: &T) -> Option<Vec<u8>> {
        serde_json::to_vec(value).ok()
    }

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<Health, ClientError> {
        self.json(Method::GET, "/healthz", None).await
    }

    /// `GET /metrics`: Prometheus text.
    pub async fn metrics(&self) -> Result<String, ClientError> {
        let response = self.send(Method::GET, "/metrics", None).await?;
        response
            .text()
            .await
            .map_err(|error| ClientError::Decode(error.to_string()))
    }

    /// `GET /api/v1/status` (as JSON; fields as in `ensemble_node::Status`).
    pub async fn status(&self) -> Result<serde_json::Value, ClientError> {
        self.json(Method::GET, "/api/v1/status", None).await
    }

    /// `POST /api/v1/practices` with a practice body.
    pub async fn publish_practice(&self, body: Vec<u8>) -> Result<Published, ClientError> {
        self.json(Method::POST, "/api/v1/practices", Some(body))
            .await
    }

    /// `PUT /api/v1/practices/{doc}`.
    pub async fn update_practice(
        &self,
        doc: &str,
        body: Vec<u8>,
    ) -> Result<Published, ClientError> {
        self.json(Method::PUT, &format!("/api/v1/practices/{doc}"), Some(body))
            .await
    }

    /// `DELETE /api/v1/practices/{doc}`.
    pub async fn retract_practice(
        &self,
        doc: &str,
        reason: Option<String>,
    ) -> Result<Published, ClientError> {
        let body = Client::encode(&RetractRequest { reason });
        self.json(Method::DELETE, &format!("/api/v1/practices/{doc}"), body)
            .await
    }

    /// `GET /api/v1/practices`: latest version of each practice not retracted.
    pub async fn practices(&self) -> Result<Vec<RecordView>, ClientError> {
        self.json(Method::GET, "/api/v1/practices", None).await
    }

    /// `GET /api/v1/records`.
    pub async fn records(
        &self,
        kind: Option<&str>,
        author: Option<&str>,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<RecordPage, ClientError> {
        let mut query = Vec::new();
        if let Some(kind) = kind {
            query.push(format!("kind={kind}"));
        }
        if let Some(author) = author {
            query.push(format!("author={author}"));
        }
        if let Some(limit) = limit {
            query.push(format!("limit={limit}"));
        }
        if let Some(cursor) = cursor {
            query.push(format!("cursor={cursor}"));
        }
        let path = format!("/api/v1/records?{}", query.join("&"));
        self.json(Method::GET, &path, None).await
    }

    /// `GET /api/v1/records/{id}`.
    pub async fn record(&self, id: &str) -> Result<RecordView, ClientError> {
        self.json(Method::GET, &format!("/api/v1/records/{id}"), None)
            .await
    }

    /// `GET /api/v1/export`: the bundle bytes.
    pub async fn export(&self) -> Result<Vec<u8>, ClientError> {
        let response = self.send(Method::GET, "/api/v1/export", None).await?;
        response
            .bytes()
            .await
            .map(|bytes| bytes.to_vec())
            .map_err(|error| ClientError::Decode(error.to_string()))
    }

    /// `POST /api/v1/import`.
    pub async fn import(&self, bundle: Vec<u8>) -> Result<serde_json::Value, ClientError> {
        self.json(Method::POST, "/api/v1/import", Some(bundle))
            .await
    }

    /// `GET /api/v1/peers`.
    pub async fn peers(&self) -> Result<Vec<serde_json::Value>, ClientError> {
        self.json(Method::GET, "/api/v1/peers", None).await
    }

    /// `GET /api/v1/blocks`.
    pub async fn blocks(&self) -> Result<Vec<BlockView>, ClientError> {
        self.json(Method::GET, "/api/v1/blocks", None).await
    }

    /// `POST /api/v1/blocks`.
    pub async fn block(&self, target: &str) -> Result<Changed, ClientError> {
        let body = Client::encode(&Target {
            target: target.to_string(),
        });
        self.json(Method::POST, "/api/v1/blocks", body).await
    }

    /// `DELETE /api/v1/blocks/{target}`.
    pub async fn unblock(&self, target: &str) -> Result<Changed, ClientError> {
        self.json(Method::DELETE, &format!("/api/v1/blocks/{target}"), None)
            .await
    }

    /// `GET /api/v1/follows`.
    pub async fn follows(&self) -> Result<Vec<FollowView>, ClientError> {
        self.json(Method::GET, "/api/v1/follows", None).await
    }

    /// `POST /api/v1/follows`.
    pub async fn follow(&self, school: &str) -> Result<Changed, ClientError> {
        let body = Client::encode(&Target {
            target: school.to_string(),
        });
        self.json(Method::POST, "/api/v1/follows", body).await
    }

    /// `DELETE /api/v1/follows/{school}`.
    pub async fn unfollow(&self, school: &str) -> Result<Changed, ClientError> {
        self.json(Method::DELETE, &format!("/api/v1/follows/{school}"), None)
            .await
    }

    /// `GET /api/v1/sync`.
    pub async fn sync_status(&self) -> Result<Vec<serde_json::Value>, ClientError> {
        self.json(Method::GET, "/api/v1/sync", None).await
    }

    /// `POST /api/v1/sync`.
    pub async fn sync_now(
        &self,
        peer: Option<String>,
    ) -> Result<Vec<serde_json::Value>, ClientError> {
        let body = Client::encode(&SyncNowRequest { peer });
        self.json(Method::POST, "/api/v1/sync", body).await
    }
}
