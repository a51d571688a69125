//! A connection's bytes as a pcapng file that Wireshark opens decrypted.
//!
//! A [`Capture`] holds one connection: every byte each way (from
//! [`Recording`], or any stream that calls [`Capture::sent`] and
//! [`Capture::received`]) and the key log lines OpenSSL's key log callback
//! gives ([`keys_into_captures`] routes them by connection). A file is one
//! pcapng section with an interface of raw IP packets; each connection
//! adds a Decryption Secrets Block holding its key log (so no separate
//! key file is needed) and its TCP segments, starting with a three-way
//! handshake so that TCP reassembly works. [`PcapFile`] appends
//! connections as they end, so a long-running server's file is readable
//! at any time. The IP and TCP checksums are real, so that tools that
//! drop bad-checksum packets read them.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use openssl::error::ErrorStack;
use openssl::ex_data::Index;
use openssl::ssl::{Ssl, SslContextBuilder, SslRef};

use crate::ffi::no_unwind;

mod packet;
use packet::Tcp;

/// The bytes of one connection and its key log, shared by the stream
/// wrapper and the key log callback.
#[derive(Clone, Debug)]
pub struct Capture {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    client: SocketAddr,
    server: SocketAddr,
    started: u64,
    segments: Vec<Segment>,
    keylog: Vec<u8>,
    /// Bytes kept in `segments`.
    kept: usize,
    /// Bytes past [`KEPT_AT_MOST`], left out.
    left_out: u64,
}

/// What one connection's capture keeps: the handshake and well beyond
/// it, but not a flood read while lingering, which would otherwise all
/// sit in memory until the connection ends.
pub const KEPT_AT_MOST: usize = 16 << 20;

#[derive(Debug)]
struct Segment {
    /// Microseconds since the Unix epoch.
    at: u64,
    /// When bytes were last added to it.
    last: u64,
    from_client: bool,
    /// Read by this end, rather than written.
    read: bool,
    bytes: Vec<u8>,
}

/// Reads this close together join one segment: a TLS reader takes a
/// record's header and its body in two reads of bytes that arrived
/// together, and a segment per read would show five-byte segments that
/// were never on the wire.
const JOIN_READS_US: u64 = 1_000;

/// Which end of the connection a [`Recording`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// This process connected.
    Client,
    /// This process accepted.
    Server,
}

/// The wall clock in microseconds, as segments are stamped.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

impl Capture {
    /// An empty capture of the connection between `client` and `server`.
    pub fn new(client: SocketAddr, server: SocketAddr) -> Self {
        Capture {
            state: Arc::new(Mutex::new(State {
                client,
                server,
                started: now_us(),
                segments: Vec::new(),
                keylog: Vec::new(),
                kept: 0,
                left_out: 0,
            })),
        }
    }

    /// A capture poisoned by a panic elsewhere still holds what it had.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds one line of the NSS key log format, as OpenSSL's key log
    /// callback (`SslContextBuilder::set_keylog_callback`) hands it over.
    pub fn keylog(&self, line: &str) {
        let mut s = self.lock();
        s.keylog.extend_from_slice(line.as_bytes());
        s.keylog.push(b'\n');
    }

    /// Wraps `stream`, which is the `end` side of this capture's
    /// connection.
    pub fn record<S>(&self, stream: S, end: End) -> Recording<S> {
        Recording {
            inner: stream,
            capture: self.clone(),
            end,
        }
    }

    /// Records bytes this end wrote, as the `end` side, stamped with
    /// `started` ([`now_us`] before the write): once the write returns,
    /// the peer may already have answered, and its answer must not come
    /// first.
    pub fn sent(&self, end: End, bytes: &[u8], started: u64) {
        self.push_at(started, end == End::Client, false, bytes);
    }

    /// Records bytes this end read, as the `end` side.
    pub fn received(&self, end: End, bytes: &[u8]) {
        self.push(end == End::Server, true, bytes);
    }

    fn push(&self, from_client: bool, read: bool, bytes: &[u8]) {
        self.push_at(now_us(), from_client, read, bytes);
    }

    fn push_at(&self, at: u64, from_client: bool, read: bool, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut s = self.lock();
        // Past the bound nothing more is kept, either way, so that the
        // file holds the connection's first part whole.
        if s.left_out > 0 || s.kept + bytes.len() > KEPT_AT_MOST {
            s.left_out += bytes.len() as u64;
            return;
        }
        s.kept += bytes.len();
        if let Some(last) = s.segments.last_mut().filter(|g| {
            read && g.read
                && g.from_client == from_client
                && at.saturating_sub(g.last) <= JOIN_READS_US
        }) {
            last.bytes.extend_from_slice(bytes);
            last.last = at;
            return;
        }
        s.segments.push(Segment {
            at,
            last: at,
            from_client,
            read,
            bytes: bytes.to_vec(),
        });
    }

