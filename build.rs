//! Generates the `i18n` module from `locales/{en,fr,de}.json` for leptos_i18n.
//!
//! It calls leptos_i18n's parser and code generator directly, as `leptos_i18n_build` does, but
//! without that crate: it also always builds ICU's data exporter (for plural and number data
//! this portal does not use), which was a third of the build's target folder and minutes of its
//! time on two cores.
use leptos_i18n_parser::parse_locales::options::{Config, ParseOptions};
use leptos_i18n_parser::parse_locales::parse_locales;
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=migrations");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("i18n");
    // `interpolate_display` lets `t_string!` fill placeholders (used for attributes and titles).
    let config = Config::new("en")?
        .add_locale("fr")?
        .add_locale("de")?
        .parse_options(ParseOptions::new().interpolate_display(true));
    let parsed = parse_locales(None, config)?;
    for warning in parsed.diag.warnings().iter() {
        println!("cargo::warning={warning}");
    }
    for error in parsed.diag.errors().iter() {
        println!("cargo::error={error}");
    }
    for path in parsed.tracked_files.as_deref().unwrap_or_default() {
        println!("cargo::rerun-if-changed={path}");
    }
    let code = leptos_i18n_codegen::gen_code(&parsed, None, false, None, true)?;
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("mod.rs"), code.to_string())?;
    Ok(())
}
