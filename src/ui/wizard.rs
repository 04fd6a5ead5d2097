//! What every operation wizard (enable, move, delete, configure, organization move) shares:
//! the step list, the page that says why a wizard cannot start, the selection its users are
//! stored in on the server, and what follows a run (the finished result, or the job page).
//! Each wizard page says only what is its own: its options, its preview table, its result.

use super::common::{ErrorPanel, I18n, Loading, page_title};
use super::console::{SelectedUsers, TreeResource};
use crate::api::operations::select_users;
use crate::domain::AppError;
use crate::domain::jobs::Started;
use crate::domain::operation::{Previewed, Selection, SelectionId, SelectionSource};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The numbered steps of a wizard, the current one marked.
pub fn steps<S>(
    label: impl Fn() -> String + Send + Sync + 'static,
    steps: Vec<S>,
    current: RwSignal<S>,
    name: impl Fn(S) -> &'static str + Copy + Send + Sync + 'static,
) -> impl IntoView
where
    S: Copy + PartialEq + Send + Sync + 'static,
{
    view! {
        <ol class="steps" aria-label=label>
            {steps.into_iter().enumerate().map(|(i, s)| view! {
                <li class:current=move || current.get() == s aria-current=move || (current.get() == s).then_some("step")>
                    <span class="step-number">{i + 1}</span>
                    {move || name(s)}
                </li>
            }).collect_view()}
        </ol>
    }
}

