//! Reading a descriptor this process inherited (`--pass fd:N`, as
//! `openssl -pass fd:N` reads it), which std takes only in unsafe code,
//! since it cannot know that N is open.

use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// A copy of descriptor `fd` (`dup`), sharing its file offset, owned by
/// the caller; fails with EBADF when no descriptor `fd` is open. Reading
/// the copy moves the original's offset too, as OpenSSL's read of the
/// descriptor itself would.
pub fn duplicate(fd: u32) -> io::Result<File> {
    let fd = i32::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) may be asked of any number: it fails
    // with EBADF when `fd` is not open, and leaves the original as it is.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `copy` was just made by fcntl, is open, and nothing else
    // owns it.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(copy) }))
}