    /// Bytes the connection carried past [`KEPT_AT_MOST`], which the
    /// capture left out.
    pub fn left_out(&self) -> u64 {
        self.lock().left_out
    }

    /// What an operator is told of a capture cut at [`KEPT_AT_MOST`]:
    /// `None` when nothing was left out.
    pub fn cut_note(&self) -> Option<String> {
        let left_out = self.left_out();
        (left_out > 0).then(|| {
            format!(
                "--pcap: the capture keeps a connection's first {} MiB; the {left_out} bytes \
                 after them were left out",
                KEPT_AT_MOST >> 20
            )
        })
    }

    /// Bytes recorded each way: (client to server, server to client).
    pub fn bytes(&self) -> (usize, usize) {
        let s = self.lock();
        let sum = |c: bool| {
            s.segments
                .iter()
                .filter(|g| g.from_client == c)
                .map(|g| g.bytes.len())
                .sum()
        };
        (sum(true), sum(false))
    }

    /// Writes the capture to `path` as a pcapng file of its own.
    pub fn write_pcapng(&self, path: &Path) -> io::Result<()> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(&self.to_pcapng())?;
        out.flush()
    }

    /// The capture as a pcapng file's bytes.
    pub fn to_pcapng(&self) -> Vec<u8> {
        let mut out = file_header();
        self.blocks(&mut out);
        out
    }

    /// This connection's blocks: its key log, then its packets.
    fn blocks(&self, out: &mut Vec<u8>) {
        let s = self.lock();
        if !s.keylog.is_empty() {
            decryption_secrets(out, &s.keylog);
        }
        let mut tcp = Tcp::new(s.client, s.server);
        for (at, packet) in tcp.open(s.started) {
            enhanced_packet(out, at, &packet);
        }
        for g in &s.segments {
            for chunk in g.bytes.chunks(MAX_SEGMENT) {
                let packet = tcp.data(g.from_client, chunk);
                enhanced_packet(out, g.at, &packet);
            }
        }
    }
}

/// A pcapng file that connections are appended to as they end.
#[derive(Debug)]
pub struct PcapFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl PcapFile {
    /// Creates (or truncates) `path` and writes the section and interface
    /// headers: a file that is the record of one run (a matrix artifact).
    pub fn create(path: &Path) -> io::Result<Self> {
        Self::start_section(path, File::create(path)?)
    }

    /// Opens `path` to append to, starting a new section (section and
    /// interface headers) after any capture it already holds, so that
    /// nothing recorded before is lost; pcapng readers read each section
    /// in turn. A file that is there but not pcapng is refused, untouched.
    /// For a file a user names (`probe` and `serve --pcap`).
    pub fn append_to(path: &Path) -> io::Result<Self> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        if file.metadata()?.len() > 0 {
            let mut magic = [0u8; 4];
            let read = io::Read::read_exact(&mut file, &mut magic);
            if read.is_err() || magic != SECTION_HEADER_TYPE.to_le_bytes() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "it exists and is not a pcapng capture; refusing to write over it \
                     (name a new file, or an earlier capture to append to)",
                ));
            }
        }
        Self::start_section(path, file)
    }

    /// Writes a section's headers at the end of `file`, which connections
    /// are then appended to.
    fn start_section(path: &Path, mut file: File) -> io::Result<Self> {
        file.write_all(&file_header())?;
        Ok(PcapFile {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one connection, in one write so that concurrent
    /// connections do not interleave.
    pub fn append(&self, capture: &Capture) -> io::Result<()> {
        let mut blocks = Vec::new();
        capture.blocks(&mut blocks);
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&blocks)?;
        file.flush()
    }
}

/// The ex_data slot that ties a connection to its capture.
fn capture_index() -> Result<Index<Ssl, Capture>, ErrorStack> {
    static INDEX: OnceLock<Result<Index<Ssl, Capture>, ErrorStack>> = OnceLock::new();
    INDEX.get_or_init(Ssl::new_ex_index).clone()
}

/// Ties `ssl` to `capture`, so that [`keys_into_captures`] files its key
/// log lines there.
pub fn attach(ssl: &mut SslRef, capture: &Capture) -> Result<(), ErrorStack> {
    ssl.set_ex_data(capture_index()?, capture.clone());
    Ok(())
}

/// Somewhere else a key log line goes.
pub type KeyLogSink = Box<dyn Fn(&str) + Send + Sync>;

/// Sets the context's key log callback to put each line into the
/// capture of its connection (see [`attach`]), and also to call `also`
/// (a `--keylog` file, say): a context has one key log callback.
pub fn keys_into_captures(
    b: &mut SslContextBuilder,
    also: Option<KeyLogSink>,
) -> Result<(), ErrorStack> {
    let index = capture_index()?;
    b.set_keylog_callback(move |ssl, line| {
        no_unwind((), || {
            if let Some(capture) = ssl.ex_data(index) {
                capture.keylog(line);
            }
            if let Some(f) = &also {
                f(line);
            }
        })
    });
    Ok(())
}

/// A stream whose bytes each way go into a [`Capture`].
#[derive(Debug)]
pub struct Recording<S> {
    inner: S,
    capture: Capture,
    end: End,
}

fn file_header() -> Vec<u8> {
    let mut out = Vec::new();
    section_header(&mut out);
    interface(&mut out);
    out
}

impl<S> Recording<S> {
    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The capture the bytes go into.
    pub fn capture(&self) -> &Capture {
        &self.capture
    }
}

impl<S: Read> Read for Recording<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.capture.received(self.end, &buf[..n]);
        Ok(n)
    }
}

