//! A loopback proxy that delays every chunk by a fixed time in each
//! direction, keeping their order: a slow network path (a round trip of
//! twice the delay) in front of a local server.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Forwards `from` to `to`, each chunk `delay` after it was read.
fn pump(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let writer = thread::spawn(move || {
        for (read_at, chunk) in rx {
            thread::sleep((read_at + delay).saturating_duration_since(Instant::now()));
            if chunk.is_empty() || to.write_all(&chunk).is_err() {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
        }
    });
    let mut buf = [0u8; 65536];
    loop {
        let n = from.read(&mut buf).unwrap_or(0);
        if tx.send((Instant::now(), buf[..n].to_vec())).is_err() || n == 0 {
            break;
        }
    }
    drop(tx);
    let _ = writer.join();
}

/// Listens on a loopback port and forwards each connection to `target`
/// with `delay` each way; returns the proxy's address. Its threads end
/// with the test's process.
pub fn start(target: &str, delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    let target = target.to_owned();
    thread::spawn(move || {
        for client in listener.incoming() {
            let (Ok(client), Ok(server)) = (client, TcpStream::connect(&target)) else {
                continue;
            };
            let (c2, s2) = match (client.try_clone(), server.try_clone()) {
                (Ok(c), Ok(s)) => (c, s),
                _ => continue,
            };
            thread::spawn(move || pump(client, server, delay));
            thread::spawn(move || pump(s2, c2, delay));
        }
    });
    addr
}
