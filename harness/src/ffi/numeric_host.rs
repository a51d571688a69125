//! Whether `getaddrinfo(3)` reads a host as an address, which the `libc`
//! crate offers only as the raw call.

use std::ffi::CString;

/// Whether `getaddrinfo` takes `host` as a numeric address, as it does
/// the shorthand IPv4 forms of inet_aton(3) (`127.1`, `0x7f000001`,
/// `2130706433`, `0177.0.0.1`) besides the dotted quad: asked with
/// `AI_NUMERICHOST`, which never looks a name up.
pub fn is_numeric_host(host: &str) -> bool {
    let Ok(c_host) = CString::new(host) else {
        // A NUL byte is in no address.
        return false;
    };
    // SAFETY: addrinfo is a plain C struct for which all zeroes (null
    // pointers, no flags) is the documented empty hints value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_flags = libc::AI_NUMERICHOST;
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut found: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: the host is a NUL-terminated string and the hints a valid
    // addrinfo, both live for the call; a null service is allowed; on
    // success `found` is a list getaddrinfo allocated, freed just below.
    let r = unsafe { libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut found) };
    if r == 0 && !found.is_null() {
        // SAFETY: `found` came from a successful getaddrinfo and is freed
        // once, here.
        unsafe { libc::freeaddrinfo(found) };
    }
    r == 0
}

#[cfg(test)]
mod tests {
    use super::is_numeric_host;

    /// The forms inet_aton(3) documents ("a", "a.b", "a.b.c", each part
    /// decimal, octal with a leading 0 or hex with 0x), and names, which
    /// are not looked up.
    #[test]
    fn the_shorthand_forms_are_addresses_and_names_are_not() {
        for address in [
            "127.0.0.1",
            "127.1",
            "0x7f000001",
            "2130706433",
            "0177.0.0.1",
            "::1",
        ] {
            assert!(is_numeric_host(address), "{address}");
        }
        for name in [
            "localhost",
            "example.com",
            "1.2.3.4.5",
            "127.0.0.1x",
            "",
            "a\0b",
        ] {
            assert!(!is_numeric_host(name), "{name}");
        }
    }
}
