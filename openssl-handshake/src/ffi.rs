//! Safe wrappers over the getters in [`crate::sys`] and the few
//! `openssl-sys` functions that the `openssl` crate does not wrap.
//!
//! Each takes an `openssl` reference type, so the pointer it passes on is
//! valid for the call by construction.

use std::borrow::Cow;
use std::ffi::CStr;
use std::ptr;

use foreign_types::ForeignTypeRef;
use libc::{c_char, c_int};
use openssl::nid::Nid;
use openssl::ssl::{SslRef, SslSessionRef};
use openssl::x509::{X509NameRef, X509Ref};

use crate::event::HandshakeState;
use crate::sys;

/// A string OpenSSL returns from its static tables.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that lives as long as
/// libssl stays loaded, which is the rest of the process: OpenSSL's state,
/// alert and error strings are literals in the library.
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

/// `SSL_get_state`.
pub(crate) fn state(ssl: &SslRef) -> HandshakeState {
    // SAFETY: `ssl` is a live SSL for the duration of the call.
    HandshakeState(unsafe { sys::SSL_get_state(ssl.as_ptr()) })
}

/// `SSL_state_string_long` and `SSL_state_string`.
pub(crate) fn state_strings(ssl: &SslRef) -> (Cow<'static, str>, Cow<'static, str>) {
    // SAFETY: `ssl` is live; both functions return static strings.
    unsafe {
        (
            static_str(openssl_sys::SSL_state_string_long(ssl.as_ptr())),
            static_str(openssl_sys::SSL_state_string(ssl.as_ptr())),
        )
    }
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

/// `SSL_in_init`: whether a handshake is under way. Cheap (no lock), so
/// the message callback uses it to skip bulk-transfer records.
pub(crate) fn in_init(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` is live.
    unsafe { sys::SSL_in_init(ssl.as_ptr()) != 0 }
}

/// `SSL_get_error` for a return value, without consuming the error queue.
pub(crate) fn error_code(ssl: &SslRef, ret: c_int) -> c_int {
    // SAFETY: `ssl` is live; SSL_get_error only reads state.
    unsafe { openssl_sys::SSL_get_error(ssl.as_ptr(), ret) }
}

/// The reason of the newest entry in OpenSSL's error queue, left in the
/// queue for the caller of `SSL_connect`/`SSL_accept` to see.
pub(crate) fn peek_error_reason() -> String {
    // SAFETY: peeking reads the thread's queue without changing it; the
    // reason string is static.
    unsafe {
        let code = openssl_sys::ERR_peek_last_error();
        if code == 0 {
            return String::new();
        }
        static_str(openssl_sys::ERR_reason_error_string(code)).into_owned()
    }
}

/// `SSL_get_verify_result`.
pub(crate) fn verify_result(ssl: &SslRef) -> i32 {
    ssl.verify_result().as_raw()
}

/// `X509_verify_cert_error_string`: the text of a verify code.
pub(crate) fn verify_error_string(code: i32) -> String {
    // SAFETY: takes any value and returns a static string (a generic
    // "error number N" text, from a static buffer, for unknown codes).
    unsafe {
        static_str(openssl_sys::X509_verify_cert_error_string(
            libc::c_long::from(code),
        ))
        .into_owned()
    }
}

/// `SSL_get_negotiated_group` named by `SSL_group_to_name` ("x25519",
/// "secp256r1", "ffdhe2048"...).
pub(crate) fn negotiated_group(ssl: &SslRef) -> Option<String> {
    // SAFETY: `ssl` is live; the ctrl takes no pointer argument and the
    // name is a static string or null.
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
        Some(static_str(name).into_owned())
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

/// Offers `session` for resumption on the next handshake of `ssl`
/// (`SSL_set_session`).
///
/// The `openssl` crate marks its `set_session` unsafe because a session
/// should come from the same context. OpenSSL itself needs no such
/// promise for memory safety: it takes its own reference to the session,
/// and a server that did not issue it just makes a full handshake. So this
/// wrapper is safe; a session from elsewhere simply does not resume.
pub fn set_session(
    ssl: &mut SslRef,
    session: &SslSessionRef,
) -> Result<(), openssl::error::ErrorStack> {
    // SAFETY: both pointers are live; SSL_set_session up-refs the session
    // and releases the one it replaces.
    if unsafe { openssl_sys::SSL_set_session(ssl.as_ptr(), session.as_ptr()) } > 0 {
        Ok(())
    } else {
        Err(openssl::error::ErrorStack::get())
    }
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

/// The extensions of a certificate: (name, critical), in order.
pub(crate) fn extensions(cert: &X509Ref) -> Vec<(String, bool)> {
    // SAFETY: `cert` is live; each extension pointer is owned by the
    // certificate and used only within this call; names are static.
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
                    static_str(openssl_sys::OBJ_nid2ln(nid)).into_owned()
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
