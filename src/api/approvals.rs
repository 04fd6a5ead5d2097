//! Server functions of two-person approval: the policy (an Enterprise Administrator's), the
//! requests, and their decisions. A run the policy holds comes back from the operation's own
//! run function as `Started::Requested`.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::approval::{ApprovalId, ApprovalPolicy, ApprovalRequest};
use crate::domain::jobs::Started;
use crate::domain::user::UserId;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

/// A request with its first users, for its page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestView {
    pub request: ApprovalRequest,
    pub users: Vec<(UserId, String)>,
}

#[server(prefix = "/api", endpoint = "approval_policy", input = Json)]
pub async fn get_approval_policy() -> Result<ApprovalPolicy, AppError> {
    gate::authorized(GetApprovalPolicy::PATH, |state, _| async move {
        crate::server::operations::approval::policy(&state.db).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "set_approval_policy", input = Json)]
pub async fn set_approval_policy(policy: ApprovalPolicy) -> Result<(), AppError> {
    gate::authorized(SetApprovalPolicy::PATH, |state, operator| async move {
        crate::server::operations::approval::set_policy(&state.db, &operator, policy).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "list_requests", input = Json)]
pub async fn list_requests() -> Result<Vec<ApprovalRequest>, AppError> {
    gate::authorized(ListRequests::PATH, |state, operator| async move {
        crate::server::operations::approval::list(&state.db, &operator).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "get_request", input = Json)]
pub async fn get_request(request: ApprovalId) -> Result<RequestView, AppError> {
    gate::authorized(GetRequest::PATH, |state, operator| async move {
        let (request, users) =
            crate::server::operations::approval::one(&state.db, &operator, request).await?;
        Ok(RequestView { request, users })
    })
    .await
}

/// Approves another operator's request: its run starts now. A run that deletes data needs the
/// approver's password (`password`).
#[server(prefix = "/api", endpoint = "approve_request", input = Json)]
pub async fn approve_request(
    request: ApprovalId,
    #[server(default)] comment: String,
    #[server(default)] password: Option<String>,
) -> Result<Started<()>, AppError> {
    gate::authorized(ApproveRequest::PATH, |state, operator| async move {
        let client = gate::client(&state.config);
        crate::server::operations::approval::approve(
            &state.db,
            &state.config,
            &operator,
            request,
            &comment,
            password.as_deref(),
            &client,
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "reject_request", input = Json)]
pub async fn reject_request(request: ApprovalId, #[server(default)] comment: String) -> Result<(), AppError> {
    gate::authorized(RejectRequest::PATH, |state, operator| async move {
        crate::server::operations::approval::reject(&state.db, &operator, request, &comment).await
    })
    .await
}
