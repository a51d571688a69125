//! Why a STARTTLS exchange did not end in the go-ahead, worded for the
//! probe's and the scan's errors.

use std::fmt;

use super::{form, request_of};

/// Why the server did not switch to TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartTlsError {
    /// The server answered, but not with the go-ahead: its reply says why.
    Refused {
        /// What it answered: `STARTTLS`, `EHLO`, or `the connection` for
        /// its greeting.
        request: &'static str,
        /// The server's reply, as sent (cut if long).
        reply: String,
    },
    /// The server does not list STARTTLS among its capabilities.
    NotOffered {
        /// The capabilities it listed.
        listed: String,
    },
    /// The server answered with something that is not a reply of the
    /// protocol: another protocol's banner, or a TLS record from a port
    /// that is TLS from the start.
    NotAReply {
        /// What was awaited.
        step: &'static str,
        /// What was due: "an SMTP reply".
        form: &'static str,
        /// The bytes received instead, as far as they came (at most 300).
        received: Vec<u8>,
    },
    /// An XMPP server's answer is not well-formed XML, or not
    /// namespace-well-formed (a prefix bound to no namespace).
    NotXml {
        /// What was awaited.
        step: &'static str,
        /// What is wrong with it, in quick-xml's words.
        error: String,
    },
    /// An IMAP server completed a command with a tag this client never
    /// sent.
    OtherTag {
        /// What was awaited.
        step: &'static str,
        /// The tag it answered with.
        tag: String,
        /// The line, as sent (cut if long).
        reply: String,
    },
    /// The server closed the connection.
    Closed {
        /// What was awaited.
        step: &'static str,
        /// How many bytes had come since this client's last request (or
        /// the connect), of the reply awaited or before it.
        received: usize,
        /// The last of them, at most [`SHOWN`](super::SHOWN).
        last: Vec<u8>,
    },
    /// The server reset the connection (a TCP RST), where a close would
    /// have ended it in order.
    Reset {
        /// What was awaited, or the request being written.
        step: &'static str,
        /// How many bytes had come since this client's last request (or
        /// the connect).
        received: usize,
        /// The last of them, at most [`SHOWN`](super::SHOWN).
        last: Vec<u8>,
    },
    /// The server did not answer in time.
    TimedOut {
        /// What was awaited.
        step: &'static str,
        /// The whole exchange's deadline passed, rather than one read's
        /// time-out.
        overall: bool,
        /// How many bytes had come since this client's last request (or
        /// the connect): a reply begun and not finished.
        received: usize,
        /// The last of them, at most [`SHOWN`](super::SHOWN).
        last: Vec<u8>,
    },
    /// PostgreSQL's one-byte answer to SSLRequest came with more bytes,
    /// where nothing may follow it before this client's ClientHello:
    /// libpq refuses this (CVE-2021-23222), and a server of another
    /// protocol that speaks first (an SSH banner's `S`) looks so.
    AfterAnswer {
        /// The answer, `S` or `N`.
        answer: u8,
        /// The bytes that came with it (at most [`SHOWN`](super::SHOWN)).
        extra: Vec<u8>,
    },
    /// PostgreSQL answered SSLRequest with an ErrorResponse, as a server
    /// does that predates SSL or cannot start a session. Its text is not
    /// shown: the server is not authenticated yet (libpq shows none
    /// either, CVE-2024-10977).
    ErrorResponse {
        /// The message's length, its type byte included.
        len: usize,
    },
    /// The server sent a line longer than any reply of the protocol, or
    /// a reply of more lines.
    TooLong {
        /// What was awaited.
        step: &'static str,
    },
    /// Reading or writing failed.
    Io {
        /// What was under way.
        step: &'static str,
        /// The error.
        error: String,
    },
}

