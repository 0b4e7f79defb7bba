//! Temporary and partial files that must not outlive a failed backup.

/// Files to remove unless the work that writes them completes: a stopped
/// backup leaves no partial archive and no temporary table file behind.
pub(super) struct Cleanup(Vec<std::path::PathBuf>);

impl Cleanup {
    pub fn new() -> Cleanup {
        Cleanup(Vec::new())
    }

    pub fn add(&mut self, path: std::path::PathBuf) {
        self.0.push(path);
    }

    pub fn disarm(mut self) {
        self.0.clear();
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}
