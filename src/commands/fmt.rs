//! `soarform fmt`: placeholder while the command is being written (issue 5).

use crate::cli::FmtArgs;
use crate::error::{Error, Result};

use super::{ExitStatus, Printer};

/// Runs `soarform fmt`.
pub fn fmt(_args: FmtArgs, _printer: Printer) -> Result<ExitStatus> {
    Err(Error::message("`soarform fmt` is not available yet"))
}
