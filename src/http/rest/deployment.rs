//! Pools and users, read-only: the pool tree with its counts, one pool, the users a search
//! finds (Find's filters and wildcards, in pages walked with a cursor), one user.

use super::RestState;
use super::extract::{ApiPath, ApiQuery, Caller};
use super::problem::ApiError;
use crate::domain::AppError;
use crate::domain::node::PoolTree;
use crate::domain::pool::{PoolDetail, PoolId};
use crate::domain::search::UserSearch;
use crate::domain::user::{UserDetail, UserId, UserRow};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

/// The pool tree: every pool with its users, and the counts of each node.
#[utoipa::path(get, path = "/api/v1/pools", operation_id = "list_pools", tag = "Pools",
    responses((status = 200, body = PoolTree)))]
pub async fn pools(State(state): State<RestState>, caller: Caller) -> Result<Json<PoolTree>, ApiError> {
    Ok(Json(crate::server::topology::pools::tree(&state.app.db, &caller.operator.scope).await?))
}

/// One pool: version, state, capacity and its users' counts.
#[utoipa::path(get, path = "/api/v1/pools/{id}", operation_id = "get_pool", tag = "Pools",
    params(("id" = i64, Path, description = "The pool's id")),
    responses((status = 200, body = PoolDetail)))]
pub async fn pool(
    State(state): State<RestState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PoolDetail>, ApiError> {
    Ok(Json(crate::server::topology::pools::detail(&state.app.db, &caller.operator.scope, PoolId(id)).await?))
}

/// Users per page at most.
pub const MAX_USERS_PER_PAGE: u32 = 1_000;

/// The Find page's filters (the same names and values as its URL), a page size and a cursor.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsersParams {
    /// Where to look: `forest` (default), `enterprise-pools`, `standard-servers`,
    /// `earlier-versions`, `unassigned` or `pool-{id}`.
    node: Option<String>,
    /// Part of the display name or SIP URI, literal, case-insensitive.
    text: Option<String>,
    /// A SIP URI pattern: `*` any characters, `?` one (`jo*`, `*@fabrikam.com`).
    sip: Option<String>,
    /// A pool's id.
    pool: Option<String>,
    /// `lcs2005sp1`, `ocs2007` or `ocs2007r2`.
    version: Option<String>,
    /// Enhanced presence: `yes` or `no`.
    ep: Option<String>,
    /// Federation: `yes` or `no`.
    federation: Option<String>,
    /// Remote access: `yes` or `no`.
    remote: Option<String>,
    /// Public IM connectivity: `yes` or `no`.
    public_im: Option<String>,
    /// Archiving policy.
    archiving: Option<String>,
    /// A meeting policy's name, or `global`.
    meeting_policy: Option<String>,
    /// Telephony option.
    telephony: Option<String>,
    /// Directory account enabled: `yes` or `no`.
    account: Option<String>,
    /// A directory container (OU); its sub-containers' users match too.
    container: Option<String>,
    department: Option<String>,
    /// Home pool deactivated or removed: `yes` or `no`.
    unassigned: Option<String>,
    /// Users per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
}

impl UsersParams {
    fn search(&self) -> Result<UserSearch, AppError> {
        UserSearch::from_params(|key| {
            match key {
                "node" => &self.node,
                "text" => &self.text,
                "sip" => &self.sip,
                "pool" => &self.pool,
                "version" => &self.version,
                "ep" => &self.ep,
                "federation" => &self.federation,
                "remote" => &self.remote,
                "public_im" => &self.public_im,
                "archiving" => &self.archiving,
                "meeting_policy" => &self.meeting_policy,
                "telephony" => &self.telephony,
                "account" => &self.account,
                "container" => &self.container,
                "department" => &self.department,
                "unassigned" => &self.unassigned,
                _ => &None,
            }
            .clone()
        })
    }
}

/// A page of users in SIP URI order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserPage {
    pub items: Vec<UserRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A cursor is the last SIP URI of a page, in hex: opaque to scripts, exact for the portal.
fn cursor_of(uri: &str) -> String {
    uri.bytes().map(|b| format!("{b:02x}")).collect()
}

fn uri_of(cursor: &str) -> Result<String, AppError> {
    let invalid = || AppError::InvalidParameters { detail: "cursor: not a cursor of this API".into() };
    if cursor.len() % 2 != 0 || cursor.len() > 1_024 {
        return Err(invalid());
    }
    // By bytes: a cursor is ASCII hex, and slicing the text could split a character a client sent.
    let digit = |b: u8| (b as char).to_digit(16).ok_or_else(invalid);
    let bytes = cursor
        .as_bytes()
        .chunks(2)
        .map(|pair| Ok((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect::<Result<Vec<u8>, AppError>>()?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

/// Enabled users that match Find's filters, in SIP URI order, a page at a time. The cursor is
/// stable: walking every page lists each matching user once, even while others change.
#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users", tag = "Users", params(UsersParams),
    responses((status = 200, body = UserPage)))]
pub async fn users(
    State(state): State<RestState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<UsersParams>,
) -> Result<Json<UserPage>, ApiError> {
    let search = params.search()?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=MAX_USERS_PER_PAGE).contains(&limit) {
        return Err(
            AppError::InvalidParameters { detail: format!("limit: 1 to {MAX_USERS_PER_PAGE}") }.into()
        );
    }
    let after = params.cursor.as_deref().map(uri_of).transpose()?;
    let (items, next) = crate::server::directory::search::find_after(
        &state.app.db,
        &caller.operator.scope,
        &search,
        after.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(UserPage { items, next_cursor: next.as_deref().map(cursor_of) }))
}

/// One user: directory properties, home pool, settings and the counts of their server data.
#[utoipa::path(get, path = "/api/v1/users/{id}", operation_id = "get_user", tag = "Users",
    params(("id" = i64, Path, description = "The user's id")),
    responses((status = 200, body = UserDetail)))]
pub async fn user(
    State(state): State<RestState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserDetail>, ApiError> {
    Ok(Json(
        crate::server::directory::users::detail(&state.app.db, &caller.operator.scope, UserId(id)).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_refuse_garbage() {
        let uri = "sip:zoë.müller@contoso.com";
        assert_eq!(uri_of(&cursor_of(uri)), Ok(uri.to_string()));
        for bad in ["abc", "zz", "ff", "0\u{80}000", "+f", &"00".repeat(600)] {
            assert!(uri_of(bad).is_err(), "{bad}");
        }
    }
}
