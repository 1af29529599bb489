//! Turning plans and apply reports into text for people.

pub mod markdown;
pub mod text;

/// ANSI styles, or nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub green: &'static str,
    pub yellow: &'static str,
    pub red: &'static str,
    pub cyan: &'static str,
    pub bold: &'static str,
    pub dim: &'static str,
    pub reset: &'static str,
}

impl Palette {
    /// Styles for a terminal, or empty strings.
    pub fn new(color: bool) -> Self {
        if color {
            Palette {
                green: "\x1b[32m",
                yellow: "\x1b[33m",
                red: "\x1b[31m",
                cyan: "\x1b[36m",
                bold: "\x1b[1m",
                dim: "\x1b[2m",
                reset: "\x1b[0m",
            }
        } else {
            Palette {
                green: "",
                yellow: "",
                red: "",
                cyan: "",
                bold: "",
                dim: "",
                reset: "",
            }
        }
    }
}
