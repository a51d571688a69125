//! [`DecodeError`] and the internal failure type the readers return.

use serde::{Deserialize, Serialize};
use tls_parser::nom;

use super::names::HandshakeType;

/// Why a handshake message could not be decoded.
///
/// In JSON, an object whose `kind` names the variant (`truncated`,
/// `length_mismatch`, `malformed`) beside the variant's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes ended inside a field. `needed` and `have` count bytes of the
    /// innermost length-delimited part being read: the 4-byte header, the
    /// body, or a vector inside the body.
    #[error(
        "{} is truncated: {needed} bytes are needed but only {have} are present",
        describe(*.message)
    )]
    Truncated {
        /// The message type, when at least one byte was present.
        message: Option<HandshakeType>,
        /// Bytes the layout needs.
        needed: usize,
        /// Bytes present.
        have: usize,
    },
    /// The header's body length disagrees with the number of bytes after the header.
    #[error(
        "{} declares a {declared}-byte body but {actual} bytes follow the header",
        describe(Some(*.message))
    )]
    LengthMismatch {
        /// The message type.
        message: HandshakeType,
        /// The body length in the header.
        declared: u32,
        /// The number of bytes after the header.
        actual: usize,
    },
    /// The body does not follow the layout of its type.
    #[error("{} is malformed: {reason}", describe(Some(*.message)))]
    Malformed {
        /// The message type.
        message: HandshakeType,
        /// What is wrong, naming the field or extension.
        reason: String,
    },
}

impl DecodeError {
    /// The type of the message that failed to decode, when known.
    pub fn handshake_type(&self) -> Option<HandshakeType> {
        match self {
            Self::Truncated { message, .. } => *message,
            Self::LengthMismatch { message, .. } | Self::Malformed { message, .. } => {
                Some(*message)
            }
        }
    }
}

pub(super) fn describe(message: Option<HandshakeType>) -> String {
    match message {
        Some(t) => match t.name() {
            Some(name) => name.to_owned(),
            None => format!("handshake message of unknown type {}", t.0),
        },
        None => "handshake message".to_owned(),
    }
}

/// Internal failure, turned into a [`DecodeError`] once the message type is attached.
#[derive(Debug)]
pub(super) enum Fail {
    Short { needed: usize, have: usize },
    Bad(String),
}

pub(super) type Res<T> = Result<T, Fail>;

pub(super) fn bad<T>(reason: impl Into<String>) -> Res<T> {
    Err(Fail::Bad(reason.into()))
}

impl Fail {
    pub(super) fn into_error(self, message: HandshakeType) -> DecodeError {
        match self {
            Fail::Short { needed, have } => DecodeError::Truncated {
                message: Some(message),
                needed,
                have,
            },
            Fail::Bad(reason) => DecodeError::Malformed { message, reason },
        }
    }

    /// Puts a failure inside an extension into words naming the extension.
    pub(super) fn in_extension(self, name: &str) -> Fail {
        match self {
            Fail::Short { needed, have } => Fail::Bad(format!(
                "{name} extension is truncated: {needed} bytes are needed but only {have} are present"
            )),
            Fail::Bad(reason) => Fail::Bad(format!("{name} extension: {reason}")),
        }
    }
}

/// Turns a `tls-parser` (nom) failure over `input` into a [`Fail`].
pub(super) fn nom_fail(input: &[u8], err: nom::Err<nom::error::Error<&[u8]>>, what: &str) -> Fail {
    match err {
        nom::Err::Incomplete(needed) => {
            let more = match needed {
                nom::Needed::Size(n) => n.get(),
                nom::Needed::Unknown => 1,
            };
            Fail::Short {
                needed: input.len().saturating_add(more),
                have: input.len(),
            }
        }
        // nom's error kind names the parser combinator that stopped
        // ("Length followed by value"), which says nothing to a reader of
        // the message: the field and the place say what there is to say.
        nom::Err::Error(e) | nom::Err::Failure(e) => {
            let at = (e.input.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
            if at <= input.len() {
                Fail::Bad(format!("{what} does not parse (at byte {at})"))
            } else {
                Fail::Bad(format!("{what} does not parse"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parser failure names the field and the place, not nom's name for
    /// the combinator ("Length followed by value").
    #[test]
    fn a_parser_failure_is_put_in_plain_words() {
        let input = [0u8, 3, 0, 29, 0];
        let err = nom::Err::Error(nom::error::Error::new(
            &input[2..],
            nom::error::ErrorKind::LengthValue,
        ));
        let Fail::Bad(text) = nom_fail(&input, err, "named_group_list") else {
            panic!("not a Bad")
        };
        assert_eq!(text, "named_group_list does not parse (at byte 2)");
    }
}
