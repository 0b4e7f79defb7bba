//! Gives the C heap's free memory back to the system.
//!
//! SQLite allocates through glibc's malloc (the Rust side uses jemalloc):
//! its sorts, temporary b-trees and page-cache pages are freed after each
//! query, but `free` only returns memory at the top of the heap, and the
//! heap of eight connections running 100,000-row queries is full of free
//! holes between live chunks. Under the 500-user load mix that held about
//! 600 MB of the server's 700 MB RSS; one `malloc_trim(0)`, which releases
//! the free pages anywhere in the heap, brought it to about 110 MB
//! (docs/performance.md, part 6). So a task trims every few seconds.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Between trims: often enough that a burst of big queries does not stay
/// resident for long, rarely enough that the pages released are not faulted
/// straight back in by the next query.
const EVERY: Duration = Duration::from_secs(2);

/// Trims the C heap every [`EVERY`] until `stopped`; None where the C
/// library has no `malloc_trim` (anything but glibc).
pub fn spawn_trimming(mut stopped: watch::Receiver<bool>) -> Option<JoinHandle<()>> {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.wait_for(|stop| *stop) => return,
            }
            // It walks the heap under glibc's lock: not on a runtime thread.
            let _ = tokio::task::spawn_blocking(opcms_heap::release_free_memory).await;
        }
    }))
}
