//! XMPP's STARTTLS (RFC 6120, section 5.4): the stream header s_client
//! sends, the server's stream features, `<starttls/>` and `<proceed/>`.
//!
//! The server's XML is read with quick-xml's namespace-aware reader as it
//! arrives, so that its elements are known by namespace and local name
//! whatever prefix the server binds (RFC 6120, section 4.8: `stream:` is
//! only customary; the streams namespace may be the default one). The
//! reader is fed a byte at a time and takes none past the end of the
//! element it returns, so nothing of the TLS handshake after `<proceed/>`
//! is read.

use std::io::{self, BufRead, Read, Write};

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::{form, refused, Exchange, StartTlsError};

/// The namespace of STARTTLS's elements.
const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// The namespace of the stream, its features and its errors.
const NS_STREAMS: &str = "http://etherx.jabber.org/streams";
/// The most XML read for one step: a features list with SASL mechanisms
/// and a dozen extensions is a few hundred bytes.
const MAX_XML: usize = 16 * 1024;

/// Opens a stream to `domain` (`jabber:server` for a server-to-server
/// stream), and asks the server to switch it to TLS.
pub(super) fn start_tls<S: Read + Write>(
    c: &mut Exchange<'_, S>,
    domain: &str,
    server_to_server: bool,
) -> Result<(), StartTlsError> {
    let ns = if server_to_server {
        "jabber:server"
    } else {
        "jabber:client"
    };
    // A domain is a host name; escaped all the same, as it goes into an
    // attribute.
    let domain = quick_xml::escape::escape(domain);
    c.send(
        "stream header",
        &format!(
            "<stream:stream xmlns:stream='{NS_STREAMS}' xmlns='{ns}' to='{domain}' \
             version='1.0'>"
        ),
    )?;
    let mut stream = Stream::new(c, "stream features");
    let features = stream.features()?;
    if !features
        .iter()
        .any(|(name, feature)| *feature && name.is(NS_TLS, "starttls"))
    {
        let mut listed: Vec<String> = Vec::new();
        for (name, _) in &features {
            let name = name.listed();
            if !listed.contains(&name) {
                listed.push(name);
            }
        }
        return Err(StartTlsError::NotOffered {
            listed: listed.join(", "),
        });
    }
    stream.send(
        "starttls",
        &format!("<starttls xmlns='{NS_TLS}'/>"),
        "starttls reply",
    )?;
    stream.proceed()
}

/// An element's expanded name: its namespace (none for an unprefixed name
/// with no default namespace in scope) and its local name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name {
    ns: Option<String>,
    local: String,
}

impl Name {
    fn is(&self, ns: &str, local: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.local == local
    }

    /// The name in a list of what the server offered: its local name, and
    /// for a `starttls` of another namespace (which is no offer of
    /// STARTTLS) its namespace too.
    fn listed(&self) -> String {
        match &self.ns {
            _ if self.local != "starttls" || self.is(NS_TLS, "starttls") => self.local.clone(),
            Some(ns) => format!("starttls ({ns})"),
            None => "starttls (no namespace)".to_owned(),
        }
    }
}

/// One thing read from the server's stream.
enum Item {
    /// A start tag, or an empty element (`true`).
    Open(Name, bool),
    /// An end tag.
    Close(Name),
    /// Character data, entities resolved.
    Text(String),
    /// A declaration, comment or processing instruction.
    Other,
}

/// The server's side of the stream, read through one step after another.
struct Stream<'e, 'a, S> {
    xml: NsReader<Source<'e, 'a, S>>,
    buf: Vec<u8>,
}

impl<'e, 'a, S: Read + Write> Stream<'e, 'a, S> {
    fn new(c: &'e mut Exchange<'a, S>, step: &'static str) -> Self {
        Stream {
            xml: NsReader::from_reader(Source {
                c,
                step,
                got: Vec::new(),
                fresh: true,
                byte: [0],
                held: false,
                failed: None,
            }),
            buf: Vec::new(),
        }
    }

    /// Sends `request`, whose answer is read as `next`.
    fn send(
        &mut self,
        what: &'static str,
        request: &str,
        next: &'static str,
    ) -> Result<(), StartTlsError> {
        let source = self.xml.get_mut();
        source.c.send(what, request)?;
        source.step = next;
        source.got.clear();
        source.fresh = true;
        Ok(())
    }

