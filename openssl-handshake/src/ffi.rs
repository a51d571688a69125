//! Safe wrappers over the getters in [`crate::sys`] and the few
//! `openssl-sys` functions that the `openssl` crate does not wrap.
//!
//! Each takes an `openssl` reference type, so the pointer it passes on is
//! valid for the call by construction.
// The safe wrappers over raw OpenSSL calls: the crate's FFI boundary.
#![allow(unsafe_code)]

use std::borrow::Cow;
use std::ffi::CStr;
use std::ptr;

use foreign_types::{ForeignType, ForeignTypeRef};
use libc::{c_char, c_int};
use openssl::nid::Nid;
use openssl::ssl::{SslCipher, SslCipherRef, SslRef, SslSessionRef};
use openssl::stack::{Stack, StackRef};
use openssl::x509::{X509NameRef, X509Ref};

use crate::sys;
use crate::version::ProtocolVersion;

mod error_queue;
pub(crate) mod ssl_ex_index;
mod state_texts;

pub(crate) use error_queue::{alert_heard_reason, peek_error_reason, with_error_queue_aside};

pub(crate) use state_texts::{entered_state, seen_state, SeenState};

/// A string OpenSSL returns from its static tables.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that lives as long as
/// libssl stays loaded, which is the rest of the process: OpenSSL's state
/// and alert strings are literals in the library.
unsafe fn static_str(p: *const c_char) -> Cow<'static, str> {
    if p.is_null() {
        return Cow::Borrowed("");
    }
    // SAFETY: non-null and static per this function's contract.
    let s: &'static CStr = unsafe { CStr::from_ptr(p) };
    // OpenSSL's strings are ASCII; `to_str` checks that on its fast path,
    // where `to_string_lossy` was the costliest part of recording a state.
    match s.to_str() {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(s.to_string_lossy().into_owned()),
    }
}

/// A copy of a string OpenSSL returns that need not be static: a name in
/// a table that is loaded or extended at run time (error strings, object
/// names), or one the `SSL_CTX` owns (group names).
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that stays valid and
/// unchanged for the duration of this call.
unsafe fn copied_str(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-null and valid for this call per the contract; the
    // bytes are copied before it returns.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Whether `ssl` stands in `TLS_ST_EARLY_DATA`, where OpenSSL pauses a
/// TLS 1.3 handshake for early data.
pub(crate) fn early_data_pause(ssl: &SslRef) -> bool {
    crate::event::HandshakeState::from_running(state_raw(ssl)).name() == Some("TLS_ST_EARLY_DATA")
}

/// `SSL_get_state`'s raw value.
fn state_raw(ssl: &SslRef) -> u32 {
    // SAFETY: `ssl` is a live SSL for the duration of the call.
    unsafe { sys::SSL_get_state(ssl.as_ptr()) }
}

/// A string from one of libssl's static tables, kept as the pointer
/// OpenSSL returned so that recording it costs nothing; it becomes text
/// when the trace is read.
#[derive(Clone, Copy)]
pub(crate) struct StaticText(*const c_char);

// SAFETY: the pointer is null or points to a string literal in libssl
// (see `static_str`): immutable and alive for the rest of the process, so
// it may be shared with and sent to any thread.
unsafe impl Send for StaticText {}
// SAFETY: as above.
unsafe impl Sync for StaticText {}

impl StaticText {
    pub(crate) fn text(self) -> Cow<'static, str> {
        // SAFETY: only made in this module from OpenSSL's static strings.
        unsafe { static_str(self.0) }
    }
}

/// `SSL_state_string_long`, as a static pointer.
fn state_string_long(ssl: &SslRef) -> StaticText {
    // SAFETY: `ssl` is live; the function returns a static string.
    StaticText(unsafe { openssl_sys::SSL_state_string_long(ssl.as_ptr()) })
}

/// `SSL_state_string`, as a static pointer.
fn state_string_short(ssl: &SslRef) -> StaticText {
    // SAFETY: `ssl` is live; the function returns a static string.
    StaticText(unsafe { openssl_sys::SSL_state_string(ssl.as_ptr()) })
}

