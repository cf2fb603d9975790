//! The server's one error type. Each variant maps to an HTTP status; internal details are
//! logged, never sent.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

use crate::{protocol::ApiError, validation::ValidationError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in first: no valid session cookie or bearer token")]
    Unauthorized,
    /// The same answer for an unknown name and a wrong password.
    #[error("Wrong name or password.")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this origin may not open a socket here")]
    ForbiddenOrigin,
    #[error("cross-site requests may not change anything here")]
    CrossSite,
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// 503 with `Retry-After`: the server is at a cap for this kind of work right now.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the transaction did not commit: {0}")]
    Commit(String),
    #[error("the store is closed")]
    StoreClosed,
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("configuration error: {0}")]
    Config(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// 429 for a limit reached: `what` (a sentence), then how long to wait.
    pub fn too_many(what: &str, wait: crate::server::infra::limits::RetryAfter) -> Self {
        Self::RateLimited {
            message: format!("{what} Try again in {} s.", wait.secs()),
            retry_after_secs: wait.secs(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::ForbiddenOrigin | Self::CrossSite => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_)
            | Self::Sqlite(_)
            | Self::Commit(_)
            | Self::StoreClosed
            | Self::Migrate(_)
            | Self::Config(_)
            | Self::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let error = if status.is_server_error() && !matches!(self, Self::Busy { .. }) {
            tracing::error!(error = %self, "request failed");
            "internal server error".to_owned()
        } else {
            self.to_string()
        };
        let mut res = (status, Json(ApiError { error })).into_response();
        if let Self::RateLimited {
            retry_after_secs, ..
        }
        | Self::Busy {
            retry_after_secs, ..
        } = self
        {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
        }
        res
    }
}
