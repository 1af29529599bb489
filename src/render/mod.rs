//! Turning plans and apply reports into text for people, and problems in files into what CI
//! systems read.

pub(crate) mod findings;
pub(crate) mod markdown;
pub(crate) mod text;
