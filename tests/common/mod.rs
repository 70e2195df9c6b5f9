//! Test bodies shared by the host and the browser entry files.
#![allow(dead_code)]

pub mod driver_cases;
pub mod engine_cases;
