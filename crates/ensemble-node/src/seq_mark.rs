//! The seq mark, `DIR/last-seq`: the highest seq this school's key has signed, kept
//! outside the store so that losing the store cannot make the node sign a seq twice.
//!
//! The publish path raises it after the store has flushed a new own record and before
//! the record is published: a crash between the two leaves the mark one behind the
//! store (harmless, the store's own log wins), never ahead of what the store held when
//! it was sound. A store that holds less of our log than the mark has lost records.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::data_dir;

/// File name of the seq mark in the data directory.
pub const SEQ_MARK_FILE: &str = "last-seq";

/// The mark of one data directory, as last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeqMark {
    dir: PathBuf,
    signed: u64,
}

impl SeqMark {
    /// Reads `DIR/last-seq`; a missing file is 0 (nothing signed yet, or a data
    /// directory from before the mark existed).
    pub fn load(dir: &Path) -> Result<SeqMark, data_dir::Error> {
        let path = dir.join(SEQ_MARK_FILE);
        let signed = match fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|error| data_dir::Error::Io {
                    path: path.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, error),
                })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => 0,
            Err(source) => return Err(data_dir::Error::Io { path, source }),
        };
        Ok(SeqMark {
            dir: dir.to_path_buf(),
            signed,
        })
    }

    /// The highest seq signed.
    pub fn signed(&self) -> u64 {
        self.signed
    }

    /// Raises the mark to `seq` (durably) when it is higher; never lowers it.
    pub fn raise(&mut self, seq: u64) -> Result<(), data_dir::Error> {
        if seq <= self.signed {
            return Ok(());
        }
        write_atomically(&self.dir.join(SEQ_MARK_FILE), format!("{seq}\n").as_bytes())?;
        self.signed = seq;
        Ok(())
    }
}

/// Replaces `path` with `contents` so that a crash leaves the old or the new file,
/// never a torn one: write a temporary file, fsync it, rename it over, fsync the
/// directory (the rename itself is durable only then).
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), data_dir::Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| data_dir::Error::Io { path, source }
    };
    let temporary = path.with_extension("tmp");
    {
        let mut file = fs::File::create(&temporary).map_err(io(&temporary))?;
        file.write_all(contents).map_err(io(&temporary))?;
        file.sync_all().map_err(io(&temporary))?;
    }
    fs::rename(&temporary, path).map_err(io(path))?;
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        fs::File::open(parent)
            .and_then(|directory| directory.sync_all())
            .map_err(io(parent))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_starts_at_zero_only_rises_and_survives_reload() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut mark = SeqMark::load(dir.path()).expect("load");
        assert_eq!(mark.signed(), 0);
        mark.raise(21).expect("raise");
        mark.raise(7).expect("a lower seq is ignored");
        assert_eq!(mark.signed(), 21);
        assert_eq!(SeqMark::load(dir.path()).expect("reload").signed(), 21);
        assert_eq!(
            fs::read_to_string(dir.path().join(SEQ_MARK_FILE)).expect("read"),
            "21\n"
        );
        assert!(
            !dir.path().join("last-seq.tmp").exists(),
            "the temporary file is renamed over the mark"
        );
    }

    #[test]
    fn a_torn_temporary_file_leaves_the_mark_intact() {
        let dir = tempfile::tempdir().expect("temp dir");
        SeqMark::load(dir.path())
            .expect("load")
            .raise(5)
            .expect("raise");
        // A crash after writing the temporary file but before the rename.
        fs::write(dir.path().join("last-seq.tmp"), "9").expect("write");
        assert_eq!(SeqMark::load(dir.path()).expect("reload").signed(), 5);
    }

    #[test]
    fn an_unreadable_mark_is_an_error_not_zero() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join(SEQ_MARK_FILE), "garbage").expect("write");
        assert!(SeqMark::load(dir.path()).is_err(), "zero would allow reuse");
    }
}
