//! The operator's own password: chosen after signing in with a one-time password (the
//! console sends them here until they have), or changed whenever they like.

use super::login::{CardPage, FormAlert};
use crate::api::{ChangePassword, MAX_PASSWORD_CHARS};
use crate::domain::deployment::MIN_PASSWORD_CHARS;
use crate::i18n::*;
use crate::ui::common::page_title;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn PasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let change = ServerAction::<ChangePassword>::new();
    let error = move || change.value().get().and_then(Result::err);
    let field = move |id: &'static str, label: String, autocomplete: &'static str| {
        view! {
            <label for=id>{label}</label>
            <input id=id name=id type="password" autocomplete=autocomplete required maxlength=MAX_PASSWORD_CHARS />
        }
    };
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, password_page.title), t_string!(i18n, app_name)))}
        <CardPage>
                <h1>{t!(i18n, password_page.title)}</h1>
                <p class="muted">{move || t_string!(i18n, password_page.intro, min = MIN_PASSWORD_CHARS).to_string()}</p>
                <ActionForm action=change attr:class="form-stack">
                    {move || field("current", t_string!(i18n, password_page.current).to_string(), "current-password")}
                    {move || field("new", t_string!(i18n, password_page.new).to_string(), "new-password")}
                    {move || field("repeat", t_string!(i18n, password_page.repeat).to_string(), "new-password")}
                    {move || error().map(|error| view! { <FormAlert error /> })}
                    <button type="submit" class="button button-primary" disabled=move || change.pending().get()>
                        {move || if change.pending().get() {
                            t_string!(i18n, password_page.saving)
                        } else {
                            t_string!(i18n, password_page.submit)
                        }}
                    </button>
                </ActionForm>
                <p><A href="/browse/forest">{t!(i18n, password_page.back)}</A></p>
        </CardPage>
    }
}
