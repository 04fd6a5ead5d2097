//! Pure domain types and rules, compiled for both the server and the browser.
//! Nothing here knows about HTTP, SQL or the DOM.

pub mod api_token;
pub mod approval;
pub mod audit;
pub mod configure;
pub mod delete;
pub mod deployment;
pub mod enable;
pub mod error;
pub mod format;
pub mod jobs;
pub mod moves;
pub mod node;
pub mod operation;
pub mod operator;
pub mod org;
pub mod paging;
pub mod pool;
pub mod schedule;
pub mod scope;
pub mod search;
pub mod security;
pub mod sip;
pub mod topology;
pub mod undo;
pub mod user;
pub mod user_data;
pub mod user_list;

pub use error::AppError;

/// The OpenAPI schema of a type whose JSON form is a string (its parsed value travels in its
/// text form): what the scripting API's document says of it.
#[cfg(feature = "ssr")]
macro_rules! string_schema {
    ($ty:ty, $description:literal) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .into()
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}
#[cfg(feature = "ssr")]
string_schema!(
    node::NodeId,
    "A node of the pool tree: `forest`, `enterprise-pools`, `standard-servers`, `earlier-versions`, `unassigned` or `pool-{id}`."
);
#[cfg(feature = "ssr")]
string_schema!(
    search::SipPattern,
    "A SIP URI pattern: `*` any characters, `?` one; without wildcards, URIs containing it."
);
#[cfg(feature = "ssr")]
string_schema!(sip::SipUri, "A SIP URI, `sip:user@domain`.");
