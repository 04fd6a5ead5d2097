//! Users from a list: the operator pastes or uploads SIP URIs or user principal names, one a
//! line, for a move, delete, configuration or enabling; every line is checked before the
//! wizard opens, and the good lines become its users.

use super::common::{ErrorPanel, count, page_title};
use super::console::{ListedForEnable, SelectedUsers};
use crate::api::operations::CheckUserList;
use crate::domain::AppError;
use crate::domain::operator::{Operator, Permission};
use crate::domain::user_list::{LineProblem, ListCheck, ListPurpose};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

fn purpose_name(i18n: super::common::I18n, purpose: ListPurpose) -> &'static str {
    match purpose {
        ListPurpose::Move => t_string!(i18n, lists.purpose_move),
        ListPurpose::Delete => t_string!(i18n, lists.purpose_delete),
        ListPurpose::Configure => t_string!(i18n, lists.purpose_configure),
        ListPurpose::Enable => t_string!(i18n, lists.purpose_enable),
    }
}

fn problem_text(i18n: super::common::I18n, problem: LineProblem) -> String {
    match problem {
        LineProblem::Malformed => t_string!(i18n, lists.problem_malformed).to_string(),
        LineProblem::Duplicate { first_line } => {
            t_string!(i18n, lists.problem_duplicate, line = count(i18n, first_line.into())).to_string()
        }
        LineProblem::Unknown => t_string!(i18n, lists.problem_unknown).to_string(),
        LineProblem::NotEnabled => t_string!(i18n, lists.problem_not_enabled).to_string(),
        LineProblem::AlreadyEnabled => t_string!(i18n, lists.problem_already_enabled).to_string(),
        LineProblem::OutOfScope => t_string!(i18n, lists.problem_out_of_scope).to_string(),
    }
}

#[component]
pub fn UserListPage() -> impl IntoView {
    let i18n = use_i18n();
    let may_change = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers));
    let purpose = RwSignal::new(ListPurpose::Move);
    let text = RwSignal::new(String::new());
    let read_error = RwSignal::new(None::<AppError>);
    let file_input = NodeRef::<leptos::html::Input>::new();
    let check = ServerAction::<CheckUserList>::new();
    // A check answers for the purpose and text it was asked with; changing either hides it.
    let checked = RwSignal::new(None::<(ListPurpose, ListCheck)>);
    let asked = RwSignal::new(ListPurpose::Move);
    Effect::new(move |_| {
        if let Some(Ok(result)) = check.value().get() {
            checked.set(Some((asked.get_untracked(), result)));
        }
    });
    let read_file = move |_| {
        read_error.set(None);
        #[cfg(feature = "hydrate")]
        if let Some(element) = file_input.get_untracked() {
            leptos::task::spawn_local(async move {
                match super::common::read_text_file(
                    &element,
                    crate::domain::user_list::MAX_LIST_BYTES,
                    AppError::EmptyUserList,
                )
                .await
                {
                    Ok(Some(content)) => {
                        text.set(content);
                        checked.set(None);
                    }
                    Ok(None) => {}
                    Err(error) => read_error.set(Some(error)),
                }
            });
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        checked.set(None);
        asked.set(purpose.get_untracked());
        check.dispatch(CheckUserList { purpose: purpose.get_untracked(), text: text.get_untracked() });
    };
    let navigate = use_navigate();
    let selected = use_context::<SelectedUsers>();
    let listed_for_enable = use_context::<ListedForEnable>();
    let go_on = Callback::new(move |(purpose, users): (ListPurpose, Vec<crate::domain::user::UserId>)| {
        let href = match purpose {
            ListPurpose::Enable => {
                if let Some(listed) = listed_for_enable {
                    listed.0.set(users.into_iter().collect());
                }
                "/enable?scope=list".to_string()
            }
            other => {
                if let Some(selected) = selected {
                    selected.0.set(users.into_iter().collect());
                }
                format!("/{}?scope=selected&from=list", other.as_str())
            }
        };
        navigate(&href, Default::default());
    });
    let purpose_choice = move |choice: ListPurpose| {
        let id = format!("list-purpose-{}", choice.as_str());
        let label_for = id.clone();
        view! {
            <label for=label_for class="choice">
                <input type="radio" name="list-purpose" id=id value=choice.as_str()
                    prop:checked=move || purpose.get() == choice
                    on:change=move |_| { purpose.set(choice); checked.set(None); } />
                {move || purpose_name(i18n, choice)}
            </label>
        }
    };
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, lists.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, lists.title)}</h1></div>
        <p class="subtitle">{t!(i18n, lists.intro)}</p>
        {(!may_change).then(|| view! { <p class="alert alert-warn">{t!(i18n, lists.not_allowed)}</p> })}
        <form class="wizard-step user-list-form" on:submit=submit>
            <fieldset class="choices">
                <legend>{t!(i18n, lists.purpose_legend)}</legend>
                {ListPurpose::ALL.into_iter().map(purpose_choice).collect_view()}
            </fieldset>
            <div class="field">
                <label for="user-list-text">{t!(i18n, lists.text_label)}</label>
                <textarea id="user-list-text" data-testid="user-list-text" rows="10" class="mono list-text"
                    aria-describedby="user-list-hint" spellcheck="false"
                    prop:value=move || text.get()
                    on:input=move |ev| { text.set(event_target_value(&ev)); checked.set(None); }></textarea>
                <p id="user-list-hint" class="field-hint">{t!(i18n, lists.text_hint)}</p>
            </div>
            <div class="field">
                <label for="user-list-file">{t!(i18n, lists.file_label)}</label>
                <input type="file" id="user-list-file" data-testid="user-list-file" accept=".txt,.csv,text/plain"
                    node_ref=file_input on:change=read_file />
            </div>
            {move || read_error.get().map(|error| view! { <ErrorPanel error /> })}
            <div class="wizard-actions">
                <button type="submit" class="button button-primary" data-testid="user-list-check"
                    disabled=move || !may_change || check.pending().get()>
                    {t!(i18n, lists.check)}
                </button>
            </div>
        </form>
        {move || check.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
        {move || checked.get().map(|(purpose, result)| view! { <ListResult purpose result go_on /> })}
    }
}

