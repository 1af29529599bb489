//! The one set of styles soarform colours its output with, built on anstyle; empty when colour is
//! off, so the same format strings serve both.

use std::fmt;

use anstyle::{AnsiColor, Style};

/// Styles for one stream: every field prints nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    /// Creates and additions.
    pub green: Style,
    /// Updates and warnings in plans.
    pub yellow: Style,
    /// Closes, retirements and removals.
    pub red: Style,
    /// Emphasis.
    pub bold: Style,
    /// Context that matters less.
    pub dim: Style,
    /// The `error` label.
    pub error: Style,
    /// The `warning` label.
    pub warning: Style,
    /// The `hint` and `note` labels.
    pub hint: Style,
    /// Ends any of the styles above.
    pub reset: Reset,
}

/// Prints the code that ends a style, or nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reset(bool);

impl fmt::Display for Reset {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 {
            write!(formatter, "{}", anstyle::Reset.render())
        } else {
            Ok(())
        }
    }
}

impl Palette {
    /// Styles for a terminal (`color`), or styles that print nothing.
    pub(crate) fn new(color: bool) -> Self {
        let style = |style: Style| if color { style } else { Style::new() };
        let colored = |color: AnsiColor| style(color.on_default());
        Palette {
            green: colored(AnsiColor::Green),
            yellow: colored(AnsiColor::Yellow),
            red: colored(AnsiColor::Red),
            bold: style(Style::new().bold()),
            dim: style(Style::new().dimmed()),
            error: style(AnsiColor::Red.on_default().bold()),
            warning: style(AnsiColor::Yellow.on_default().bold()),
            hint: style(AnsiColor::Cyan.on_default().bold()),
            reset: Reset(color),
        }
    }

    /// `label: message` with the label styled and the message bold, as cargo writes it.
    pub(crate) fn labelled(&self, label: &str, label_style: Style, message: &str) -> String {
        let Palette { bold, reset, .. } = *self;
        format!("{label_style}{label}{reset}{bold}: {message}{reset}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_only_when_asked() {
        let on = Palette::new(true);
        assert_eq!(format!("{}+{}", on.green, on.reset), "\x1b[32m+\x1b[0m");
        assert_eq!(
            on.labelled("error", on.error, "x"),
            "\x1b[1m\x1b[31merror\x1b[0m\x1b[1m: x\x1b[0m"
        );
        let off = Palette::new(false);
        assert_eq!(format!("{}+{}{}", off.green, off.bold, off.reset), "+");
        assert_eq!(off.labelled("warning", off.warning, "x"), "warning: x");
    }
}
