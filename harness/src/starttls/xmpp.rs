//! XMPP's STARTTLS (RFC 6120, section 5.4): the stream header s_client
//! sends, the server's stream features, `<starttls/>` and `<proceed/>`.
//! The XML is scanned for the few elements that matter, not parsed: as
//! s_client does, and enough, since the exchange ends at `<proceed/>`.

use std::io::{Read, Write};

use super::{form, refused, Exchange, StartTlsError};

/// The namespace of STARTTLS's elements.
const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
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
    let domain = domain
        .replace('&', "&amp;")
        .replace('\'', "&apos;")
        .replace('<', "&lt;");
    c.send(
        "stream header",
        &format!(
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='{ns}' \
             to='{domain}' version='1.0'>"
        ),
    )?;
    let features = c.xml_until(
        "stream features",
        &["</stream:features>", "<stream:features/>"],
        true,
    )?;
    let offered = features
        .match_indices("<starttls")
        .any(|(at, _)| element_start(&features[at..]).contains(NS_TLS));
    if !offered {
        let start = features.find("<stream:features").unwrap_or(0);
        return Err(StartTlsError::NotOffered {
            listed: element_names(&features[start..]).join(", "),
        });
    }
    c.send("starttls", &format!("<starttls xmlns='{NS_TLS}'/>"))?;
    let answer = c.xml_until("starttls reply", &["<proceed", "<failure"], true)?;
    if answer.ends_with("<failure") {
        return Err(refused(
            "starttls reply",
            "<failure/>: the server refused STARTTLS",
        ));
    }
    // The proceed element's end: nothing of the TLS handshake may be read.
    let rest = c.xml_until("starttls reply", &["/>", ">"], false)?;
    if !rest.ends_with("/>") {
        c.xml_until("starttls reply", &["</proceed>"], false)?;
    }
    Ok(())
}

impl<S: Read + Write> Exchange<'_, S> {
    /// The XML up to and including the first of `ends`. A stream the
    /// server ends (`</stream:stream>`, as after a stream error) is a
    /// refusal, with its text. A `fresh` read, the start of an answer, must
    /// begin as XML does.
    fn xml_until(
        &mut self,
        step: &'static str,
        ends: &[&str],
        fresh: bool,
    ) -> Result<String, StartTlsError> {
        const STREAM_END: &str = "</stream:stream>";
        let mut xml = Vec::new();
        // Until its first byte but white space, whether it is XML is open.
        let mut open = fresh;
        loop {
            match self.byte(step) {
                Ok(b) if open && !b.is_ascii_whitespace() => {
                    xml.push(b);
                    if !(form::XMPP.begins)(&xml) {
                        return Err(self.not_a_reply(step, form::XMPP, xml));
                    }
                    open = false;
                }
                Ok(b) => xml.push(b),
                Err(StartTlsError::Closed { .. }) if !xml.is_empty() => {
                    let xml = String::from_utf8_lossy(&xml);
                    return Err(refused(
                        step,
                        &stream_error(&xml).unwrap_or(xml.into_owned()),
                    ));
                }
                Err(e) => return Err(e),
            }
            if ends.iter().any(|e| xml.ends_with(e.as_bytes())) {
                return Ok(String::from_utf8_lossy(&xml).into_owned());
            }
            if xml.ends_with(STREAM_END.as_bytes()) {
                let xml = String::from_utf8_lossy(&xml);
                return Err(refused(
                    step,
                    &stream_error(&xml).unwrap_or(xml.into_owned()),
                ));
            }
            if xml.len() > MAX_XML {
                return Err(StartTlsError::TooLong { step });
            }
        }
    }
}

/// A stream error (RFC 6120, section 4.9) in `xml`, in short: its
/// condition, the first element in it, and its text if it has one.
fn stream_error(xml: &str) -> Option<String> {
    let error = &xml[xml.find("<stream:error")?..];
    let inner = &error[error.find('>')? + 1..];
    let condition = element_names(inner).into_iter().next()?;
    let text = inner
        .find("<text")
        .and_then(|at| {
            let body = &inner[at..];
            let start = body.find('>')? + 1;
            let end = body.find("</text>")?;
            (start <= end).then(|| body[start..end].trim())
        })
        .filter(|t| !t.is_empty());
    Some(match text {
        Some(t) => format!("stream error {condition}: {t}"),
        None => format!("stream error {condition}"),
    })
}

/// The start tag at the beginning of `xml`, up to its `>`.
fn element_start(xml: &str) -> &str {
    xml.find('>').map_or(xml, |end| &xml[..=end])
}

/// The names of the elements opened in `xml` (the features' children
/// and theirs), each once, but the features element itself.
fn element_names(xml: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for (at, _) in xml.match_indices('<') {
        let tag = &xml[at + 1..];
        let end = tag
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(tag.len());
        let name = &tag[..end];
        if !name.is_empty() && name != "stream:features" && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}
