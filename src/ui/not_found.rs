//! The page for addresses that match no route.

use crate::i18n::*;
use crate::ui::common::page_title;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        {page_title(move || t_string!(i18n, not_found.title).to_string())}
        <main id="main" class="login-card">
            <h1>{t!(i18n, not_found.title)}</h1>
            <p>{t!(i18n, not_found.body)}</p>
            <p><A href="/browse/forest">{t!(i18n, not_found.home)}</A></p>
        </main>
    }
}
