//! STARTTLS: the plaintext exchange by which a mail, chat, file-transfer,
//! database or directory server is asked to switch a connection to TLS, as
//! `openssl s_client -starttls PROTO` makes it. The commands are the ones
//! s_client sends (its `EHLO mail.example.com`, its `.` IMAP tag), so that
//! a server that works with s_client works here.
//!
//! Every read is bounded by the stream's own time-out and the whole
//! exchange by a deadline; a server's reply is read byte by byte, so that
//! nothing of the TLS handshake that follows is read here, and is capped in
//! length, so that a hostile server cannot make it grow without end.

use std::io::{self, Read, Write};
use std::time::Instant;

pub use error::StartTlsError;

/// A protocol that upgrades a plaintext connection to TLS in-band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StartTls {
    /// SMTP (RFC 3207): `EHLO`, then `STARTTLS`, answered with 220.
    Smtp,
    /// IMAP (RFC 9051): `CAPABILITY`, then `STARTTLS`, answered with OK.
    Imap,
    /// POP3 (RFC 2595): `STLS`, answered with +OK.
    Pop3,
    /// FTP (RFC 4217): `AUTH TLS`, answered with 234.
    Ftp,
    /// PostgreSQL: an SSLRequest packet, answered with `S`.
    Postgres,
    /// LDAP (RFC 4511): the StartTLS extended request, answered with
    /// resultCode success.
    Ldap,
    /// XMPP, client to server (RFC 6120): a stream to the server's domain,
    /// then `<starttls/>`, answered with `<proceed/>`.
    Xmpp,
    /// XMPP, server to server: as `xmpp`, in the `jabber:server` namespace.
    XmppServer,
}

impl StartTls {
    /// The name `-starttls` takes for it.
    pub fn name(self) -> &'static str {
        match self {
            StartTls::Smtp => "smtp",
            StartTls::Imap => "imap",
            StartTls::Pop3 => "pop3",
            StartTls::Ftp => "ftp",
            StartTls::Postgres => "postgres",
            StartTls::Ldap => "ldap",
            StartTls::Xmpp => "xmpp",
            StartTls::XmppServer => "xmpp-server",
        }
    }
}

/// The most bytes kept of what came instead of a reply, or before a reply
/// stopped.
pub const SHOWN: usize = 300;
/// Longest reply line kept: SMTP allows 512 bytes (RFC 5321), and IMAP's
/// capability lists run longer.
const MAX_LINE: usize = 8192;
/// Most lines in one reply (an EHLO reply has one per extension).
const MAX_LINES: usize = 100;

/// The names of protocols that speak TLS from their first byte (implicit
/// TLS), which have no STARTTLS: each with its protocol and port.
const IMPLICIT_TLS: [(&str, &str, u16); 7] = [
    ("smtps", "SMTP", 465),
    ("submissions", "SMTP submission", 465),
    ("imaps", "IMAP", 993),
    ("pop3s", "POP3", 995),
    ("ftps", "FTP", 990),
    ("ldaps", "LDAP", 636),
    ("xmpps", "XMPP", 5223),
];

/// The value parser of `--starttls`: a protocol's name, as clap's own;
/// the name of an implicit-TLS protocol (`smtps`) is refused with what to
/// do instead, where clap would suggest the STARTTLS protocol beside it.
#[derive(Debug, Clone, Copy, Default)]
pub struct StartTlsParser;

impl clap::builder::TypedValueParser for StartTlsParser {
    type Value = StartTls;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<StartTls, clap::Error> {
        let implicit = value.to_str().and_then(|v| {
            IMPLICIT_TLS
                .iter()
                .find(|(name, _, _)| name.eq_ignore_ascii_case(v))
        });
        if let Some((name, protocol, port)) = implicit {
            let arg = arg.map_or("--starttls".to_owned(), ToString::to_string);
            return Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!(
                    "invalid value '{}' for '{arg}': {name} is {protocol} over TLS from \
                     its first byte (implicit TLS, port {port}), which has no STARTTLS: probe \
                     the port without --starttls\n",
                    value.to_string_lossy()
                ),
            )
            .with_cmd(cmd));
        }
        clap::builder::EnumValueParser::<StartTls>::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        use clap::ValueEnum;
        Some(Box::new(
            StartTls::value_variants()
                .iter()
                .filter_map(StartTls::to_possible_value),
        ))
    }
}