/// `SSL_alert_type_string_long` and `SSL_alert_desc_string_long` of the
/// value the info callback passes for an alert.
pub(crate) fn alert_strings(value: c_int) -> (Cow<'static, str>, Cow<'static, str>) {
    // SAFETY: both take any int and return static strings ("unknown" for
    // values they don't know).
    unsafe {
        (
            static_str(sys::SSL_alert_type_string_long(value)),
            static_str(sys::SSL_alert_desc_string_long(value)),
        )
    }
}

/// The suite of the handshake under way: `SSL_get_pending_cipher`, which
/// a client knows from the ServerHello on, before `SSL_get_current_cipher`
/// (the established session's) is set.
pub(crate) fn pending_cipher(ssl: &SslRef) -> Option<&SslCipherRef> {
    // SAFETY: `ssl` is live; the cipher is a static entry of libssl's
    // table (or null), valid as long as `ssl` is borrowed.
    unsafe {
        let cipher = sys::SSL_get_pending_cipher(ssl.as_ptr());
        (!cipher.is_null()).then(|| SslCipherRef::from_ptr(cipher as *mut _))
    }
}

/// Whether `cipher`'s key exchange uses a pre-shared key (PSK, DHE-PSK,
/// ECDHE-PSK, RSA-PSK suites; `SSL_CIPHER_get_kx_nid`).
pub(crate) fn psk_key_exchange(cipher: &SslCipherRef) -> bool {
    // SAFETY: the cipher is a live entry of libssl's table.
    let kx = unsafe { sys::SSL_CIPHER_get_kx_nid(cipher.as_ptr()) };
    matches!(
        kx,
        sys::NID_kx_psk | sys::NID_kx_dhe_psk | sys::NID_kx_ecdhe_psk | sys::NID_kx_rsa_psk
    )
}

/// `SSL_in_init`: whether a handshake is under way. Cheap (no lock), so
/// the message callback uses it to skip bulk-transfer records.
pub(crate) fn in_init(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` is live.
    unsafe { sys::SSL_in_init(ssl.as_ptr()) != 0 }
}

/// `SSL_renegotiate_pending`: a renegotiation was asked for and has not
/// finished. A server that has just sent a HelloRequest is told done by
/// OpenSSL with it still pending (a finished handshake clears it first).
pub(crate) fn renegotiate_pending(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` is live; the call only reads a flag.
    unsafe { sys::SSL_renegotiate_pending(ssl.as_ptr()) != 0 }
}

