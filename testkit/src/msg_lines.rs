//! The message lines of `openssl s_client -msg` output (and of a trace's
//! message log), in a form the two can be compared in.

/// One line per TLS message, in order, as `-msg` heads each: record
/// headers and TLS 1.3's inner content type are left out, which a trace
/// does not list as messages. (A trace prints a record OpenSSL refused as
/// `-msg` prints its header: "RecordHeader" lines are dropped on both
/// sides, so only the "Not TLS data ..." form is compared.) A trace's
/// message log adds the record layer's version to each line ("(record TLS
/// 1.2)"), which is taken off. Indented lines (decoded fields, hex dumps)
/// are dropped.
pub fn message_lines(output: &str) -> String {
    output
        .lines()
        .filter(|l| l.starts_with(">>> ") || l.starts_with("<<< "))
        .filter(|l| !l.contains(" RecordHeader ") && !l.contains(" InnerContent "))
        .map(|l| match l.find(" (record ") {
            Some(at) if l.ends_with(')') => format!("{}\n", &l[..at]),
            _ => format!("{l}\n"),
        })
        .collect()
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
                    <<< TLS 1.3, Alert [length 0002], warning close_notify (record TLS 1.2)\n";
        let want = ">>> TLS 1.3, Handshake [length 00ee], ClientHello\n\
                    <<< TLS 1.3, Alert [length 0002], warning close_notify\n";
        assert_eq!(message_lines(tool), want);
        assert_eq!(message_lines(ours), want);
    }
}