/// Rereads a diagnosis of plaintext where the server's TLS handshake was
/// due (tls_to_plaintext_port) on a connection switched with STARTTLS:
/// the client did upgrade; the server, after its go-ahead, did not, or
/// something in between injected text (the STARTTLS injection class of
/// CVE-2011-0411).
pub fn after_go_ahead(
    d: &mut openssl_handshake::Diagnosis,
    protocol: StartTls,
    trace: Option<&openssl_handshake::HandshakeTrace>,
) {
    // A ClientHello met with silence: the exchange it might have wanted
    // first has been had.
    if d.cause == openssl_handshake::Cause::TimedOut && trace.is_some_and(unanswered_hello) {
        d.fix = format!(
            "The server agreed to STARTTLS ({}) and then did not answer the ClientHello: look \
             in its own log for this connection's TLS after the go-ahead (a certificate or key \
             it could not load, a TLS library error), then at what sits between; a capture \
             (tcpdump, or tls-harness's `--pcap`) shows whether the hello was acknowledged.",
            protocol.name()
        );
        return;
    }
    if d.cause != openssl_handshake::Cause::TlsToPlaintextPort {
        return;
    }
    let sent = d
        .evidence
        .iter()
        .find(|e| e.source == "first bytes received")
        .map_or(String::new(), |e| format!(" ({})", e.value));
    d.summary = format!(
        "the server agreed to STARTTLS ({}) and then answered this client's ClientHello with \
         plaintext{sent} where its TLS handshake was due: it did not switch, or something in \
         between added text",
        protocol.name()
    );
    d.fault = openssl_handshake::Fault::Server;
    d.fix = "Have the server send nothing after its STARTTLS go-ahead but its TLS handshake, \
             and look for a proxy or filter in between that rewrites the plaintext."
        .to_owned();
}

/// Whether `trace` is a client's whose ClientHello went out and got not a
/// byte back: the server went quiet where its TLS was due.
fn unanswered_hello(trace: &openssl_handshake::HandshakeTrace) -> bool {
    trace.side == openssl_handshake::Side::Client
        && trace.bytes_received == 0
        && crate::probe::wrote_hello(trace)
}

