//! Turning plans and apply reports into text for people.

pub mod markdown;
pub mod text;
