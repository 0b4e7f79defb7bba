//! Gives the C heap's free memory back to the system.
//!
//! The server's own allocations go through jemalloc, but SQLite (and the
//! other C code linked in) allocates through glibc's malloc, and `free` only
//! returns memory at the top of glibc's heap. `malloc_trim(0)` also releases
//! the free pages between live chunks.

/// Releases the free pages of every glibc arena; whether any came back.
/// Does nothing elsewhere (musl, macOS, Windows), whose allocators return
/// memory by themselves or have no such call.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() -> bool {
    // SAFETY: malloc_trim takes no pointers and serializes itself with every
    // other allocator call through glibc's own arena locks.
    unsafe { libc::malloc_trim(0) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn freed_holes_in_the_heap_go_back_to_the_system() {
        // 64 MB in 64 KB blocks (below glibc's mmap threshold, so in the
        // heap), every other one freed: holes that `free` cannot return,
        // since a live block sits above each.
        let blocks: Vec<Vec<u8>> = (0..1024).map(|i| vec![i as u8; 64 * 1024]).collect();
        let kept: Vec<Vec<u8>> = blocks.into_iter().step_by(2).collect();
        assert!(super::release_free_memory());
        assert!(kept.iter().enumerate().all(|(i, block)| block[0] == (2 * i) as u8));
    }
}