/// Asks the server at the other end of `stream` to switch to TLS, by
/// `deadline`. `domain` is the server's name (its SNI name, or the host).
/// `name` is s_client's `-name` (`--name`): the host name SMTP's EHLO
/// gives (else s_client's `mail.example.com`), and the domain XMPP's
/// stream is to (else `domain`, as `-xmpphost`, an alias of `-name`,
/// defaults to the host). On success the next bytes on `stream` are the
/// TLS handshake's.
pub fn upgrade<S: Read + Write>(
    stream: &mut S,
    protocol: StartTls,
    domain: &str,
    name: Option<&str>,
    deadline: Instant,
) -> Result<(), StartTlsError> {
    let mut c = Exchange::new(stream, deadline);
    match protocol {
        StartTls::Smtp => {
            c.expect_code("greeting", "220", form::SMTP)?;
            let ehlo = name::ehlo(name);
            c.send("EHLO", &format!("EHLO {ehlo}\r\n"))?;
            let ehlo = c.expect_code("EHLO reply", "250", form::SMTP)?;
            // The first line names the server; the rest are extensions.
            let offered = ehlo.iter().skip(1).any(|l| {
                l.get(4..)
                    .is_some_and(|ext| ext.trim().eq_ignore_ascii_case("STARTTLS"))
            });
            if !offered {
                let listed: Vec<&str> = ehlo.iter().skip(1).filter_map(|l| l.get(4..)).collect();
                return Err(StartTlsError::NotOffered {
                    listed: listed.join(", "),
                });
            }
            c.send("STARTTLS", "STARTTLS\r\n")?;
            c.expect_code("STARTTLS reply", "220", form::SMTP).map(drop)
        }
        StartTls::Imap => {
            let greeting = c.line("greeting", Some(form::IMAP_GREETING))?;
            if !starts_with_ignore_case(&greeting, "* OK") {
                return Err(refused("greeting", &greeting));
            }
            c.send("CAPABILITY", ". CAPABILITY\r\n")?;
            let reply = c.tagged("CAPABILITY reply")?;
            // Capabilities come in untagged CAPABILITY lines, and in
            // [CAPABILITY ...] response codes (RFC 9051 section 7.1), the
            // greeting's included.
            let caps: Vec<String> = std::iter::once(&greeting)
                .chain(&reply)
                .filter_map(|l| capabilities(l))
                .collect();
            if !caps
                .iter()
                .flat_map(|l| l.split_ascii_whitespace())
                .any(|c| c.eq_ignore_ascii_case("STARTTLS"))
            {
                return Err(StartTlsError::NotOffered {
                    listed: caps.join(" "),
                });
            }
            c.send("STARTTLS", ". STARTTLS\r\n")?;
            let reply = c.tagged("STARTTLS reply")?;
            let last = reply.last().map_or("", String::as_str);
            if starts_with_ignore_case(last, ". OK") {
                Ok(())
            } else {
                Err(refused("STARTTLS", last))
            }
        }
        StartTls::Pop3 => {
            c.expect_pop3("greeting")?;
            c.send("STLS", "STLS\r\n")?;
            c.expect_pop3("STLS reply")
        }
        StartTls::Ftp => {
            c.expect_code("greeting", "220", form::FTP)?;
            c.send("AUTH TLS", "AUTH TLS\r\n")?;
            c.expect_code("AUTH TLS reply", "234", form::FTP).map(drop)
        }
        StartTls::Postgres => postgres::start_tls(&mut c),
        StartTls::Ldap => ldap::start_tls(&mut c),
        StartTls::Xmpp => xmpp::start_tls(&mut c, name.unwrap_or(domain), false),
        StartTls::XmppServer => xmpp::start_tls(&mut c, name.unwrap_or(domain), true),
    }
}

/// The server answered `step` (a request, or a reply awaited) without the
/// go-ahead.
fn refused(step: &'static str, reply: &str) -> StartTlsError {
    StartTlsError::Refused {
        request: request_of(step),
        reply: cut(reply),
    }
}

/// `reply`, cut to enough for any status line: a server may send
/// kilobytes.
fn cut(reply: &str) -> String {
    const SHOWN: usize = 300;
    match reply.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}...", &reply[..at]),
        None => reply.to_owned(),
    }
}

/// The capabilities an IMAP line lists: an untagged CAPABILITY response,
/// or a `[CAPABILITY ...]` response code.
fn capabilities(line: &str) -> Option<String> {
    if let Some(caps) = strip_prefix_ignore_case(line, "* CAPABILITY ") {
        return Some(caps.to_owned());
    }
    let upper = line.to_ascii_uppercase();
    let start = upper.find("[CAPABILITY ")? + "[CAPABILITY ".len();
    let end = start + upper[start..].find(']')?;
    Some(line[start..end].to_owned())
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    strip_prefix_ignore_case(s, prefix).is_some()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// One STARTTLS exchange under way.
struct Exchange<'a, S> {
    stream: &'a mut S,
    deadline: Instant,
    /// How many bytes have come since the last request (or the connect).
    received: usize,
    /// The last of them, at most [`SHOWN`].
    last: Vec<u8>,
}

