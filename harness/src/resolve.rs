//! Name lookup with a time-out. `getaddrinfo` has none of its own but the
//! resolver's (`resolv.conf`: five seconds per server and attempt, so up
//! to half a minute or more), so the lookup runs on a thread of its own,
//! which is left to finish by itself if the time-out passes first.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use crate::settings::Secs;

/// The addresses of `HOST:PORT`, or an error of kind `TimedOut` when the
/// resolver gives no answer within `timeout`.
pub fn addresses(target: &str, timeout: Duration) -> io::Result<Vec<SocketAddr>> {
    // An address needs no resolver, and so no thread or time-out.
    if let Ok(addr) = target.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    // A link-local address with its interface named (`[fe80::1%eth0]:443`):
    // std reads only a numeric zone, getaddrinfo a named one too, but
    // not inside the brackets std's own split leaves on the host.
    if let Some((host, port)) = bracketed_zone(target) {
        return lookup_within(target, timeout, move |_| {
            (host.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect)
        });
    }
    lookup_within(target, timeout, |name| {
        name.to_socket_addrs().map(Iterator::collect)
    })
}

/// The host and port of `[ADDRESS%ZONE]:PORT`, brackets removed.
fn bracketed_zone(target: &str) -> Option<(String, u16)> {
    let (host, port) = target.strip_prefix('[')?.rsplit_once("]:")?;
    host.contains('%')
        .then(|| Some((host.to_owned(), port.parse().ok()?)))
        .flatten()
}

/// Runs `lookup` on a thread of its own and waits at most `timeout`.
fn lookup_within(
    target: &str,
    timeout: Duration,
    lookup: impl FnOnce(&str) -> io::Result<Vec<SocketAddr>> + Send + 'static,
) -> io::Result<Vec<SocketAddr>> {
    let (tx, rx) = mpsc::channel();
    let name = target.to_owned();
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            // The receiver is gone only when the time-out passed first.
            let _ = tx.send(lookup(&name));
        })?;
    rx.recv_timeout(timeout).unwrap_or_else(|e| match e {
        mpsc::RecvTimeoutError::Timeout => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no answer from the name resolver within {}", Secs(timeout)),
        )),
        // The sender went without a word: the lookup thread panicked.
        mpsc::RecvTimeoutError::Disconnected => Err(io::Error::other(format!(
            "the lookup of {target} failed inside the resolver (a panic on its thread)"
        ))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_refusals_come_back() {
        let found = addresses("127.0.0.1:443", Duration::from_secs(5)).expect("an address");
        assert_eq!(found, [SocketAddr::from(([127, 0, 0, 1], 443))]);
        assert!(addresses("not a target", Duration::from_secs(5)).is_err());
    }

    /// A zone given by the interface's name is that interface's index, as
    /// the kernel numbers it (/sys/class/net/lo/ifindex).
    #[test]
    fn a_named_zone_is_the_interfaces_index() {
        let index: u32 = std::fs::read_to_string("/sys/class/net/lo/ifindex")
            .expect("the loopback interface's index")
            .trim()
            .parse()
            .expect("a number");
        let found = addresses("[fe80::1%lo]:443", Duration::from_secs(5)).expect("an address");
        match found.as_slice() {
            [SocketAddr::V6(a)] => {
                assert_eq!((a.port(), a.scope_id()), (443, index), "{a}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_resolver_that_does_not_answer_times_out() {
        let stalled = |_: &str| {
            std::thread::sleep(Duration::from_secs(5));
            Ok(Vec::new())
        };
        let err = lookup_within("example.test:443", Duration::from_millis(100), stalled)
            .expect_err("a time-out");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("within 100 ms"), "{err}");
    }

    #[test]
    fn a_panicking_lookup_is_not_called_a_time_out() {
        let err = lookup_within("example.test:443", Duration::from_secs(5), |_| {
            panic!("resolver bug")
        })
        .expect_err("an error");
        assert_ne!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("example.test:443"), "{err}");
    }
}
