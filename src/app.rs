//! The HTML shell, the router and the routes.

use crate::i18n::*;
use crate::ui::admin::AdminPage;
use crate::ui::api_page::ApiPage;
use crate::ui::audit::{AuditEventPage, AuditPage};
use crate::ui::browse::BrowsePage;
use crate::ui::configure::ConfigurePage;
use crate::ui::console::Console;
use crate::ui::delete::DeletePage;
use crate::ui::enable::EnablePage;
use crate::ui::import::ImportPage;
use crate::ui::jobs::{JobPage, JobsPage};
use crate::ui::login::LoginPage;
use crate::ui::moves::MovePage;
use crate::ui::not_found::NotFound;
use crate::ui::org_move::OrgMovePage;
use crate::ui::orgs::{OrgCsvPage, OrgUserPage, OrgsPage};
use crate::ui::password::PasswordPage;
use crate::ui::pool_page::PoolPage;
use crate::ui::search::SearchPage;
use crate::ui::topology::{TopologyImportPage, TopologyPage};
use crate::ui::user_page::UserPage;
use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Sends the page's Content-Security-Policy, naming the nonce Leptos puts on the page's
/// inline scripts.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    use axum::http::{HeaderValue, header};
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let policy = crate::http::origin::content_security_policy(&nonce.to_string());
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this marks the page as interactive (tests wait for it).
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/uc-admin.css" />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <I18nContextProvider>
            <Router>
                <SkipLink />
                // Pages wait for their data on the server (SsrMode::Async) so that a missing
                // session can answer with a real redirect before any HTML is sent.
                <Routes fallback=NotFound>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/password") view=PasswordPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("/") view=Console ssr=SsrMode::Async>
                        <Route path=path!("") view=|| view! { <Redirect path="/browse/forest" /> } />
                        <Route path=path!("browse/:node") view=BrowsePage />
                        <Route path=path!("pools/:id") view=PoolPage />
                        <Route path=path!("users/:id") view=UserPage />
                        <Route path=path!("enable") view=EnablePage />
                        <Route path=path!("move") view=MovePage />
                        <Route path=path!("import") view=ImportPage />
                        <Route path=path!("lists") view=crate::ui::user_list::UserListPage />
                        <Route path=path!("jobs") view=JobsPage />
                        <Route path=path!("jobs/:id") view=JobPage />
                        <Route path=path!("undo/:change") view=crate::ui::undo::UndoPage />
                        <Route path=path!("requests") view=crate::ui::requests::RequestsPage />
                        <Route path=path!("requests/:id") view=crate::ui::requests::RequestPage />
                        <Route path=path!("search") view=SearchPage />
                        <Route path=path!("delete") view=DeletePage />
                        <Route path=path!("configure") view=ConfigurePage />
                        <Route path=path!("audit") view=AuditPage />
                        <Route path=path!("admin") view=AdminPage />
                        <Route path=path!("scripting") view=ApiPage />
                        <Route path=path!("topology") view=TopologyPage />
                        <Route path=path!("topology/import") view=TopologyImportPage />
                        <Route path=path!("audit/:id") view=AuditEventPage />
                        <Route path=path!("orgs") view=OrgsPage />
                        <Route path=path!("orgs/move") view=OrgMovePage />
                        <Route path=path!("orgs/csv") view=OrgCsvPage />
                        <Route path=path!("orgs/users/:id") view=OrgUserPage />
                        <Route path=path!("orgs/:id") view=OrgsPage />
                    </ParentRoute>
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}

#[component]
fn SkipLink() -> impl IntoView {
    let i18n = use_i18n();
    view! { <a class="skip-link" href="#main">{t!(i18n, skip_to_content)}</a> }
}
