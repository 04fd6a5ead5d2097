//! Server functions of the API page: an operator's personal access tokens for the scripting
//! API (create, list, revoke; administrators list and revoke anyone's), and the API's calls
//! as its OpenAPI document lists them.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::api_token::{ApiToken, ApiTokenId, CreatedApiToken, NewApiToken};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Creates a token for the signed-in operator; its secret is in this answer only.
#[server(prefix = "/api", endpoint = "create_api_token", input = Json)]
pub async fn create_api_token(request: NewApiToken) -> Result<CreatedApiToken, AppError> {
    gate::authorized(CreateApiToken::PATH, |state, operator| async move {
        crate::server::security::api_tokens::create(&state.db, &operator, &request).await
    })
    .await
}

/// The operator's own tokens, or (`everyone`, administrators) every operator's.
#[server(prefix = "/api", endpoint = "list_api_tokens", input = Json)]
pub async fn list_api_tokens(everyone: bool) -> Result<Vec<ApiToken>, AppError> {
    gate::authorized(ListApiTokens::PATH, |state, operator| async move {
        crate::server::security::api_tokens::list(&state.db, &operator, everyone).await
    })
    .await
}

/// Revokes one of the operator's tokens (administrators: anyone's).
#[server(prefix = "/api", endpoint = "revoke_api_token", input = Json)]
pub async fn revoke_api_token(id: ApiTokenId) -> Result<(), AppError> {
    gate::authorized(RevokeApiToken::PATH, |state, operator| async move {
        crate::server::security::api_tokens::revoke(&state.db, &operator, id).await
    })
    .await
}

/// One call of the scripting API, as the API page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCall {
    pub method: String,
    pub path: String,
    /// The section of the reference (`Pools`, `Move`, …).
    pub tag: String,
    /// The call's summary in the reference (English, as in the OpenAPI document).
    pub summary: String,
}

/// The scripting API's calls, in the order of its OpenAPI document.
#[server(prefix = "/api", endpoint = "api_reference", input = Json)]
pub async fn api_reference() -> Result<Vec<ApiCall>, AppError> {
    gate::authorized(ApiReference::PATH, |_, _| async move {
        Ok(crate::http::rest::openapi::endpoints()
            .into_iter()
            .map(|e| ApiCall { method: e.method.into(), path: e.path, tag: e.tag, summary: e.summary })
            .collect())
    })
    .await
}
