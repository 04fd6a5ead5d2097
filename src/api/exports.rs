//! File downloads, as plain HTTP routes (a browser saves them with an ordinary link).
//! They go through the same session and permission check as the server functions.

use super::gate::{operator_for, session_token_in};
use crate::domain::AppError;
use crate::domain::operator::Permission;
use crate::server::{AppState, enable, export};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

fn error_response(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(error)).into_response()
}

/// `GET /exports/enable-runs/{id}.xml`: the results of an enable run.
pub async fn enable_results(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        operator_for(&state, session_token_in(&headers), Permission::ViewDeployment).await?;
        let id: i64 =
            file.strip_suffix(".xml").and_then(|n| n.parse().ok()).ok_or(AppError::ExportNotFound)?;
        let run = enable::load_run(&state.db, id).await?;
        let operator: String = sqlx::query_scalar("SELECT operator_name FROM audit_events WHERE id = ?")
            .bind(id)
            .fetch_one(&state.db)
            .await?;
        Ok::<_, AppError>((id, export::enable_results(&run, &operator)?))
    }
    .await;
    match result {
        Ok((id, xml)) => {
            let disposition = format!("attachment; filename=\"enable-results-{id}.xml\"");
            let mut response = xml.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => error_response(error),
    }
}
