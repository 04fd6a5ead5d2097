//! The properties are in `uc_admin::formats::checks::user_data_xml`, where the unit tests replay the
//! inputs kept in `fuzz/regressions/user_data_xml/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uc_admin::formats::checks::user_data_xml(data));