/// The page of a wizard that cannot start (not allowed, nothing selected): its title, why, and
/// the way back.
pub fn blocked(i18n: I18n, title: fn(I18n) -> &'static str, message: AnyView, back: String) -> AnyView {
    view! {
        {page_title(move || format!("{} – {}", title(i18n), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{move || title(i18n)}</h1></div>
        {message}
        <p><A href=back>{t!(i18n, wizard.back_to_list)}</A></p>
    }
    .into_any()
}

/// The "not allowed" and "nothing selected" messages of `blocked`.
pub fn forbidden_message(i18n: I18n) -> AnyView {
    view! { <p class="alert alert-error" role="alert">{t!(i18n, errors.forbidden)}</p> }.into_any()
}

pub fn nothing_selected_message(i18n: I18n) -> AnyView {
    view! { <p class="alert alert-warn">{t!(i18n, wizard.nothing_selected)}</p> }.into_any()
}

/// The wizard's users, stored on the server as a selection the first time a preview needs
/// them: previews and runs then name the selection, never the users.
#[derive(Clone, Copy)]
pub struct WizardSelection {
    source: StoredValue<SelectionSource>,
    made: RwSignal<Option<Selection>>,
}

impl WizardSelection {
    pub fn new(source: SelectionSource) -> WizardSelection {
        WizardSelection { source: StoredValue::new(source), made: RwSignal::new(None) }
    }

    /// The selection's number, making it on the server if it is not made yet.
    pub async fn id(self) -> Result<SelectionId, AppError> {
        if let Some(made) = self.made.get_untracked() {
            return Ok(made.id);
        }
        let made = select_users(self.source.get_value()).await?;
        let id = made.id;
        self.made.set(Some(made));
        Ok(id)
    }

    /// How many users the selection holds, once made.
    pub fn count(self) -> Option<u64> {
        self.made.get().map(|s| s.count)
    }
}

/// What a wizard's preview is asked for with: every ask makes a new preview, even with the same
/// options (the world may have changed since the last one, and its token may be spent).
pub struct Ask<O: Send + Sync + 'static>(RwSignal<Option<(u32, O)>>);

// By hand: a signal is Copy whatever it holds (derive would ask the options to be Copy).
impl<O: Send + Sync + 'static> Clone for Ask<O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O: Send + Sync + 'static> Copy for Ask<O> {}

impl<O: Clone + Send + Sync + 'static> Ask<O> {
    pub fn new() -> Ask<O> {
        Ask(RwSignal::new(None))
    }

    pub fn ask(self, options: O) {
        self.0.update(|asked| {
            let n = asked.as_ref().map_or(0, |(n, _)| n.wrapping_add(1));
            *asked = Some((n, options));
        });
    }
}

/// A wizard's preview: `None` until asked for, then made on the server (with its token).
pub type PreviewResource<P> = Resource<Option<Result<Previewed<P>, AppError>>>;

pub fn preview_resource<O, P, Fut>(
    asked: Ask<O>,
    make: impl Fn(O) -> Fut + Send + Sync + 'static,
) -> PreviewResource<P>
where
    O: Clone + PartialEq + Send + Sync + 'static,
    P: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<Previewed<P>, AppError>> + Send + 'static,
{
    Resource::new(
        move || asked.0.get(),
        move |asked| {
            let made = asked.map(|(_, options)| make(options));
            async move {
                match made {
                    Some(made) => Some(made.await),
                    None => None,
                }
            }
        },
    )
}

/// The preview step of every wizard: the plan when it comes (`shown`), or why it could not be
/// made, with the way back to the options.
pub fn preview_section<P>(
    id: &'static str,
    title: impl Fn() -> String + Send + Sync + 'static,
    preview: PreviewResource<P>,
    back: impl Fn() + Copy + Send + Sync + 'static,
    shown: impl Fn(Previewed<P>) -> AnyView + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    P: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let i18n = use_i18n();
    view! {
        <section class="wizard-step" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            <Suspense fallback=Loading>
                {move || {
                    let shown = shown.clone();
                    Suspend::new(async move {
                        match preview.await {
                            None => view! { <Loading /> }.into_any(),
                            Some(Err(error)) => view! {
                                <ErrorPanel error />
                                <div class="wizard-actions">
                                    <button type="button" class="button" on:click=move |_| back()>{t!(i18n, wizard.back)}</button>
                                </div>
                            }.into_any(),
                            Some(Ok(previewed)) => shown(previewed),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// "The first N of M users are listed": under a preview or result that lists only some.
pub fn lines_shown(shown: u64, total: u64) -> impl IntoView {
    let i18n = use_i18n();
    (shown < total).then(|| {
        view! {
            <p class="hint">
                {move || t_string!(i18n, wizard.lines_shown, shown = super::common::count(i18n, shown), total = super::common::count(i18n, total)).to_string()}
            </p>
        }
    })
}

/// A run that was refused: why, and the way back to the options for a new preview (the users
/// may have changed since, or the preview may have run out).
pub fn refused(error: AppError, back: impl Fn() + Copy + Send + Sync + 'static) -> AnyView {
    let i18n = use_i18n();
    view! {
        <ErrorPanel error />
        <div class="wizard-actions">
            <button type="button" class="button" data-testid="wizard-preview-again" on:click=move |_| back()>
                {t!(i18n, wizard.preview_again)}
            </button>
        </div>
    }
    .into_any()
}

/// After a change: the selection of the lists is spent and the tree's counts are stale.
pub fn after_change() {
    if let Some(selected) = use_context::<SelectedUsers>() {
        selected.0.set(Default::default());
    }
    if let Some(tree) = use_context::<TreeResource>() {
        tree.0.refetch();
    }
}

/// Follows a run's answer: a finished run refreshes what it changed; a run that became a job
/// takes the operator to the job's page, where its progress arrives live.
pub fn follow_run<T>(answer: impl Fn() -> Option<Result<Started<T>, AppError>> + 'static) {
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| match answer() {
        Some(Ok(Started::Done(_))) => after_change(),
        Some(Ok(Started::Job(job))) => {
            after_change();
            navigate(&format!("/jobs/{job}"), Default::default());
        }
        // Held for a second operator: nothing changed yet; the request's page says so.
        Some(Ok(Started::Requested(request))) => {
            navigate(&format!("/requests/{request}"), Default::default());
        }
        _ => {}
    });
}

/// Whether a run has answered for good: a wrong step-up password keeps the confirmation open.
pub fn answered<T>(answer: &Option<Result<T, AppError>>) -> bool {
    match answer {
        Some(Ok(_)) => true,
        Some(Err(e)) => !e.asks_for_password_again(),
        None => false,
    }
}