impl<'a, S: Read + Write> Exchange<'a, S> {
    fn new(stream: &'a mut S, deadline: Instant) -> Self {
        Exchange {
            stream,
            deadline,
            received: 0,
            last: Vec::new(),
        }
    }

    /// Counts `bytes` as come, keeping the last of them.
    fn arrived(&mut self, bytes: &[u8]) {
        self.received += bytes.len();
        self.last.extend_from_slice(bytes);
        let over = self.last.len().saturating_sub(SHOWN);
        self.last.drain(..over);
    }

    /// `e` with what had come of the reply when it is a time-out or a
    /// close.
    fn with_arrived(&self, e: StartTlsError) -> StartTlsError {
        match e {
            StartTlsError::TimedOut { step, overall, .. } => StartTlsError::TimedOut {
                step,
                overall,
                received: self.received,
                last: self.last.clone(),
            },
            StartTlsError::Closed { step, .. } => StartTlsError::Closed {
                step,
                received: self.received,
                last: self.last.clone(),
            },
            StartTlsError::Reset { step, .. } => StartTlsError::Reset {
                step,
                received: self.received,
                last: self.last.clone(),
            },
            e => e,
        }
    }

    fn send(&mut self, step: &'static str, line: &str) -> Result<(), StartTlsError> {
        self.send_bytes(step, line.as_bytes())
    }

    fn send_bytes(&mut self, step: &'static str, bytes: &[u8]) -> Result<(), StartTlsError> {
        self.in_time(step)?;
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .map_err(|e| io_error(step, e))?;
        // A new request: what comes next is its answer.
        self.received = 0;
        self.last.clear();
        Ok(())
    }

    /// The whole exchange's limit: each read and write has its own time-out
    /// too, so a peer dribbling bytes or draining slowly is stopped here.
    fn in_time(&self, step: &'static str) -> Result<(), StartTlsError> {
        if Instant::now() >= self.deadline {
            return Err(self.with_arrived(StartTlsError::TimedOut {
                step,
                overall: true,
                received: 0,
                last: Vec::new(),
            }));
        }
        Ok(())
    }

    fn byte(&mut self, step: &'static str) -> Result<u8, StartTlsError> {
        let mut b = [0u8; 1];
        self.chunk(step, &mut b)?;
        Ok(b[0])
    }

    /// One read into `buf`: at least a byte, and whatever else of it had
    /// come. Returns how many.
    fn chunk(&mut self, step: &'static str, buf: &mut [u8]) -> Result<usize, StartTlsError> {
        self.in_time(step)?;
        loop {
            let r = match self.stream.read(buf) {
                Ok(0) => Err(StartTlsError::Closed {
                    step,
                    received: 0,
                    last: Vec::new(),
                }),
                Ok(n) => Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(io_error(step, e)),
            };
            return match r {
                Ok(n) => {
                    self.arrived(&buf[..n]);
                    Ok(n)
                }
                Err(e) => Err(self.with_arrived(e)),
            };
        }
    }