impl<S: Write> Write for Recording<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let started = now_us();
        let n = self.inner.write(buf)?;
        self.capture.sent(self.end, &buf[..n], started);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Payload per synthesized segment: well inside IPv4's 64 KiB limit.
const MAX_SEGMENT: usize = 16 * 1024;

/// pcapng blocks are padded to four bytes; the total length appears at
/// both ends.
fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(body);
    out.resize(out.len() + padded - body.len(), 0);
    out.extend_from_slice(&total.to_le_bytes());
}

fn section_header(out: &mut Vec<u8>) {
    let mut body = Vec::new();
    body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&(-1i64).to_le_bytes());
    block(out, SECTION_HEADER_TYPE, &body);
}

/// The Section Header Block's type, which opens every pcapng file (the
/// same bytes in either byte order).
const SECTION_HEADER_TYPE: u32 = 0x0A0D_0D0A;

/// LINKTYPE_RAW: each packet starts with its IPv4 or IPv6 header.
const LINKTYPE_RAW: u16 = 101;

fn interface(out: &mut Vec<u8>) {
    let mut body = Vec::new();
    body.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    block(out, 1, &body);
}

/// A Decryption Secrets Block of type TLS key log ("TLSK").
fn decryption_secrets(out: &mut Vec<u8>, keylog: &[u8]) {
    let mut body = Vec::new();
    body.extend_from_slice(&0x544C_534Bu32.to_le_bytes());
    body.extend_from_slice(&(keylog.len() as u32).to_le_bytes());
    body.extend_from_slice(keylog);
    block(out, 0x0000_000A, &body);
}

fn enhanced_packet(out: &mut Vec<u8>, at_us: u64, packet: &[u8]) {
    let mut body = Vec::new();
    body.extend_from_slice(&0u32.to_le_bytes());
    body.extend_from_slice(&((at_us >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(at_us as u32).to_le_bytes());
    body.extend_from_slice(&(packet.len() as u32).to_le_bytes());
    body.extend_from_slice(&(packet.len() as u32).to_le_bytes());
    body.extend_from_slice(packet);
    block(out, 6, &body);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record read as header and body is one segment; a write, a read
    /// after one, or a read long after the last starts another.
    #[test]
    fn reads_back_to_back_join_one_segment() {
        let any = "127.0.0.1:1".parse().expect("address");
        let c = Capture::new(any, any);
        // (time in µs, from the client, read by this end, length)
        let pushes = [
            (0, false, true, 5),
            (10, false, true, 4),
            (20, true, false, 5),
            (30, true, false, 2),
            (40, false, true, 5),
            (40 + JOIN_READS_US + 1, false, true, 2),
        ];
        for (at, from_client, read, len) in pushes {
            c.push_at(at, from_client, read, &vec![0; len]);
        }
        let s = c.lock();
        let shape: Vec<(u64, bool, usize)> = s
            .segments
            .iter()
            .map(|g| (g.at, g.from_client, g.bytes.len()))
            .collect();
        let late = 40 + JOIN_READS_US + 1;
        assert_eq!(
            shape,
            [
                (0, false, 9),
                (20, true, 5),
                (30, true, 2),
                (40, false, 5),
                (late, false, 2)
            ]
        );
    }

    /// Past the bound nothing more is kept, either way, and what was left
    /// out is counted.
    #[test]
    fn a_connection_past_the_bound_is_cut_there() {
        let any = "127.0.0.1:1".parse().expect("address");
        let c = Capture::new(any, any);
        let half = vec![0; KEPT_AT_MOST / 2];
        c.push_at(0, false, true, &half);
        c.push_at(5_000, true, false, &half);
        c.push_at(10_000, false, true, &[0; 10]);
        c.push_at(15_000, true, false, &[0; 3]);
        assert_eq!(c.bytes(), (KEPT_AT_MOST / 2, KEPT_AT_MOST / 2));
        assert_eq!(c.left_out(), 13);
    }

    #[test]
    fn blocks_are_padded_and_framed() {
        let mut out = Vec::new();
        block(&mut out, 6, &[1, 2, 3, 4, 5]);
        assert_eq!(out.len(), 12 + 8);
        assert_eq!(&out[4..8], &20u32.to_le_bytes());
        assert_eq!(&out[16..20], &20u32.to_le_bytes());
    }
}
