//! The properties are in `uc_admin::formats::checks::sip_uri`, where the unit tests replay the
//! inputs kept in `fuzz/regressions/sip_uri/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uc_admin::formats::checks::sip_uri(data));