    /// One line, without its CRLF (a bare LF ends one too). A line that
    /// does not begin as `form` (when given) ends the exchange at once.
    fn line(
        &mut self,
        step: &'static str,
        form: Option<form::Form>,
    ) -> Result<String, StartTlsError> {
        let mut line = Vec::new();
        loop {
            let b = self.byte(step)?;
            if let Some(form) = form.filter(|_| line.len() < form::DECIDES) {
                let mut start = line.clone();
                start.push(b);
                if !(form.begins)(&start) {
                    return Err(self.not_a_reply(step, form, start));
                }
            }
            match b {
                b'\n' => break,
                b => line.push(b),
            }
            if line.len() > MAX_LINE {
                return Err(StartTlsError::TooLong { step });
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(String::from_utf8_lossy(&line).into_owned())
    }

    /// A reply of SMTP's or FTP's form, `CODE-text` lines then a last
    /// `CODE text`, whose code must be `code`. Returns its lines.
    fn expect_code(
        &mut self,
        step: &'static str,
        code: &str,
        form: form::Form,
    ) -> Result<Vec<String>, StartTlsError> {
        let mut lines = Vec::new();
        loop {
            let checked = lines.is_empty() || form.every_line;
            let line = self.line(step, Some(form).filter(|_| checked))?;
            // FTP continuation lines need not start with the code.
            let last = line.len() >= 3
                && line.as_bytes()[..3].iter().all(u8::is_ascii_digit)
                && line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                break;
            }
            if lines.len() >= MAX_LINES {
                return Err(StartTlsError::TooLong { step });
            }
        }
        let last = lines.last().map_or("", String::as_str);
        if last.starts_with(code) {
            Ok(lines)
        } else {
            Err(refused(step, &lines.join(" / ")))
        }
    }

    /// IMAP: untagged lines, then the one tagged `.`.
    fn tagged(&mut self, step: &'static str) -> Result<Vec<String>, StartTlsError> {
        let mut lines = Vec::new();
        loop {
            let line = self.line(step, Some(form::IMAP))?;
            // BYE is the server's statement of why it is closing (RFC
            // 9051, section 7.1.5): the reason, with no wait for the close.
            if strip_prefix_ignore_case(&line, "* BYE")
                .is_some_and(|r| r.is_empty() || r.starts_with(' '))
            {
                return Err(refused(step, &line));
            }
            let done = line.starts_with(". ");
            if !done && !line.starts_with("* ") && !line.starts_with("+ ") {
                return Err(self.other_tag(step, line));
            }
            lines.push(line);
            if done {
                return Ok(lines);
            }
            if lines.len() >= MAX_LINES {
                return Err(StartTlsError::TooLong { step });
            }
        }
    }

    /// A tagged line whose tag is not this client's: a completion of
    /// another command when its status is one (RFC 9051, section 7.1),
    /// else no IMAP response at all.
    fn other_tag(&mut self, step: &'static str, line: String) -> StartTlsError {
        let mut words = line.split(' ');
        let tag = words.next().unwrap_or_default();
        let status = words.next().unwrap_or_default();
        if ["OK", "NO", "BAD"]
            .iter()
            .any(|s| s.eq_ignore_ascii_case(status))
        {
            return StartTlsError::OtherTag {
                step,
                tag: cut(tag),
                reply: cut(&line),
            };
        }
        self.not_a_reply(step, form::IMAP, line.into_bytes())
    }

    fn expect_pop3(&mut self, step: &'static str) -> Result<(), StartTlsError> {
        let line = self.line(step, Some(form::POP3))?;
        if line.starts_with("+OK") {
            Ok(())
        } else {
            Err(refused(step, &line))
        }
    }
}

/// The request a reply answers: "STARTTLS reply" answers STARTTLS, and a
/// greeting answers the connection.
fn request_of(step: &'static str) -> &'static str {
    match step {
        "greeting" => "the connection",
        "stream features" => "the stream header",
        _ => step.strip_suffix(" reply").unwrap_or(step),
    }
}

fn io_error(step: &'static str, e: io::Error) -> StartTlsError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => StartTlsError::TimedOut {
            step,
            overall: false,
            received: 0,
            last: Vec::new(),
        },
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => StartTlsError::Reset {
            step,
            received: 0,
            last: Vec::new(),
        },
        io::ErrorKind::UnexpectedEof => StartTlsError::Closed {
            step,
            received: 0,
            last: Vec::new(),
        },
        _ => StartTlsError::Io {
            step,
            error: e.to_string(),
        },
    }
}

mod error;
mod form;
mod ldap;
mod name;
mod postgres;
#[cfg(test)]
mod tests;
mod xmpp;

pub use name::parse_name;
