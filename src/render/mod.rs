//! Turning plans and apply reports into text for people.

pub(crate) mod markdown;
pub(crate) mod text;
