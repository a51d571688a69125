//! `--name`, s_client's `-name`: the host name a STARTTLS exchange gives
//! (SMTP's EHLO, XMPP's stream `to`), checked as the command line reads it.

use std::borrow::Cow;

/// The EHLO name s_client sends unless given `-name`.
const EHLO_NAME: &str = "mail.example.com";

/// The name SMTP's EHLO gives: `name`, else s_client's. SMTP's Domain is
/// ASCII (RFC 5321, section 4.1.2), so a name in another script goes as
/// its A-label, as in SNI.
pub(super) fn ehlo(name: Option<&str>) -> Cow<'_, str> {
    name.map_or(Cow::Borrowed(EHLO_NAME), |n| {
        crate::probe::wire_name(n).unwrap_or(Cow::Borrowed(n))
    })
}

/// The value parser of `--name`: a host name, which goes into a command
/// line (SMTP) or an attribute (XMPP), so without white space or control
/// characters, and no longer than a domain name may be.
pub fn parse_name(value: &str) -> Result<String, String> {
    /// RFC 1035, section 2.3.4 (the attribute or line around it allows
    /// more, but no host name is longer).
    const MAX_NAME: usize = 255;
    if value.is_empty() {
        return Err("a host name cannot be empty".into());
    }
    if value.len() > MAX_NAME {
        return Err(format!("a host name has at most {MAX_NAME} bytes"));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "a host name has no white space or control characters (it goes into SMTP's EHLO \
             line or XMPP's stream header)"
                .into(),
        );
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::ehlo;

    #[test]
    fn the_ehlo_name_goes_in_ascii() {
        assert_eq!(ehlo(Some("bücher.example")), "xn--bcher-kva.example");
        assert_eq!(ehlo(Some("Mail.Example")), "Mail.Example");
        assert_eq!(ehlo(None), "mail.example.com");
    }
}
