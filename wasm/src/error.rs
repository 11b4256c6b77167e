//! The engine's one error type.

use std::fmt;

/// What kind of storage failure an [`Error::Io`] is; hosts map their native errors onto these so
/// that callers can react (a full disk is not the same as a missing file).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoErrorKind {
    /// The file does not exist.
    NotFound,
    /// The storage quota or the disk is full.
    QuotaExceeded,
    /// Another process, tab or worker holds the file.
    Locked,
    /// The host ran out of something it needs to serve the call (e.g. pre-opened file handles).
    Exhausted,
    /// Anything else the host reported.
    Other,
}

impl IoErrorKind {
    /// A stable name, used as the `kind` of errors handed to JavaScript.
    pub fn as_str(self) -> &'static str {
        match self {
            IoErrorKind::NotFound => "NotFound",
            IoErrorKind::QuotaExceeded => "QuotaExceeded",
            IoErrorKind::Locked => "Locked",
            IoErrorKind::Exhausted => "Exhausted",
            IoErrorKind::Other => "Other",
        }
    }
}

impl fmt::Display for IoErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every way an engine call can fail. Corruption variants name the file and the byte offset.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The storage underneath failed.
    #[error("{op}{}{file}: {kind}: {message}", if file.is_empty() { "" } else { " " })]
    Io {
        /// The VFS operation (`open`, `read`, `write`, ...).
        op: &'static str,
        /// The file it was applied to ("" for directory-wide operations).
        file: String,
        /// A classification of the failure.
        kind: IoErrorKind,
        /// The host's own description.
        message: String,
    },
    /// Stored bytes do not decode: bad checksum, bad length, unknown tag, truncated record.
    #[error("corruption in {file} at offset {offset}: {reason}")]
    Corruption {
        /// The file holding the bad bytes.
        file: String,
        /// Byte offset of the bad record or field within the file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A key longer than the configured limit.
    #[error("key of {len} bytes exceeds the limit of {limit} bytes")]
    KeyTooLarge {
        /// The key's length.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A value longer than the configured limit.
    #[error("value of {len} bytes exceeds the limit of {limit} bytes")]
    ValueTooLarge {
        /// The value's length.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A caller-supplied argument is invalid (named in the message).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The stored data uses a feature this version of the engine does not implement yet.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The database was closed, or an earlier failed write left it unusable.
    #[error("database is closed")]
    Closed,
}

impl Error {
    /// Whether the storage is full or not ready for another file: worth retrying later, after
    /// space was freed or the host prepared more room.
    pub fn is_out_of_space(&self) -> bool {
        matches!(
            self,
            Error::Io {
                kind: IoErrorKind::QuotaExceeded | IoErrorKind::Exhausted,
                ..
            }
        )
    }

    /// A stable machine-readable code, mirrored by the TypeScript error classes.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io {
                kind: IoErrorKind::QuotaExceeded,
                ..
            } => "QUOTA_EXCEEDED",
            Error::Io {
                kind: IoErrorKind::Locked,
                ..
            } => "DATABASE_LOCKED",
            Error::Io {
                kind: IoErrorKind::Exhausted,
                ..
            } => "STORAGE_EXHAUSTED",
            Error::Io { .. } => "IO",
            Error::Corruption { .. } => "CORRUPTION",
            Error::KeyTooLarge { .. } => "KEY_TOO_LARGE",
            Error::ValueTooLarge { .. } => "VALUE_TOO_LARGE",
            Error::InvalidArgument(_) => "INVALID_ARGUMENT",
            Error::Unsupported(_) => "UNSUPPORTED",
            Error::Closed => "DATABASE_CLOSED",
        }
    }

    pub(crate) fn corruption(file: &str, offset: u64, reason: impl Into<String>) -> Error {
        Error::Corruption {
            file: file.to_owned(),
            offset,
            reason: reason.into(),
        }
    }
}

/// The engine's result type.
pub type Result<T> = std::result::Result<T, Error>;
