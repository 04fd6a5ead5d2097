//! File downloads, as plain HTTP routes (a browser saves them with an ordinary link).
//! They go through the same session and permission check as the server functions, and every
//! download is audited (who took which file, how many users or rows it held).

use super::gate::{operator_for, session_token_in};
use crate::domain::AppError;
use crate::domain::operator::Permission;
use crate::server::{AppState, enable, export, user_data};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

fn error_response(error: AppError) -> Response {
    super::gate::error_response(&error)
}

/// Records a download in the audit trail.
async fn audit_download(
    state: &AppState,
    operator: &crate::domain::operator::Operator,
    kind: &str,
    file: &str,
    count: u64,
) -> Result<(), AppError> {
    crate::server::db::in_write(&state.db, async |conn| {
        let parameters = serde_json::json!({ "kind": kind, "file": file });
        crate::server::audit::record(conn, operator, "download", parameters, count).await.map(drop)
    })
    .await
}

/// `GET /exports/enable-runs/{id}.xml`: the results of an enable run.
pub async fn enable_results(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let by = operator_for(&state, session_token_in(&headers, &state.config), Permission::ViewDeployment)
            .await?;
        let id: i64 =
            file.strip_suffix(".xml").and_then(|n| n.parse().ok()).ok_or(AppError::ExportNotFound)?;
        let run = enable::load_run(&state.db, id).await?;
        let operator: String = sqlx::query_scalar("SELECT operator_name FROM audit_events WHERE id = ?")
            .bind(id)
            .fetch_one(&state.db)
            .await?;
        let xml = export::enable_results(&run, &operator)?;
        let users = run.users.len() as u64;
        audit_download(&state, &by, "enable_results", &format!("enable-results-{id}.xml"), users).await?;
        Ok::<_, AppError>((id, xml))
    }
    .await;
    match result {
        Ok((id, xml)) => xml_download(xml, &format!("enable-results-{id}.xml")),
        Err(error) => error_response(error),
    }
}

/// Which users a user data export takes: `users=1,2,3` (selected users) or `node=…&q=…`
/// (every user of a tree node matching the quick filter).
#[derive(Debug, serde::Deserialize)]
pub struct UserDataQuery {
    users: Option<String>,
    node: Option<String>,
    q: Option<String>,
    /// A search in its URL form: every result.
    search: Option<String>,
}

/// `GET /exports/user-data.xml`: the server data of some users, as a user data file.
pub async fn user_data(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<UserDataQuery>,
    headers: HeaderMap,
) -> Response {
    use crate::domain::node::NodeId;
    use crate::domain::user::UserId;
    use crate::domain::user_data::{MAX_EXPORT_SELECTED, MAX_EXPORT_USERS};
    let result = async {
        let operator =
            operator_for(&state, session_token_in(&headers, &state.config), Permission::ManageUsers).await?;
        let users: Vec<UserId> = match (&query.users, &query.node) {
            (None, None) if query.search.is_some() => {
                let search = crate::domain::search::UserSearch::from_query_string(
                    query.search.as_deref().unwrap_or(""),
                )?;
                crate::server::search::ids(&state.db, &search, MAX_EXPORT_USERS + 1).await?
            }
            (Some(list), None) => {
                let ids: Result<Vec<UserId>, _> =
                    list.split(',').filter(|s| !s.is_empty()).map(|s| s.trim().parse().map(UserId)).collect();
                let ids = ids.map_err(|_| AppError::BadRequest)?;
                if ids.len() > MAX_EXPORT_SELECTED {
                    return Err(AppError::BatchTooLarge { max: MAX_EXPORT_SELECTED as u64 });
                }
                ids
            }
            (None, Some(node)) => {
                let node: NodeId = node.parse().map_err(|_| AppError::InvalidNode)?;
                let filter = query.q.clone().unwrap_or_default();
                crate::server::users::ids(&state.db, node, &filter, MAX_EXPORT_USERS + 1).await?
            }
            _ => return Err(AppError::BadRequest),
        };
        let at = crate::server::now();
        let data = user_data::load(&state.db, &users).await?;
        let xml = user_data::to_xml(&data, &operator.username, at)?;
        audit_download(&state, &operator, "user_data", &user_data::file_name(at), data.len() as u64).await?;
        Ok::<_, AppError>((at, xml))
    }
    .await;
    match result {
        Ok((at, xml)) => xml_download(xml, &user_data::file_name(at)),
        Err(error) => error_response(error),
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
        let by = operator_for(&state, session_token_in(&headers, &state.config), Permission::ViewDeployment)
            .await?;
        let query = AuditQuery::from_params(|k| params.get(k).cloned());
        let (csv, rows) =
            crate::server::audit::log::csv(&state.db, &query, crate::server::audit::log::Reader::of(&by))
                .await?;
        audit_download(&state, &by, "audit_csv", "audit.csv", rows).await?;
        Ok(csv)
    }
    .await;
    match result {
        Ok(csv) => {
            let mut response = csv.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            let name = format!("attachment; filename=\"audit-{}.csv\"", crate::server::now());
            if let Ok(value) = HeaderValue::from_str(&name) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => error_response(error),
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
        let operator = operator_for(&state, token, Permission::BackUpDatabase).await?;
        let path = crate::server::backup::path_of(&state.config.backup_dir, &file)?;
        let ticket = query.ticket.as_deref().ok_or(AppError::StepUpFailed)?;
        crate::server::backup::redeem_ticket(&state.db, &operator, &file, ticket).await?;
        Ok::<_, AppError>(path)
    }
    .await;
    let path = match result {
        Ok(path) => path,
        Err(error) => return error_response(error),
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
