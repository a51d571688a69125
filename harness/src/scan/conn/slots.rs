//! A counting semaphore: at most `--jobs` probes connected at once.

use std::sync::{Condvar, Mutex};

/// A counting semaphore: at most `n` connections at once.
pub(super) struct Slots {
    free: Mutex<usize>,
    cv: Condvar,
}

pub(super) struct Slot<'a>(&'a Slots);

impl Slots {
    pub(super) fn new(n: usize) -> Self {
        Slots {
            free: Mutex::new(n),
            cv: Condvar::new(),
        }
    }

    pub(super) fn take(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.0.cv.notify_one();
    }
}
