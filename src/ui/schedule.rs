//! When and how fast a bulk operation's job runs: the optional fields of the move, delete,
//! configure and organization-move wizards (start at, maintenance window, pace, time zone),
//! and how a preview and a job page tell the schedule back.

use crate::domain::format::format_zoned;
use crate::domain::schedule::{JobSchedule, ScheduleRequest, ScheduleSummary, ZonedInstant, pace_of};
use crate::i18n::*;
use crate::ui::common::{I18n, lang};
use leptos::prelude::*;

/// What the operator typed into the schedule fields.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleInput {
    start_at: RwSignal<String>,
    window_opens: RwSignal<String>,
    window_closes: RwSignal<String>,
    pace: RwSignal<String>,
    time_zone: RwSignal<String>,
}

impl ScheduleInput {
    pub fn new() -> ScheduleInput {
        ScheduleInput {
            start_at: RwSignal::new(String::new()),
            window_opens: RwSignal::new(String::new()),
            window_closes: RwSignal::new(String::new()),
            pace: RwSignal::new(String::new()),
            time_zone: RwSignal::new(String::new()),
        }
    }

    /// The request as typed now (for a preview).
    pub fn request(&self) -> ScheduleRequest {
        ScheduleRequest {
            start_at: self.start_at.get_untracked(),
            window_opens: self.window_opens.get_untracked(),
            window_closes: self.window_closes.get_untracked(),
            pace: self.pace.get_untracked(),
            time_zone: self.time_zone.get_untracked(),
        }
    }
}

impl Default for ScheduleInput {
    fn default() -> Self {
        ScheduleInput::new()
    }
}

/// The browser's IANA time zone (`Europe/Paris`), if it says.
#[cfg(feature = "hydrate")]
fn browser_time_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into()).ok()?.as_string()
}

#[cfg(not(feature = "hydrate"))]
fn browser_time_zone() -> Option<String> {
    None
}

/// The optional schedule of a wizard's job: empty fields mean now, any time, full speed. Folded
/// away until the operator opens it (most runs start now); open when something is scheduled.
/// `children` follow the fields (the delete wizard's "preview again").
#[component]
pub fn ScheduleFields(
    input: ScheduleInput,
    #[prop(into)] id: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let i18n = use_i18n();
    // The operator's own time zone, once the page runs in their browser.
    Effect::new(move |_| {
        if input.time_zone.get_untracked().is_empty()
            && let Some(zone) = browser_time_zone()
        {
            input.time_zone.set(zone);
        }
    });
    let id = StoredValue::new(id);
    let field = move |name: &str| format!("{}-{name}", id.get_value());
    let text_input = move |name: &'static str, kind: &'static str, value: RwSignal<String>| {
        view! {
            <input type=kind id=field(name) data-testid=field(name)
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };
    let open = !input.request().is_empty();
    view! {
        <details class="schedule-details" open=open data-testid=field("schedule")>
        <summary data-testid=field("schedule-toggle")>{t!(i18n, schedule.legend)}</summary>
        <fieldset class="schedule">
            <legend class="visually-hidden">{t!(i18n, schedule.legend)}</legend>
            <p class="muted">{t!(i18n, schedule.hint)}</p>
            <div class="form-grid">
                <label for=field("start")>{t!(i18n, schedule.start_at)}</label>
                {text_input("start", "datetime-local", input.start_at)}
                <label for=field("opens")>{t!(i18n, schedule.window_opens)}</label>
                {text_input("opens", "time", input.window_opens)}
                <label for=field("closes")>{t!(i18n, schedule.window_closes)}</label>
                {text_input("closes", "time", input.window_closes)}
                <label for=field("pace")>{t!(i18n, schedule.pace)}</label>
                <input type="text" inputmode="decimal" id=field("pace") data-testid=field("pace")
                    aria-describedby=field("pace-hint")
                    prop:value=move || input.pace.get()
                    on:input=move |ev| input.pace.set(event_target_value(&ev)) />
                <label for=field("zone")>{t!(i18n, schedule.time_zone)}</label>
                <input type="text" id=field("zone") data-testid=field("zone") placeholder="UTC"
                    aria-describedby=field("zone-hint")
                    prop:value=move || input.time_zone.get()
                    on:input=move |ev| input.time_zone.set(event_target_value(&ev)) />
            </div>
            <p class="muted" id=field("pace-hint")>{t!(i18n, schedule.pace_hint)}</p>
            <p class="muted" id=field("zone-hint")>{t!(i18n, schedule.time_zone_hint)}</p>
            {children.map(|children| children())}
        </fieldset>
        </details>
    }
}

/// An instant as its time zone's wall clock reads it, in the page's language.
pub fn zoned_text(i18n: I18n, at: &ZonedInstant) -> String {
    format_zoned(lang(i18n), at)
}

/// The schedule in words, one statement a line: its window and its pace.
pub fn schedule_lines(i18n: I18n, schedule: &JobSchedule) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(window) = &schedule.window {
        lines.push(
            t_string!(
                i18n,
                schedule.window_line,
                opens = window.opens.to_string(),
                closes = window.closes.to_string(),
                zone = schedule.time_zone.clone()
            )
            .to_string(),
        );
    }
    if let Some(interval) = schedule.chunk_interval_ms {
        let pace = pace_of(interval).to_string();
        let pace = if lang(i18n) == crate::domain::format::Lang::En { pace } else { pace.replace('.', ",") };
        lines.push(t_string!(i18n, schedule.pace_line, pace).to_string());
    }
    lines
}

/// What a preview says of its schedule: when the job starts, and its window and pace.
#[component]
pub fn ScheduleNote(summary: Option<ScheduleSummary>) -> impl IntoView {
    let i18n = use_i18n();
    summary.map(|summary| {
        let ScheduleSummary { schedule, first_run } = summary;
        view! {
            <div class="alert alert-info" data-testid="schedule-note">
                <p>
                    {move || match &first_run {
                        Some(at) => t_string!(i18n, schedule.starts_at, at = zoned_text(i18n, at)).to_string(),
                        None => t_string!(i18n, schedule.starts_now).to_string(),
                    }}
                </p>
                {move || schedule_lines(i18n, &schedule).into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
            </div>
        }
    })
}
