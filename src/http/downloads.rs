//! File downloads, as plain HTTP routes (a browser saves them with an ordinary link). They go
//! through the same session and permission check as the server functions; each reads its
//! request, calls one service (which records the download in the audit trail) and answers.

use super::error::error_response;
use super::session::{operator_for, session_token_in};
use crate::domain::AppError;
use crate::domain::node::NodeId;
use crate::domain::operator::{Operator, Permission};
use crate::domain::search::{UserSearch, UserTarget};
use crate::domain::user::UserId;
use crate::server::AppState;
use crate::server::operations::{export, user_data};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

async fn caller(state: &AppState, headers: &HeaderMap, permission: Permission) -> Result<Operator, AppError> {
    operator_for(state, session_token_in(headers, &state.config), permission).await?.past_password_change()
}

/// `GET /exports/enable-runs/{id}.xml`: the results of an enable run.
pub async fn enable_results(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let operator = caller(&state, &headers, Permission::ViewDeployment).await?;
        let id: i64 =
            file.strip_suffix(".xml").and_then(|n| n.parse().ok()).ok_or(AppError::ExportNotFound)?;
        export::enable_results_file(&state.db, &operator, id).await
    }
    .await;
    match result {
        Ok((file, xml)) => xml_download(xml, &file),
        Err(error) => error_response(&error),
    }
}

/// Which users a user data export takes: `users=1,2,3` (selected users), `node=…&q=…` (every
/// user of a tree node matching the quick filter) or `search=…` (every result of a search).
#[derive(Debug, serde::Deserialize)]
pub struct UserDataQuery {
    users: Option<String>,
    node: Option<String>,
    q: Option<String>,
    search: Option<String>,
}

impl UserDataQuery {
    fn target(&self) -> Result<UserTarget, AppError> {
        match (&self.users, &self.node, &self.search) {
            (Some(list), None, None) => {
                let ids: Result<Vec<UserId>, _> =
                    list.split(',').filter(|s| !s.is_empty()).map(|s| s.trim().parse().map(UserId)).collect();
                Ok(UserTarget::Users(ids.map_err(|_| AppError::BadRequest)?))
            }
            (None, Some(node), None) => Ok(UserTarget::Node {
                node: node.parse::<NodeId>().map_err(|_| AppError::InvalidNode)?,
                filter: self.q.clone().unwrap_or_default(),
            }),
            (None, None, Some(search)) => Ok(UserTarget::Search(UserSearch::from_query_string(search)?)),
            _ => Err(AppError::BadRequest),
        }
    }
}

/// `GET /exports/user-data.xml`: the server data of some users, as a user data file.
pub async fn user_data(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<UserDataQuery>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let operator = caller(&state, &headers, Permission::ManageUsers).await?;
        user_data::export(&state.db, &operator, &query.target()?).await
    }
    .await;
    match result {
        Ok((file, xml)) => xml_download(xml, &file),
        Err(error) => error_response(&error),
    }
}

/// `GET /exports/audit.csv?operator=…&operation=…&from=…&to=…&user=…`: the events the audit
/// page's filters select.
pub async fn audit_csv(
    State(state): State<AppState>,
    axum::extract::Query(params): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    use crate::domain::audit::AuditQuery;
    let result = async {
        let operator = caller(&state, &headers, Permission::ViewDeployment).await?;
        let query = AuditQuery::from_params(|k| params.get(k).cloned());
        crate::server::security::audit::log::export_csv(&state.db, &operator, &query).await
    }
    .await;
    match result {
        Ok(csv) => csv_attachment(csv, &format!("audit-{}.csv", crate::server::now())),
        Err(error) => error_response(&error),
    }
}

/// `GET /exports/jobs/{id}.csv`: every per-user result of a job, like `Move-CsUser -Report`
/// (the job page's *Download the results (CSV)*; the scripting API's `/api/v1/jobs/{id}/users.csv` is the
/// same file). Audited as a download.
pub async fn job_users_csv(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let operator = caller(&state, &headers, Permission::ViewDeployment).await?;
        let id =
            file.strip_suffix(".csv").and_then(|n| n.parse::<i64>().ok()).ok_or(AppError::JobNotFound)?;
        let csv =
            crate::server::jobs::report_csv(&state.db, &operator, crate::domain::jobs::JobId(id)).await?;
        Ok::<_, AppError>((file, csv))
    }
    .await;
    match result {
        Ok((file, csv)) => csv_attachment(csv, &format!("job-{file}")),
        Err(error) => error_response(&error),
    }
}

/// A CSV file as a download named `name`.
fn csv_attachment(csv: Vec<u8>, name: &str) -> Response {
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `GET /exports/topology.toml`: the current topology as a topology file (Enterprise
/// Administrators), what `uc-admin topology export` prints.
pub async fn topology(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result = async {
        caller(&state, &headers, Permission::ManagePools).await?;
        crate::server::topology::file::export(&state.db).await
    }
    .await;
    match result {
        Ok(text) => {
            let mut response = text.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/toml; charset=utf-8"));
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"topology.toml\""),
            );
            response
        }
        Err(error) => error_response(&error),
    }
}

fn xml_download(xml: String, file_name: &str) -> Response {
    let mut response = xml.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The one-time ticket of a backup download (`?ticket=`), issued by
/// `api::admin::authorize_backup_download` after a password confirmation.
#[derive(Debug, serde::Deserialize)]
pub struct TicketQuery {
    ticket: Option<String>,
}

/// `GET /exports/backups/{file}?ticket=…`: a backup from the backup folder (Enterprise
/// Administrators, with a ticket from a password confirmation), streamed from disk.
pub async fn backup(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<TicketQuery>,
    request: axum::extract::Request,
) -> Response {
    use tower::ServiceExt;
    let token = session_token_in(request.headers(), &state.config);
    let result = async {
        let operator =
            operator_for(&state, token, Permission::BackUpDatabase).await?.past_password_change()?;
        let path = crate::server::storage::backup::path_of(&state.config.backup_dir, &file)?;
        let ticket = query.ticket.as_deref().ok_or(AppError::StepUpFailed)?;
        crate::server::storage::backup::redeem_ticket(&state.db, &operator, &file, ticket).await?;
        Ok::<_, AppError>(path)
    }
    .await;
    let path = match result {
        Ok(path) => path,
        Err(error) => return error_response(&error),
    };
    match tower_http::services::ServeFile::new(path).oneshot(request).await {
        Ok(response) => {
            let mut response = response.map(axum::body::Body::new);
            let disposition = format!("attachment; filename=\"{file}\"");
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(never) => match never {},
    }
}
