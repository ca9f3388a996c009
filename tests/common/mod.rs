//! Shared support for the integration tests (`mod common;` in a test file).
//! Each test binary uses only part of it.
#![allow(dead_code)]

pub mod pyenv;
