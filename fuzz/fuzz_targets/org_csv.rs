//! The properties are in `uc_admin::formats::checks::org_csv`, where the unit tests replay the
//! inputs kept in `fuzz/regressions/org_csv/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uc_admin::formats::checks::org_csv(data));
