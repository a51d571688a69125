//! The message lines of `openssl s_client -msg` output (and of a trace's
//! message log), in a form the two can be compared in.

/// One line per TLS message, in order, as `-msg` heads each: record
/// headers and TLS 1.3's inner content type are left out, which a trace
/// does not list as messages. (A trace prints a record OpenSSL refused as
/// `-msg` prints its header: "RecordHeader" lines are dropped on both
/// sides, so only the "Not TLS data ..." form is compared; so is a
/// trace's line for a record OpenSSL took without reporting it, such as a
/// ChangeCipherSpec it read, of which `-msg` prints only the header.) A
/// trace's message log adds the record layer's version to each line
/// ("(record TLS 1.2)"), which is taken off. Indented lines (decoded
/// fields, hex dumps) are dropped.
pub fn message_lines(output: &str) -> String {
    output
        .lines()
        .filter(|l| l.starts_with(">>> ") || l.starts_with("<<< "))
        .filter(|l| !l.contains(" RecordHeader ") && !l.contains(" InnerContent "))
        .filter(|l| !unreported(l))
        .map(|l| match l.find(" (record ") {
            Some(at) if l.ends_with(')') => &l[..at],
            _ => l,
        })
        .map(|l| format!("{}\n", ticket_length_masked(l)))
        .collect()
}

/// A trace's line for a record OpenSSL took unreported: its content type
/// with no protocol version before it (`<<< ChangeCipherSpec [length
/// 0001]`), as OpenSSL passed none.
fn unreported(line: &str) -> bool {
    ["ChangeCipherSpec [", "Alert [", "Handshake [", "Record ["]
        .iter()
        .any(|start| line[4..].starts_with(start))
}

/// A NewSessionTicket's length masked: the ticket is the server's session
/// encrypted in whole cipher blocks, and the session's encoding (its time
/// among the rest) can cross a block boundary from one connection to the
/// next, so two connections to one server may differ by a block.
fn ticket_length_masked(line: &str) -> String {
    match line.find("[length ") {
        Some(at) if line.ends_with(", NewSessionTicket") => {
            let end = at + "[length xxxx]".len();
            format!(
                "{}[length ....]{}",
                &line[..at],
                &line[end.min(line.len())..]
            )
        }
        _ => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::message_lines;

    #[test]
    fn headers_are_kept_and_made_alike() {
        let tool = ">>> TLS 1.2, RecordHeader [length 0005]\n\
                    >>> TLS 1.3, Handshake [length 00ee], ClientHello\n    01 00 00 ea\n\
                    <<< TLS 1.3, InnerContent [length 0001]\n\
                    <<< TLS 1.3, Alert [length 0002], warning close_notify\n";
        let ours = ">>> TLS 1.3, Handshake [length 00ee], ClientHello (record TLS 1.0)\n    \
                    client_version=TLS 1.2\n\
                    <<< ChangeCipherSpec [length 0001] (record TLS 1.2)\n    \
                    from its record header: OpenSSL took the record without passing it to the message callback\n\
                    <<< TLS 1.3, Alert [length 0002], warning close_notify (record TLS 1.2)\n";
        let want = ">>> TLS 1.3, Handshake [length 00ee], ClientHello\n\
                    <<< TLS 1.3, Alert [length 0002], warning close_notify\n";
        assert_eq!(message_lines(tool), want);
        assert_eq!(message_lines(ours), want);
    }

    #[test]
    fn ticket_lengths_are_masked() {
        let a = "<<< TLS 1.3, Handshake [length 00d9], NewSessionTicket\n";
        let b = "<<< TLS 1.3, Handshake [length 00e9], NewSessionTicket (record TLS 1.2)\n";
        assert_eq!(message_lines(a), message_lines(b));
        assert_eq!(
            message_lines(a),
            "<<< TLS 1.3, Handshake [length ....], NewSessionTicket\n"
        );
    }
}