    /// The elements inside the stream features, each with whether it is a
    /// feature (a child of the features element) or inside one.
    fn features(&mut self) -> Result<Vec<(Name, bool)>, StartTlsError> {
        loop {
            let Item::Open(name, empty) = self.next()? else {
                continue;
            };
            if name.local == "features" && !name.is(NS_STREAMS, "features") {
                return Err(self.not_a_reply(
                    "stream features (a features element of the streams namespace, \
                     http://etherx.jabber.org/streams)",
                ));
            }
            if !name.is(NS_STREAMS, "features") {
                continue;
            }
            let mut found = Vec::new();
            if empty {
                return Ok(found);
            }
            let mut depth = 0usize;
            loop {
                match self.next()? {
                    Item::Open(name, empty) => {
                        found.push((name, depth == 0));
                        depth += usize::from(!empty);
                    }
                    Item::Close(_) if depth == 0 => return Ok(found),
                    Item::Close(_) => depth -= 1,
                    Item::Text(_) | Item::Other => {}
                }
            }
        }
    }

    /// The answer to `<starttls/>`: `<proceed/>`, read to its end, or
    /// `<failure/>`.
    fn proceed(&mut self) -> Result<(), StartTlsError> {
        loop {
            let Item::Open(name, empty) = self.next()? else {
                continue;
            };
            if name.is(NS_TLS, "failure") {
                return Err(refused(
                    "starttls reply",
                    "<failure/>: the server refused STARTTLS",
                ));
            }
            if ["proceed", "failure"].contains(&name.local.as_str())
                && name.ns.as_deref() != Some(NS_TLS)
            {
                return Err(self.not_a_reply(
                    "an answer to STARTTLS (proceed or failure of the TLS namespace, \
                     urn:ietf:params:xml:ns:xmpp-tls)",
                ));
            }
            if !name.is(NS_TLS, "proceed") {
                continue;
            }
            let mut depth = usize::from(!empty);
            while depth > 0 {
                match self.next()? {
                    Item::Open(_, false) => depth += 1,
                    Item::Close(_) => depth -= 1,
                    _ => {}
                }
            }
            return Ok(());
        }
    }

    /// The answer so far, as one that is not `form`: the element awaited,
    /// but of another namespace, which RFC 6120 (sections 4.8.1, 5.4.2.3)
    /// makes another element. Said at once: waiting would only time out.
    fn not_a_reply(&mut self, form: &'static str) -> StartTlsError {
        let source = self.xml.get_mut();
        StartTlsError::NotAReply {
            step: source.step,
            form,
            received: source.got.clone(),
        }
    }

    /// The next item of the stream. A stream error, or the end of the
    /// stream, is the server's refusal.
    fn next(&mut self) -> Result<Item, StartTlsError> {
        match self.read()? {
            Item::Open(name, empty) if name.is(NS_STREAMS, "error") => {
                Err(self.stream_error(empty))
            }
            Item::Close(name) if name.is(NS_STREAMS, "stream") => Err(self.refusal(None)),
            item => Ok(item),
        }
    }

    /// A stream error (RFC 6120, section 4.9), read to its end or as far as
    /// it came, as a refusal: its condition, the first element in it, and
    /// its text if it has one.
    fn stream_error(&mut self, empty: bool) -> StartTlsError {
        let (mut condition, mut text) = (None, String::new());
        let mut depth = usize::from(!empty);
        let mut in_text = false;
        while depth > 0 {
            match self.read() {
                Ok(Item::Open(name, empty)) => {
                    if depth == 1 && name.local == "text" {
                        in_text = !empty;
                    } else if depth == 1 && condition.is_none() {
                        condition = Some(name.local);
                    }
                    depth += usize::from(!empty);
                }
                Ok(Item::Close(_)) => {
                    depth -= 1;
                    in_text &= depth > 1;
                }
                Ok(Item::Text(t)) if in_text => text.push_str(&t),
                Ok(_) => {}
                // Closed or stalled part-way: what came of it.
                Err(_) => break,
            }
        }
        let error = condition.map(|condition| match text.trim() {
            "" => format!("stream error {condition}"),
            text => format!("stream error {condition}: {text}"),
        });
        self.refusal(error)
    }

    /// The server's refusal at this step: `error`, or the XML it sent.
    fn refusal(&mut self, error: Option<String>) -> StartTlsError {
        let source = self.xml.get_mut();
        let reply = error.unwrap_or_else(|| String::from_utf8_lossy(&source.got).into_owned());
        refused(source.step, &reply)
    }

