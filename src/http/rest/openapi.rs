//! The OpenAPI 3.1 document of the scripting API, generated from the handlers' attributes and
//! the domain types' schemas (utoipa), served at `/api/v1/openapi.json`. Every call names the
//! problems it may answer (`Modify`), so that a client generated from it handles them.

use super::problem::{PROBLEM_JSON, Problem};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "UC Admin scripting API",
        description = "Pools, users and the bulk operations of UC Admin over HTTP. Authenticate with a \
                       personal access token from the portal's API page: `Authorization: Bearer uca_…`. \
                       Every operation is a preview (the what-if) and then a run of that preview's token. \
                       Errors are RFC 9457 problems in the language of `Accept-Language` (en, fr, de).",
        version = "1"
    ),
    paths(
        super::deployment::pools,
        super::deployment::pool,
        super::deployment::users,
        super::deployment::user,
        super::operations::preview_enable,
        super::operations::run_enable,
        super::operations::preview_move,
        super::operations::run_move,
        super::operations::preview_delete,
        super::operations::run_delete,
        super::operations::preview_configure,
        super::operations::run_configure,
        super::operations::preview_org_move,
        super::operations::run_org_move,
        super::jobs::list,
        super::jobs::one,
        super::jobs::users,
        super::jobs::users_csv,
        super::jobs::cancel,
        super::jobs::resume,
        super::records::export_user_data,
        super::records::preview_import,
        super::records::run_import,
        super::records::audit_events,
        super::records::audit_event,
    ),
    components(schemas(Problem, crate::domain::jobs::JobLineFilter)),
    modifiers(&Security, &Problems),
    tags(
        (name = "Pools", description = "Enterprise pools and Standard Edition servers"),
        (name = "Users", description = "Enabled users, found with Find's filters"),
        (name = "Enable", description = "Enable directory users for the service"),
        (name = "Move", description = "Move users between pools, normal or force"),
        (name = "Delete", description = "Delete users' server data"),
        (name = "Configure", description = "Change users' settings"),
        (name = "Organizations", description = "Move users between the enterprise's organizations"),
        (name = "Jobs", description = "Large operations running in the background"),
        (name = "User data", description = "Export and import users' server data"),
        (name = "Audit", description = "The audit log"),
    )
)]
struct ApiDoc;

/// Every call needs a bearer token.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        openapi.security = Some(vec![SecurityRequirement::new("token", Vec::<String>::new())]);
    }
}

/// The problems every call may answer, and those of calls with a body.
struct Problems;

const ANY_CALL: [(&str, &str); 9] = [
    ("400", "Invalid parameters or filter values"),
    ("401", "No token, or an unknown, expired or revoked one, or its operator is disabled"),
    ("403", "The operator's roles or the token's permissions do not allow the call"),
    ("404", "What the call names does not exist"),
    ("409", "The state does not allow it (the users changed since the preview, a full pool, …)"),
    ("422", "A value the operation refuses"),
    ("429", "Too many calls with this token; see Retry-After"),
    ("500", "A fault on the server; the problem's request_id is in its log"),
    ("503", "The portal is busy or the directory cannot be reached; see Retry-After"),
];
const WITH_BODY: [(&str, &str); 2] =
    [("413", "The body is larger than the call takes"), ("415", "The body is not application/json")];

impl Modify for Problems {
    fn modify(&self, openapi: &mut Document) {
        let problem = || {
            ResponseBuilder::new().content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(Problem::name()))))
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations: [(HttpMethod, &mut Option<Operation>); 2] =
                [(HttpMethod::Get, &mut item.get), (HttpMethod::Post, &mut item.post)];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                let extra: &[(&str, &str)] = if method == HttpMethod::Post { &WITH_BODY } else { &[] };
                for (status, description) in ANY_CALL.iter().chain(extra) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem().description(*description).build().into());
                }
            }
        }
    }
}

fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}

/// The document as generated, for tests and the API page.
pub fn document_value() -> Document {
    ApiDoc::openapi()
}

/// `GET /api/v1/openapi.json`: public, like any API's reference.
pub async fn document() -> Response {
    let mut response = document_text().to_owned().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// One call of the API as the API page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: String,
    pub tag: String,
    pub summary: String,
    /// Whether the call takes a JSON body.
    pub body: bool,
}

/// The calls of the document, section by section in the order of its tags.
pub fn endpoints() -> Vec<Endpoint> {
    let doc = ApiDoc::openapi();
    let tags: Vec<String> = doc.tags.iter().flatten().map(|t| t.name.clone()).collect();
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, operation) in [("GET", &item.get), ("POST", &item.post)] {
            if let Some(operation) = operation {
                out.push(Endpoint {
                    method,
                    path: path.clone(),
                    tag: operation.tags.as_ref().and_then(|t| t.first().cloned()).unwrap_or_default(),
                    summary: operation.summary.clone().unwrap_or_default(),
                    body: operation.request_body.is_some(),
                });
            }
        }
    }
    out.sort_by_key(|e| tags.iter().position(|t| *t == e.tag).unwrap_or(tags.len()));
    out
}