impl fmt::Display for StartTlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartTlsError::Refused { request, reply } => {
                write!(f, "the server answered {request} with {reply:?}")
            }
            StartTlsError::NotOffered { listed } if listed.trim().is_empty() => write!(
                f,
                "the server does not offer STARTTLS (it listed nothing); its TLS may be on \
                 another port, or off"
            ),
            // The server's words: a control character in them (a terminal
            // escape sequence) is shown escaped, never passed on.
            StartTlsError::NotOffered { listed } => write!(
                f,
                "the server does not offer STARTTLS (it listed: {}); its TLS may be on \
                 another port, or off",
                printable(listed)
            ),
            StartTlsError::NotAReply {
                step,
                form,
                received,
            } => {
                let what = match *step {
                    "greeting" => "greeting".to_owned(),
                    _ => format!("answer to {}", request_of(step)),
                };
                write!(
                    f,
                    "the server's {what} is not {form}: {}",
                    form::shown(received)
                )
            }
            StartTlsError::NotXml { step, error } => write!(
                f,
                "the server's answer to {} is not well-formed XML: {error}",
                request_of(step)
            ),
            StartTlsError::OtherTag { step, tag, reply } => write!(
                f,
                "the server answered {} with the tag {tag:?}, where this client tagged it \".\" \
                 (a completion of another command): {reply:?}",
                request_of(step)
            ),
            StartTlsError::Closed {
                step,
                received,
                last,
            } => {
                write!(f, "the server closed the connection before its {step}")?;
                if *received == 0 && FIRST_REQUEST_REPLIES.contains(step) {
                    return write!(
                        f,
                        ", with not a byte of answer to {}: a port that speaks TLS from its \
                         first byte (implicit TLS, as LDAPS on 636 or XMPP on 5223) closes so \
                         on a request that is no TLS record; if this is one, probe it without \
                         --starttls",
                        request_of(step)
                    );
                }
                f.write_str(&form::arrived(*received, last, !XML_REPLIES.contains(step)))
            }
            StartTlsError::Reset {
                step,
                received,
                last,
            } => {
                f.write_str("the server reset the connection (TCP RST)")?;
                let awaited = *step == "greeting" || request_of(step) != *step;
                match (awaited, self.reset_at_accept()) {
                    (false, at_accept) => write!(
                        f,
                        " as this client sent its {step}{}",
                        if at_accept {
                            ", before it had sent a byte"
                        } else {
                            ""
                        }
                    ),
                    (true, true) if *step == "greeting" => {
                        f.write_str(" before its greeting, having sent nothing")
                    }
                    (true, true) => write!(
                        f,
                        " before its {step}, with not a byte of answer to {}",
                        request_of(step)
                    ),
                    (true, false) => {
                        write!(f, " before its {step}")?;
                        f.write_str(&form::arrived(*received, last, !XML_REPLIES.contains(step)))
                    }
                }
            }
            StartTlsError::TimedOut {
                step,
                overall,
                received,
                last,
            } => {
                write!(
                    f,
                    "the server did not send its {step} in time ({})",
                    if *overall {
                        "--handshake-timeout"
                    } else {
                        "--timeout"
                    }
                )?;
                if *received == 0 && *step == "greeting" {
                    return f.write_str(
                        ": it sent nothing; a port that speaks TLS from its first byte \
                         (implicit TLS, as on 465, 993 or 995) is silent so, waiting for a \
                         ClientHello: if this is one, probe it without --starttls",
                    );
                }
                f.write_str(&form::arrived(*received, last, !XML_REPLIES.contains(step)))
            }
            StartTlsError::AfterAnswer { answer, extra } => write!(
                f,
                "the server sent {} more byte{} after its one-byte answer {:?} to SSLRequest \
                 ({}), where nothing may come before this client's ClientHello: not a \
                 PostgreSQL server?",
                extra.len(),
                if extra.len() == 1 { "" } else { "s" },
                char::from(*answer),
                form::shown(extra)
            ),
            StartTlsError::ErrorResponse { len } => write!(
                f,
                "the server answered SSLRequest with a PostgreSQL ErrorResponse (E, {len} bytes; \
                 its text is not shown, as the server is not authenticated yet): it may predate \
                 SSL, or could not start a session"
            ),
            StartTlsError::TooLong { step } => write!(
                f,
                "the server's {step} was longer than any reply of the protocol; is this the \
                 protocol the port speaks?"
            ),
            StartTlsError::Io { step, error } => write!(f, "{step}: {error}"),
        }
    }
}

impl std::error::Error for StartTlsError {}

impl StartTlsError {
    /// Whether this is a reset before the server sent a byte, where its
    /// greeting or its answer to the exchange's first request was due: a
    /// server, or a firewall in front of it, that accepts the connection
    /// and resets it at once, as a connect can meet too.
    pub fn reset_at_accept(&self) -> bool {
        matches!(
            self,
            StartTlsError::Reset { step, received: 0, .. }
                if *step == "greeting"
                    || FIRST_REQUEST_REPLIES.contains(step)
                    || FIRST_REQUESTS.contains(step)
        )
    }
}

/// The replies that are XML (XMPP's), not lines: one that stops part-way
/// leaves no "line not ended".
const XML_REPLIES: [&str; 2] = ["stream features", "starttls reply"];

/// The first requests of the protocols where the client speaks first.
const FIRST_REQUESTS: [&str; 3] = ["SSLRequest", "StartTLS", "stream header"];

/// The first replies of the protocols where the client speaks first: a
/// close before any byte of one is how a port of TLS from the first byte
/// answers the request.
const FIRST_REQUEST_REPLIES: [&str; 3] = ["SSLRequest reply", "StartTLS reply", "stream features"];

/// `text` with each control character escaped as Rust writes it
/// (`\u{1b}`), and the rest, quotes included, as it is.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reset(step: &'static str, received: usize) -> StartTlsError {
        StartTlsError::Reset {
            step,
            received,
            last: b"250-mx\r\n"[..received.min(8)].to_vec(),
        }
    }

    /// A terminal escape sequence among the capabilities a server listed
    /// is shown escaped, never passed on.
    #[test]
    fn listed_capabilities_are_shown_with_control_characters_escaped() {
        let e = StartTlsError::NotOffered {
            listed: "IMAP4rev1 X\x1b]0;pwned\x07 \x1b[2J".into(),
        };
        let text = e.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains(r"X\u{1b}]0;pwned\u{7} \u{1b}[2J"), "{text:?}");
    }

    /// A reset where the server's first word was due is one at accept;
    /// later, it says what had come, and on a write, which.
    #[test]
    fn a_reset_names_where_it_came() {
        let cases = [
            (
                reset("greeting", 0),
                true,
                "the server reset the connection (TCP RST) before its greeting, having sent \
                 nothing",
            ),
            (
                reset("SSLRequest reply", 0),
                true,
                "the server reset the connection (TCP RST) before its SSLRequest reply, with \
                 not a byte of answer to SSLRequest",
            ),
            (
                reset("stream header", 0),
                true,
                "the server reset the connection (TCP RST) as this client sent its stream header, \
                 before it had sent a byte",
            ),
            (
                reset("EHLO", 0),
                false,
                "the server reset the connection (TCP RST) as this client sent its EHLO",
            ),
            (
                reset("EHLO reply", 8),
                false,
                "the server reset the connection (TCP RST) before its EHLO reply, after 8 bytes \
                 of it, ending \"250-mx\\r\\n\"",
            ),
        ];
        for (e, at_accept, text) in cases {
            assert_eq!(e.reset_at_accept(), at_accept, "{e}");
            assert_eq!(e.to_string(), text);
        }
    }
}