/// Whether the record layer is waiting for the rest of a record whose
/// header it read (`SSL_rstate_string` "RB"), rather than for the next
/// record's header.
pub(crate) fn reading_record_body(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` is live; SSL_rstate_string returns a static,
    // NUL-terminated string ("RH", "RB", "RD" or "unknown").
    let p = unsafe { sys::SSL_rstate_string(ssl.as_ptr()) }.cast::<u8>();
    if p.is_null() {
        return false;
    }
    // Byte by byte, stopping at the first that differs, so no read passes
    // the NUL: a would-block exit asks this, on the handshake's path.
    // SAFETY: each byte read is at or before the string's NUL, as every
    // earlier one matched a non-NUL byte of "RB".
    unsafe { *p == b'R' && *p.add(1) == b'B' && *p.add(2) == 0 }
}

/// `SSL_get_error` for a return value, without consuming the error queue.
pub(crate) fn error_code(ssl: &SslRef, ret: c_int) -> c_int {
    // SAFETY: `ssl` is live; SSL_get_error only reads state.
    unsafe { openssl_sys::SSL_get_error(ssl.as_ptr(), ret) }
}

/// `SSL_get_verify_result`.
pub(crate) fn verify_result(ssl: &SslRef) -> i32 {
    ssl.verify_result().as_raw()
}

/// The name this end checks its peer's certificate against: the first
/// host name set on its verify parameters, else the IP address. With no
/// address set, OpenSSL queues an error ("passed a null parameter"), which
/// the caller must not leave for the application (call it inside
/// [`with_error_queue_aside`]).
pub(crate) fn expected_name(ssl: &SslRef) -> Option<String> {
    // SAFETY: the SSL is live; its parameters live as long as it does.
    let param = unsafe { openssl_sys::SSL_get0_param(ssl.as_ptr()) };
    if param.is_null() {
        return None;
    }
    // SAFETY: `param` is valid; get0_host returns a string the parameters
    // own (or null), copied before anything can change them.
    let host = unsafe { sys::X509_VERIFY_PARAM_get0_host(param, 0) };
    if !host.is_null() {
        // SAFETY: a NUL-terminated string, checked non-null.
        return Some(
            unsafe { CStr::from_ptr(host) }
                .to_string_lossy()
                .into_owned(),
        );
    }
    // SAFETY: `param` is valid; get1_ip_asc returns a fresh string (or
    // null) that the caller frees with OPENSSL_free.
    let ip = unsafe { sys::X509_VERIFY_PARAM_get1_ip_asc(param) };
    if ip.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string, checked non-null, freed once after
    // being copied.
    unsafe {
        let text = CStr::from_ptr(ip).to_string_lossy().into_owned();
        openssl_sys::OPENSSL_free(ip.cast());
        Some(text)
    }
}

/// `X509_verify_cert_error_string`: the text of a verify code.
pub(crate) fn verify_error_string(code: i32) -> String {
    // SAFETY: takes any value and returns a string literal (OpenSSL 3
    // answers an unknown code with "unknown certificate verification
    // error"), copied at once.
    unsafe {
        copied_str(openssl_sys::X509_verify_cert_error_string(
            libc::c_long::from(code),
        ))
    }
}

/// `SSL_get_negotiated_group` named by `SSL_group_to_name` ("x25519",
/// "secp256r1", "ffdhe2048"...).
pub(crate) fn negotiated_group(ssl: &SslRef) -> Option<String> {
    // OpenSSL 3.0's ctrl reads `s->session->kex_group` without a null
    // check, and a server whose client left after a HelloRetryRequest has
    // no session: asking then would crash the process.
    ssl.session()?;
    // SAFETY: `ssl` is live and has a session (checked above); the ctrl
    // takes no pointer argument, and the name (null, or a string the
    // SSL's context owns, which outlives the call) is copied at once.
    unsafe {
        let nid = openssl_sys::SSL_ctrl(
            ssl.as_ptr(),
            sys::SSL_CTRL_GET_NEGOTIATED_GROUP,
            0,
            ptr::null_mut(),
        );
        if nid <= 0 {
            return None;
        }
        let name = sys::SSL_group_to_name(ssl.as_ptr(), nid as c_int);
        if name.is_null() {
            return Some(format!("group {nid}"));
        }
        Some(copied_str(name))
    }
}

/// The peer's signature: key type NID and digest NID.
pub(crate) fn peer_signature_nids(ssl: &SslRef) -> Option<(Nid, Option<Nid>)> {
    let mut type_nid: c_int = 0;
    let mut hash_nid: c_int = 0;
    // SAFETY: `ssl` is live and both out-pointers point to local ints.
    let (have_type, have_hash) = unsafe {
        (
            sys::SSL_get_peer_signature_type_nid(ssl.as_ptr(), &mut type_nid),
            openssl_sys::SSL_ctrl(
                ssl.as_ptr(),
                sys::SSL_CTRL_GET_PEER_SIGNATURE_NID,
                0,
                (&mut hash_nid as *mut c_int).cast(),
            ),
        )
    };
    if have_type <= 0 || type_nid == 0 {
        return None;
    }
    let hash = (have_hash > 0 && hash_nid != 0).then(|| Nid::from_raw(hash_nid));
    Some((Nid::from_raw(type_nid), hash))
}

/// `SSL_SESSION_has_ticket`.
pub(crate) fn session_has_ticket(session: &SslSessionRef) -> bool {
    // SAFETY: the session is live.
    unsafe { sys::SSL_SESSION_has_ticket(session.as_ptr()) != 0 }
}

/// Bytes written to and read from the connection's BIOs so far.
pub(crate) fn bytes_sent_received(ssl: &SslRef) -> (u64, u64) {
    // SAFETY: `ssl` is live; its BIOs are null before they are set, which
    // is checked, and live while the SSL owns them.
    unsafe {
        let wbio = openssl_sys::SSL_get_wbio(ssl.as_ptr());
        let rbio = openssl_sys::SSL_get_rbio(ssl.as_ptr());
        let sent = if wbio.is_null() {
            0
        } else {
            sys::BIO_number_written(wbio)
        };
        let received = if rbio.is_null() {
            0
        } else {
            sys::BIO_number_read(rbio)
        };
        (sent, received)
    }
}

/// Whether OpenSSL's purpose check lets `cert` identify a TLS server
/// (`server`) or a TLS client: its key usage, extended key usage and
/// Netscape certificate type, read as a verifier reads an end-entity
/// certificate.
pub(crate) fn fit_for_tls(cert: &X509Ref, server: bool) -> bool {
    let purpose = if server {
        openssl_sys::X509_PURPOSE_SSL_SERVER
    } else {
        openssl_sys::X509_PURPOSE_SSL_CLIENT
    };
    // SAFETY: `cert` is live. The check takes a mutable pointer only to
    // cache the parsed extensions, which OpenSSL does under its own lock,
    // as it does for every verification of a shared certificate.
    unsafe { sys::X509_check_purpose(cert.as_ptr(), purpose, 0) == 1 }
}

/// The key usage and extended key usage bits OpenSSL reads from `cert`
/// (`X509v3_KU_*`, `XKU_*`), each `None` without its extension.
pub(crate) fn usages(cert: &X509Ref) -> (Option<u32>, Option<u32>) {
    // SAFETY: as in `fit_for_tls`: the getters only fill OpenSSL's cache
    // of the certificate's extensions. Each returns UINT32_MAX when the
    // extension is absent.
    let (ku, xku) = unsafe {
        (
            openssl_sys::X509_get_key_usage(cert.as_ptr()),
            openssl_sys::X509_get_extended_key_usage(cert.as_ptr()),
        )
    };
    let present = |bits: u32| (bits != u32::MAX).then_some(bits);
    (present(ku), present(xku))
}

/// The extensions of a certificate: (name, critical), in order.
pub(crate) fn extensions(cert: &X509Ref) -> Vec<(String, bool)> {
    // SAFETY: `cert` is live; each extension pointer is owned by the
    // certificate and used only within this call; names are copied from
    // OpenSSL's object table.
    unsafe {
        let count = openssl_sys::X509_get_ext_count(cert.as_ptr());
        (0..count.max(0))
            .filter_map(|i| {
                let ext = openssl_sys::X509_get_ext(cert.as_ptr(), i);
                if ext.is_null() {
                    return None;
                }
                let obj = openssl_sys::X509_EXTENSION_get_object(ext);
                let nid = openssl_sys::OBJ_obj2nid(obj);
                let name = if nid != 0 {
                    copied_str(openssl_sys::OBJ_nid2ln(nid))
                } else {
                    let mut buf = [0 as c_char; 80];
                    let n = openssl_sys::OBJ_obj2txt(buf.as_mut_ptr(), buf.len() as c_int, obj, 1);
                    if n <= 0 {
                        "unknown".to_owned()
                    } else {
                        CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
                    }
                };
                let critical = openssl_sys::X509_EXTENSION_get_critical(ext) > 0;
                Some((name, critical))
            })
            .collect()
    }
}

/// `SSL_get_min_proto_version` and `SSL_get_max_proto_version`: the
/// configured bounds, 0 where none is set.
pub(crate) fn proto_version_bounds(ssl: &SslRef) -> (c_int, c_int) {
    // SAFETY: `ssl` is live; both are SSL_ctrl reads without a pointer
    // argument.
    unsafe {
        (
            openssl_sys::SSL_get_min_proto_version(ssl.as_ptr()),
            openssl_sys::SSL_get_max_proto_version(ssl.as_ptr()),
        )
    }
}

/// The versions `ssl`'s options switch off (`SSL_OP_NO_TLSv1` and the
/// like), lowest first.
pub(crate) fn disabled_versions(ssl: &SslRef) -> Vec<u16> {
    // SAFETY: `ssl` is live; SSL_get_options only reads its option bits.
    let options = unsafe { sys::SSL_get_options(ssl.as_ptr()) };
    [
        (sys::SSL_OP_NO_SSLv3, 0x0300),
        (sys::SSL_OP_NO_TLSv1, 0x0301),
        (sys::SSL_OP_NO_TLSv1_1, 0x0302),
        (sys::SSL_OP_NO_TLSv1_2, 0x0303),
        (sys::SSL_OP_NO_TLSv1_3, 0x0304),
    ]
    .into_iter()
    .filter(|(bit, _)| options & bit != 0)
    .map(|(_, version)| version)
    .collect()
}

/// One suite of a cipher list: its two-byte id, OpenSSL name and IANA
/// name.
/// A suite's id, OpenSSL name, IANA name and lowest version.
pub(crate) type CipherEntry = (u16, String, Option<String>, Option<u16>);

/// `SSL_get_ciphers`: the suites this `SSL` is configured with, in
/// preference order, before any filtering by version or security level.
pub(crate) fn configured_ciphers(ssl: &SslRef) -> Vec<CipherEntry> {
    // SAFETY: `ssl` is live; the stack belongs to it and is only read
    // here, within the borrow of `ssl`.
    unsafe {
        let stack = sys::SSL_get_ciphers(ssl.as_ptr());
        if stack.is_null() {
            return Vec::new();
        }
        cipher_entries(StackRef::<SslCipher>::from_ptr(stack))
    }
}

/// `SSL_get1_supported_ciphers`: the suites left once the version range,
/// the security level and the signature algorithms are applied.
///
/// It recomputes the connection's disabled-algorithm masks, so it is only
/// called once a handshake has failed, from the callback that reports it.
pub(crate) fn supported_ciphers(ssl: &SslRef) -> Vec<CipherEntry> {
    // SAFETY: `ssl` is live and, inside its own callback, used by this
    // thread alone; the returned stack is new and owned here (its
    // elements are static), so `Stack` frees it.
    unsafe {
        let stack = sys::SSL_get1_supported_ciphers(ssl.as_ptr());
        if stack.is_null() {
            return Vec::new();
        }
        let owned = Stack::<SslCipher>::from_ptr(stack);
        cipher_entries(&owned)
    }
}

fn cipher_entries(stack: &StackRef<SslCipher>) -> Vec<CipherEntry> {
    stack
        .iter()
        .map(|c| {
            (
                u16::from_be_bytes(c.protocol_id()),
                c.name().to_owned(),
                c.standard_name().map(str::to_owned),
                // SSL_CIPHER_get_version names the lowest version the
                // suite can be used with.
                ProtocolVersion::from_name(c.version()).map(ProtocolVersion::wire),
            )
        })
        .collect()
}

/// `name` as OpenSSL prints it with `X509_NAME_print_ex` and
/// `XN_FLAG_ONELINE`, the format of `openssl x509 -subject`, s_client and
/// `-trace`: `C = US, O = Example, CN = localhost`.
pub(crate) fn name_oneline(name: &X509NameRef) -> String {
    // SAFETY: the memory BIO is created, written and freed here; `name` is
    // live for the call; the data pointer BIO_get_mem_data returns stays
    // valid until the BIO is freed, and is copied out before that.
    unsafe {
        let bio = openssl_sys::BIO_new(openssl_sys::BIO_s_mem());
        if bio.is_null() {
            return String::new();
        }
        let printed = sys::X509_NAME_print_ex(bio, name.as_ptr(), 0, sys::XN_FLAG_ONELINE);
        let mut data: *mut c_char = ptr::null_mut();
        let len = openssl_sys::BIO_get_mem_data(bio, &mut data);
        let text = match usize::try_from(len) {
            Ok(len) if printed >= 0 && !data.is_null() => {
                String::from_utf8_lossy(std::slice::from_raw_parts(data.cast::<u8>(), len))
                    .into_owned()
            }
            _ => String::new(),
        };
        openssl_sys::BIO_free_all(bio);
        text
    }
}
