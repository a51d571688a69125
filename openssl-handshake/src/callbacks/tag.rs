//! The application's name for a connection (`SslRefExt::set_trace_tag`),
//! carried into its trace so that a hook shared by a context's
//! connections can tell them apart.
//!
//! The tag is kept in the `SSL`'s own ex_data slot, as it is usually set
//! before the first callback has made the recorder; a recorder made or
//! replaced later copies it from there. Until some connection is tagged
//! the slot does not exist, so untagged connections pay nothing for it.

use std::sync::OnceLock;

use openssl::ex_data::Index;
use openssl::ssl::{Ssl, SslRef};

use crate::error::Error;

static TAG_INDEX: OnceLock<Result<Index<Ssl, String>, Error>> = OnceLock::new();

/// Names `ssl`'s connection in its trace, now and in any trace begun
/// later on it.
pub(crate) fn set(ssl: &mut SslRef, tag: String) -> Result<(), Error> {
    let index = TAG_INDEX
        .get_or_init(|| crate::ffi::ssl_ex_index::new().map_err(Error::ExDataIndex))
        .clone()?;
    // Through a guard, not `ex_data_mut`: the message callback's argument
    // points at the recorder, and a `&mut` to it would invalidate that.
    let recorder = super::installed_index().and_then(|i| ssl.ex_data(i));
    if let Some(mut state) = recorder.and_then(|r| r.write()) {
        state.tag = Some(tag.clone());
    }
    ssl.set_ex_data(index, tag);
    Ok(())
}

/// The tag set on `ssl`, if any.
pub(super) fn of(ssl: &SslRef) -> Option<String> {
    let Some(Ok(index)) = TAG_INDEX.get() else {
        return None;
    };
    ssl.ex_data(*index).cloned()
}
