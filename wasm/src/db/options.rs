//! Options of a database and of a write.

use crate::log::RecoveryMode;
use crate::{Error, Result};

/// Hard ceiling for both limits: lengths are stored as varint32, and wasm32 has 4 GiB of memory.
const MAX_LIMIT: usize = 1 << 30;

/// How a database is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Longest key accepted, in bytes (default 64 KiB). Longer keys fail with
    /// [`Error::KeyTooLarge`] and write nothing.
    pub max_key_size: usize,
    /// Longest value accepted, in bytes (default 64 MiB). Longer values fail with
    /// [`Error::ValueTooLarge`] and write nothing.
    pub max_value_size: usize,
    /// What recovery does with a damaged log (default: drop a torn tail, fail on damage in the
    /// middle).
    pub recovery_mode: RecoveryMode,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_key_size: 64 << 10,
            max_value_size: 64 << 20,
            recovery_mode: RecoveryMode::default(),
        }
    }
}

impl Options {
    pub(crate) fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("max_key_size", self.max_key_size),
            ("max_value_size", self.max_value_size),
        ] {
            if v == 0 || v > MAX_LIMIT {
                return Err(Error::InvalidArgument(format!(
                    "{name} must be in 1..={MAX_LIMIT}, got {v}"
                )));
            }
        }
        Ok(())
    }
}

/// How one write is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// Sync the log before acknowledging: the write then survives a crash of the machine, not
    /// only of the process. Without it a write survives the loss of the worker or process.
    pub sync: bool,
}
