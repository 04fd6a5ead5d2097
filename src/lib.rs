//! UC Admin: administration portal for a unified-communications deployment.
// Release builds keep Leptos view types (debug builds erase them); wizards nest deeply.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod domain;
#[cfg(feature = "formats")]
pub mod formats;
#[cfg(feature = "ssr")]
pub mod http;
pub mod messages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