#[component]
fn ListResult(
    purpose: ListPurpose,
    result: ListCheck,
    go_on: Callback<(ListPurpose, Vec<crate::domain::user::UserId>)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let good = result.users.len() as u64;
    let lines = u64::from(result.lines);
    let left_out = result.refused.len() as u64;
    let users = StoredValue::new(result.users);
    let refused = result.refused;
    view! {
        <section class="wizard-step list-result" aria-labelledby="list-result-title" data-testid="user-list-result">
            <h2 id="list-result-title">{t!(i18n, lists.result_title)}</h2>
            <p role="status" data-testid="user-list-summary">
                {move || t_string!(i18n, lists.summary, good = count(i18n, good), lines = count(i18n, lines),
                    left_out = count(i18n, left_out), operation = purpose_name(i18n, purpose)).to_string()}
            </p>
            {(!refused.is_empty()).then(|| view! {
                <div class="table-wrap">
                    <table class="data-table" data-testid="user-list-problems">
                        <caption class="visually-hidden">{t!(i18n, lists.problems_caption)}</caption>
                        <thead>
                            <tr>
                                <th scope="col" class="numbers">{t!(i18n, lists.col_line)}</th>
                                <th scope="col">{t!(i18n, lists.col_text)}</th>
                                <th scope="col">{t!(i18n, lists.col_problem)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {refused.into_iter().map(|r| {
                                let (line, problem) = (r.line, r.problem);
                                view! {
                                    <tr>
                                        <td class="numbers">{move || count(i18n, line.into())}</td>
                                        <td class="mono">{r.text}</td>
                                        <td>{move || problem_text(i18n, problem)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            <div class="wizard-actions">
                {if good == 0 {
                    view! { <p class="alert alert-warn">{t!(i18n, lists.none_good)}</p> }.into_any()
                } else {
                    view! {
                        <button type="button" class="button button-primary" data-testid="user-list-continue"
                            on:click=move |_| go_on.run((purpose, users.get_value()))>
                            {move || t_string!(i18n, lists.continue_with, count = count(i18n, good),
                                operation = purpose_name(i18n, purpose)).to_string()}
                        </button>
                    }.into_any()
                }}
            </div>
        </section>
    }
}
