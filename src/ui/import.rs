//! The user data import wizard: choose a file, read what it would add, import, read the results.

use super::common::{ErrorPanel, Loading, PasswordConfirm, count, page_title, step_up_error};
use crate::api::user_data::{ImportUserData, PreviewImport};
use crate::domain::AppError;
use crate::domain::operator::{Operator, Permission};
#[cfg(feature = "hydrate")]
use crate::domain::user_data::MAX_IMPORT_BYTES;
use crate::domain::user_data::{ImportCounts, ImportReport};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    File,
    Preview,
    Results,
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let i18n = use_i18n();
    let may_import = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers));
    let step = RwSignal::new(Step::File);
    let file = RwSignal::new(None::<String>);
    let read_error = RwSignal::new(None::<AppError>);
    let no_file = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let preview = ServerAction::<PreviewImport>::new();
    let run = ServerAction::<ImportUserData>::new();
    let check = move |_| {
        read_error.set(None);
        no_file.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(element) = input.get_untracked() {
            leptos::task::spawn_local(async move {
                match super::common::read_text_file(
                    &element,
                    MAX_IMPORT_BYTES,
                    AppError::ImportMalformed { line: 1 },
                )
                .await
                {
                    Ok(Some(text)) => {
                        file.set(Some(text.clone()));
                        preview.dispatch(PreviewImport { file: text });
                        step.set(Step::Preview);
                    }
                    Ok(None) => no_file.set(true),
                    Err(error) => read_error.set(Some(error)),
                }
            });
        }
    };
    // Restoring data is confirmed with the password; a wrong one returns to the preview.
    let password = RwSignal::new(String::new());
    let start = move |_| {
        if let Some(text) = file.get_untracked() {
            run.dispatch(ImportUserData { file: text, password: password.get_untracked() });
            step.set(Step::Results);
        }
    };
    Effect::new(move |_| {
        if let Some(Err(e)) = run.value().get()
            && e.asks_for_password_again()
        {
            step.set(Step::Preview);
        }
    });
    let steps = [Step::File, Step::Preview, Step::Results];
    let step_name = move |s: Step| match s {
        Step::File => t_string!(i18n, import.step_file),
        Step::Preview => t_string!(i18n, import.step_preview),
        Step::Results => t_string!(i18n, import.step_results),
    };
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, import.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, import.title)}</h1></div>
        {super::wizard::steps(move || t_string!(i18n, import.steps_label).to_string(), steps.to_vec(), step, step_name)}
        <Show when=move || step.get() == Step::File>
            <section class="wizard-step" aria-labelledby="import-file-title">
                <h2 id="import-file-title">{t!(i18n, import.step_file)}</h2>
                <p>{t!(i18n, import.intro)}</p>
                {(!may_import).then(|| view! { <p class="alert alert-warn">{t!(i18n, import.not_allowed)}</p> })}
                <div class="field">
                    <label for="import-file">{t!(i18n, import.file_label)}</label>
                    <input type="file" id="import-file" accept=".xml,application/xml,text/xml" node_ref=input
                        data-testid="import-file" disabled=!may_import />
                </div>
                {move || read_error.get().map(|error| view! { <ErrorPanel error /> })}
                {move || no_file.get().then(|| view! { <p class="alert alert-warn" role="alert">{t!(i18n, import.choose_first)}</p> })}
                <div class="wizard-actions">
                    <button type="button" class="button button-primary" data-testid="import-check"
                        disabled=!may_import on:click=check>
                        {t!(i18n, import.check_button)}
                    </button>
                </div>
            </section>
        </Show>
        <Show when=move || step.get() == Step::Preview>
            <section class="wizard-step" aria-labelledby="import-preview-title">
                <h2 id="import-preview-title">{t!(i18n, import.step_preview)}</h2>
                {move || match preview.value().get() {
                    None => view! { <Loading /> }.into_any(),
                    Some(Err(error)) => view! {
                        <ErrorPanel error />
                        <div class="wizard-actions">
                            <button type="button" class="button" on:click=move |_| step.set(Step::File)>{t!(i18n, import.back)}</button>
                        </div>
                    }.into_any(),
                    Some(Ok(report)) => {
                        let adds = report.totals.added_total();
                        view! {
                            <ReportView report results=false />
                            {(adds > 0).then(|| view! { <PasswordConfirm password error=step_up_error(move || run.value().get()) /> })}
                            <div class="wizard-actions">
                                <button type="button" class="button" on:click=move |_| step.set(Step::File)>{t!(i18n, import.back)}</button>
                                <button type="button" class="button button-primary" data-testid="import-run"
                                    disabled=move || adds == 0 || password.with(String::is_empty) || run.pending().get()
                                    on:click=start>
                                    {t!(i18n, import.run_button)}
                                </button>
                            </div>
                        }.into_any()
                    }
                }}
            </section>
        </Show>
        <Show when=move || step.get() == Step::Results>
            <section class="wizard-step" aria-labelledby="import-results-title">
                <h2 id="import-results-title">{t!(i18n, import.step_results)}</h2>
                {move || match run.value().get() {
                    None => view! { <p class="loading" role="status">{t!(i18n, import.running)}</p> }.into_any(),
                    Some(Err(error)) if error.asks_for_password_again() => view! { <Loading /> }.into_any(),
                    Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                    Some(Ok(report)) => view! { <ReportView report results=true /> }.into_any(),
                }}
                <div class="wizard-actions">
                    <A href="/browse/forest" attr:class="button button-primary">{t!(i18n, import.done)}</A>
                </div>
            </section>
        </Show>
    }
}

#[component]
fn ReportView(report: ImportReport, results: bool) -> impl IntoView {
    let i18n = use_i18n();
    let ImportReport { users, lines, totals, .. } = report;
    let (added, present) = (totals.added_total(), totals.present_total());
    let shown = lines.len() as u64;
    let cell = move |counts: ImportCounts, k: usize| {
        move || {
            t_string!(
                i18n,
                import.added_present,
                added = count(i18n, counts.added[k]),
                present = count(i18n, counts.present[k])
            )
            .to_string()
        }
    };
    view! {
        <p class="alert alert-info" role="status" data-testid=if results { "import-results-totals" } else { "import-totals" }>
            {move || {
                let (u, a, p) = (count(i18n, users), count(i18n, added), count(i18n, present));
                if results {
                    t_string!(i18n, import.results_summary, users = u, added = a, present = p).to_string()
                } else {
                    t_string!(i18n, import.preview_summary, users = u, added = a, present = p).to_string()
                }
            }}
        </p>
        {super::wizard::lines_shown(shown, users)}
        <div class="table-wrap">
            <table class="data-table" data-testid="import-table">
                <caption class="visually-hidden">{t!(i18n, import.table_caption)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, wizard.col_name)}</th>
                        <th scope="col">{t!(i18n, import.col_sip)}</th>
                        <th scope="col">{t!(i18n, wizard.col_contacts)}</th>
                        <th scope="col">{t!(i18n, wizard.col_access)}</th>
                        <th scope="col">{t!(i18n, wizard.col_meetings)}</th>
                        <th scope="col">{t!(i18n, wizard.col_presence)}</th>
                    </tr>
                </thead>
                <tbody>
                    {lines.into_iter().map(|line| {
                        let counts = line.counts;
                        view! {
                            <tr>
                                <td><A href=format!("/users/{}", line.id.0)>{line.display_name}</A></td>
                                <td class="mono">{line.sip_uri}</td>
                                {(0..4).map(|k| view! { <td class="numbers">{cell(counts, k)}</td> }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
