//! How the portal's error type crosses the wire: as JSON `{"code": ...}`.

use crate::domain::AppError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request itself was malformed: arguments missing or not decodable.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError::BadRequest,
            // On the server the only thing decoded is the request: a body that is not the
            // function's JSON (missing field, wrong type, not JSON) is the caller's mistake.
            // In the browser the same error means an answer that did not decode.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => AppError::BadRequest,
            ServerFnErrorErr::ServerError(_) | ServerFnErrorErr::Registration(_) => AppError::INTERNAL,
            _ => AppError::Network,
        }
    }
}
