//! The sign-in page.

use super::common::error_message;
use super::console::LanguageSwitcher;
use crate::api::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS, SignIn};
use crate::i18n::*;
use crate::ui::common::page_title;
use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let sign_in = ServerAction::<SignIn>::new();
    let error = move || sign_in.value().get().and_then(Result::err);
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, login.title), t_string!(i18n, app_name)))}
        <CardPage>
                <h1>{t!(i18n, login.title)}</h1>
                <p class="muted">{t!(i18n, login.intro)}</p>
                <ActionForm action=sign_in attr:class="form-stack">
                    <label for="username">{t!(i18n, login.username)}</label>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        maxlength=MAX_USERNAME_CHARS
                    />
                    <label for="password">{t!(i18n, login.password)}</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        maxlength=MAX_PASSWORD_CHARS
                    />
                    {move || error().map(|error| view! { <FormAlert error /> })}
                    <button type="submit" class="button button-primary" disabled=move || sign_in.pending().get()>
                        {move || if sign_in.pending().get() {
                            t_string!(i18n, login.signing_in)
                        } else {
                            t_string!(i18n, login.submit)
                        }}
                    </button>
                </ActionForm>
        </CardPage>
    }
}

/// A page outside the console (sign-in, choosing a password): the name, the language, a card.
#[component]
pub fn CardPage(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="login-screen">
            <header class="login-header">
                <span class="brand-name">{t!(i18n, app_name)}</span>
                <LanguageSwitcher />
            </header>
            <main id="main" class="login-card">{children()}</main>
        </div>
    }
}

/// A form's refusal, in words, announced to screen readers.
#[component]
pub fn FormAlert(error: crate::domain::AppError) -> impl IntoView {
    let i18n = use_i18n();
    let code = error.code();
    view! {
        <p class="alert alert-error" role="alert" data-error-code=code>{move || error_message(i18n, &error)}</p>
    }
}
