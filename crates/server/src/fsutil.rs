//! Files the server keeps under its data directory (the SQLite database, the
//! master key file, later backups) are readable by the service account only:
//! the directory 0700, the files 0600. Whoever can read the database file
//! can read every customer's record.

use std::path::Path;

use anyhow::Context;

/// Creates `dir` (and its parents) if needed and makes it 0700.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        }
        restrict(dir, 0o700)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create data directory {}", dir.display()))?;
    Ok(())
}

/// Creates `file` empty with mode 0600 if it does not exist, and makes an
/// existing one 0600 (files left by earlier releases were 0644).
pub fn create_private_file(file: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if !file.exists() {
            let created = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(file);
            // Another process may have created it in between: fine, fix its mode below.
            if let Err(err) = created
                && !file.exists()
            {
                return Err(err).with_context(|| format!("cannot create {}", file.display()));
            }
        }
        restrict(file, 0o600)?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Makes an existing file or directory private if it is not already.
pub fn restrict_if_exists(path: &Path, mode: u32) -> anyhow::Result<()> {
    if path.exists() {
        restrict(path, mode)?;
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode()
        & 0o777;
    if current != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot make {} private (mode {mode:o})", path.display()))?;
        tracing::info!(path = %path.display(), from = format!("{current:o}"), to = format!("{mode:o}"), "made private");
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn a_new_data_directory_and_file_are_private_and_old_wide_ones_are_narrowed() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/data");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("opcms.db");
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private_dir(&dir).unwrap();
        create_private_file(&file).unwrap();
        assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
    }
}
