//! [`ExtensionProblem`]: one extension that breaks its format inside a
//! message that otherwise reads.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::Fail;

/// An extension that breaks its format, where the rest of its message
/// still reads: the message keeps its other fields and the extension's
/// own field stays empty (as tshark flags such an extension and decodes
/// the rest).
///
/// OpenSSL checks extensions one by one too, and not all of them: its
/// `tls_collect_extensions` only notices a repeated type it knows, and it
/// skips the contents of some extensions in some versions (ec_point_formats
/// and extended_master_secret in TLS 1.3), so a message with such a problem
/// may well have been accepted.
///
/// In JSON, an object with the `extension` type code and a `kind` naming
/// the variant of [`ExtensionFault`] beside its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExtensionProblem {
    /// The extension's type code.
    pub extension: u16,
    /// What is wrong with it.
    #[serde(flatten)]
    pub fault: ExtensionFault,
}

/// What is wrong with an extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExtensionFault {
    /// A second extension of a type the message already carries, which
    /// RFC 8446 section 4.2 and RFC 5246 section 7.4.1.4 forbid; only
    /// the first is read.
    Repeated,
    /// Its content does not follow the extension's layout; it is left
    /// unread.
    Malformed {
        /// What is wrong, naming the extension and the field.
        reason: String,
    },
    /// It stands where its message may not carry it (a ClientHello's
    /// pre_shared_key before another extension, RFC 8446 section
    /// 4.2.11); its content is read.
    Misplaced {
        /// Where it is and where it belongs.
        reason: String,
    },
}

impl ExtensionProblem {
    /// A second extension of type `extension`.
    pub(super) fn repeated(extension: u16) -> Self {
        Self {
            extension,
            fault: ExtensionFault::Repeated,
        }
    }

    /// An extension of type `extension` whose reader failed with `fail`
    /// (already put in words naming the extension, see
    /// [`Fail::in_extension`]).
    pub(super) fn malformed(extension: u16, fail: Fail) -> Self {
        let reason = match fail {
            Fail::Bad(reason) => reason,
            Fail::Short { needed, have } => format!(
                "extension {extension} is truncated: {needed} bytes are needed but only {have} \
                 are present"
            ),
        };
        Self {
            extension,
            fault: ExtensionFault::Malformed { reason },
        }
    }
}

impl ExtensionProblem {
    /// An extension of type `extension` out of place, `reason` saying
    /// where it belongs.
    pub(super) fn misplaced(extension: u16, reason: impl Into<String>) -> Self {
        Self {
            extension,
            fault: ExtensionFault::Misplaced {
                reason: reason.into(),
            },
        }
    }
}

impl fmt::Display for ExtensionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fault {
            ExtensionFault::Repeated => {
                write!(f, "extension {} appears more than once", self.extension)
            }
            ExtensionFault::Malformed { reason } | ExtensionFault::Misplaced { reason } => {
                f.write_str(reason)
            }
        }
    }
}