    /// The next item as read, its names resolved.
    fn read(&mut self) -> Result<Item, StartTlsError> {
        self.buf.clear();
        let (ns, event) = match self.xml.read_resolved_event_into(&mut self.buf) {
            Ok(read) => read,
            Err(e) => return Err(self.failed(e)),
        };
        let ns = match ns {
            // An attribute's value, references and all: a namespace
            // written `xmpp&#x2d;tls` is `xmpp-tls` (XML 1.0 section 3.3.3).
            ResolveResult::Bound(ns) => {
                let raw = ns.as_ref().to_owned();
                Some(quick_xml::escape::unescape(&raw).map_or(raw.clone(), |ns| ns.into_owned()))
            }
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(prefix) => {
                let element = match &event {
                    Event::Start(e) | Event::Empty(e) => e.name().as_ref().to_owned(),
                    Event::End(e) => format!("/{}", e.name().as_ref()),
                    _ => String::new(),
                };
                let step = self.xml.get_mut().step;
                return Err(StartTlsError::NotXml {
                    step,
                    error: format!("<{element}>: the prefix {prefix:?} is bound to no namespace"),
                });
            }
        };
        let name = |local: &str| Name {
            ns,
            local: local.to_owned(),
        };
        Ok(match event {
            Event::Start(e) => Item::Open(name(e.local_name().as_ref()), false),
            Event::Empty(e) => Item::Open(name(e.local_name().as_ref()), true),
            Event::End(e) => Item::Close(name(e.local_name().as_ref())),
            Event::Text(t) => Item::Text(t.xml10_content().into_owned()),
            Event::CData(t) => Item::Text(t.xml10_content().into_owned()),
            Event::GeneralRef(r) => {
                let entity = format!("&{};", r.xml10_content());
                Item::Text(
                    quick_xml::escape::unescape(&entity).map_or(entity.clone(), |t| t.into_owned()),
                )
            }
            // The source never ends: a close is an error of its own.
            Event::Eof => {
                let source = self.xml.get_mut();
                return Err(source.c.with_arrived(StartTlsError::Closed {
                    step: source.step,
                    received: 0,
                    last: Vec::new(),
                }));
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => Item::Other,
        })
    }

    /// What stopped the reader: the exchange's own error where it was
    /// the source (a close, a time-out, a cap), else XML that is not
    /// well-formed.
    fn failed(&mut self, e: quick_xml::Error) -> StartTlsError {
        let source = self.xml.get_mut();
        match (e, source.failed.take()) {
            (quick_xml::Error::Io(_), Some(failed)) => match failed {
                // A close after some XML: what came is the answer. A
                // reset stays one, named as such, whatever came before.
                StartTlsError::Closed { .. } if !source.got.trim_ascii().is_empty() => {
                    self.refusal(None)
                }
                failed => failed,
            },
            (e, _) => StartTlsError::NotXml {
                step: source.step,
                error: e.to_string(),
            },
        }
    }
}

/// The server's bytes for quick-xml, read one at a time through the
/// exchange (its time-outs and deadline), capped per step.
struct Source<'e, 'a, S> {
    c: &'e mut Exchange<'a, S>,
    /// What is awaited.
    step: &'static str,
    /// The step's bytes so far: for its cap, and a refusal's text.
    got: Vec<u8>,
    /// Until its first byte but white space, whether an answer is XML is
    /// open.
    fresh: bool,
    /// The byte read and not yet taken by the reader (`held`).
    byte: [u8; 1],
    held: bool,
    /// Why the exchange stopped, which the reader sees as an I/O error.
    failed: Option<StartTlsError>,
}

impl<S: Read + Write> Source<'_, '_, S> {
    fn pull(&mut self) -> Result<u8, StartTlsError> {
        let b = self.c.byte(self.step)?;
        self.got.push(b);
        if self.fresh && !b.is_ascii_whitespace() {
            self.fresh = false;
            if !(form::XMPP.begins)(&self.got) {
                let got = std::mem::take(&mut self.got);
                return Err(self.c.not_a_reply(self.step, form::XMPP, got));
            }
        }
        if self.got.len() > MAX_XML {
            return Err(StartTlsError::TooLong { step: self.step });
        }
        Ok(b)
    }
}

impl<S: Read + Write> BufRead for Source<'_, '_, S> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.held {
            match self.pull() {
                Ok(b) => {
                    self.byte = [b];
                    self.held = true;
                }
                Err(e) => {
                    self.failed = Some(e);
                    return Err(io::Error::other("the STARTTLS exchange stopped"));
                }
            }
        }
        Ok(&self.byte)
    }

    fn consume(&mut self, amount: usize) {
        if amount > 0 {
            self.held = false;
        }
    }
}

