//! `soarform export`: placeholder while the command is being written (issue 5).

use crate::cli::ExportArgs;
use crate::error::{Error, Result};

use super::{ExitStatus, Printer};

/// Runs `soarform export`.
pub fn export(_args: ExportArgs, _printer: Printer) -> Result<ExitStatus> {
    Err(Error::message("`soarform export` is not available yet"))
}