impl<S: Read + Write> Read for Source<'_, '_, S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let Some(first) = out.first_mut() else {
            return Ok(0);
        };
        *first = self.fill_buf()?[0];
        self.consume(1);
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use super::super::StartTls;
    use super::*;

    /// A stream header binding the streams namespace to `s:`.
    const HEADER: &[u8] = b"<?xml version='1.0'?><s:stream xmlns='jabber:client' \
        xmlns:s='http://etherx.jabber.org/streams' id='1' version='1.0'>";

    #[test]
    fn proceed_under_a_prefix_is_read_to_its_end_and_no_further() {
        let replies = [
            HEADER,
            b"<s:features><t:starttls xmlns:t='urn:ietf:params:xml:ns:xmpp-tls'/></s:features>",
            b"<t:proceed xmlns:t='urn:ietf:params:xml:ns:xmpp-tls'></t:proceed>TLS BYTES",
        ]
        .concat();
        let (r, s) = run(StartTls::Xmpp, &replies);
        assert_eq!(r, Ok(()));
        let left = &s.replies.get_ref()[s.replies.position() as usize..];
        assert_eq!(left, b"TLS BYTES", "nothing past proceed is read");
    }

    /// Features or a proceed of another namespace are other elements
    /// (RFC 6120, sections 4.8.1 and 5.4.2.3): said at once, not waited out.
    #[test]
    fn features_or_proceed_of_another_namespace_are_not_the_answer() {
        let wrong = b"<stream:stream xmlns:stream='urn:wrong' xmlns='jabber:client'>\
            <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>";
        let (r, _) = run(StartTls::Xmpp, wrong);
        let e = r.expect_err("not the streams namespace");
        assert!(matches!(e, StartTlsError::NotAReply { .. }), "{e:?}");
        assert!(e.to_string().contains("is not stream features"), "{e}");
        let replies = [
            HEADER,
            b"<s:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></s:features>",
            b"<proceed xmlns='urn:x'/>",
        ]
        .concat();
        let (r, _) = run(StartTls::Xmpp, &replies);
        let e = r.expect_err("not the TLS namespace");
        assert!(
            e.to_string().contains("is not an answer to STARTTLS"),
            "{e}"
        );
    }

    /// A namespace is an attribute's value, so a character reference in
    /// it stands for its character: this is the TLS namespace.
    #[test]
    fn a_namespace_written_with_a_character_reference_is_that_namespace() {
        let replies = [
            HEADER,
            b"<s:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp&#x2d;tls'/></s:features>",
            b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp&#45;tls'/>",
        ]
        .concat();
        let (r, _) = run(StartTls::Xmpp, &replies);
        assert_eq!(r, Ok(()));
    }

    #[test]
    fn a_starttls_in_no_namespace_or_not_a_feature_is_no_offer() {
        // Unprefixed, with no default namespace in scope.
        let header = b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>";
        let replies = [
            &header[..],
            b"<stream:features><starttls/></stream:features>",
        ]
        .concat();
        let (r, _) = run(StartTls::Xmpp, &replies);
        assert_eq!(
            r,
            Err(StartTlsError::NotOffered {
                listed: "starttls (no namespace)".into()
            })
        );
        // Inside another feature, not a feature itself (RFC 6120, section
        // 5.4.1: the features element's child).
        let replies = [
            HEADER,
            b"<s:features><x xmlns='urn:example:x'><starttls \
              xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></x></s:features>",
        ]
        .concat();
        let (r, _) = run(StartTls::Xmpp, &replies);
        assert_eq!(
            r,
            Err(StartTlsError::NotOffered {
                listed: "x, starttls".into()
            })
        );
    }

    #[test]
    fn xml_that_is_not_well_formed_is_named_so() {
        // A prefix no declaration binds.
        let (r, _) = run(StartTls::Xmpp, b"<stream:stream><stream:features/>");
        assert_eq!(
            r,
            Err(StartTlsError::NotXml {
                step: "stream features",
                error: "<stream:stream>: the prefix \"stream\" is bound to no namespace".into()
            })
        );
        let e = r.expect_err("not XML").to_string();
        assert!(
            e.starts_with("the server's answer to the stream header is not well-formed XML: "),
            "{e}"
        );
        // An end tag that closes another element.
        let replies = [HEADER, b"<s:features><a></b></s:features>"].concat();
        let (r, _) = run(StartTls::Xmpp, &replies);
        let e = r.expect_err("not XML").to_string();
        assert!(e.contains("is not well-formed XML: "), "{e}");
        assert!(e.contains("</b>"), "{e}");
    }

    #[test]
    fn a_stream_error_under_any_prefix_is_the_refusal() {
        let replies = [
            HEADER,
            b"<s:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>\
              xmpp.example</see-other-host><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>\
              moved &amp; gone</text></s:error>",
        ]
        .concat();
        let (r, _) = run(StartTls::Xmpp, &replies);
        assert_eq!(
            r,
            Err(StartTlsError::Refused {
                request: "the stream header",
                reply: "stream error see-other-host: moved & gone".into()
            })
        );
    }
}
