//! The data directory: the school key, the API token, the config file, the store, the
//! search index and the runtime file `node.json`.
//!
//! ```text
//! DIR/school.key   32-byte ed25519 seed, mode 0600: the school's identity. Back it up.
//! DIR/api-token    bearer token for write calls, mode 0600
//! DIR/config.toml  commented configuration
//! DIR/store/       sled database
//! DIR/last-seq     the highest seq the school's key has signed (`crate::seq_mark`)
//! DIR/store.manifest  the store's counts at the last clean stop (`crate::recovery`)
//! DIR/node.json    written while the node serves: API address, listen addrs, pid
//! ```
//!
//! On a packaged install the directory (`/var/lib/ensemble`) belongs to the service's
//! own user while the administrator runs `ensemble init` as root: what `init` creates
//! then takes the owner of the directory it is created in, so the service can read its
//! key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ensemble_core::SchoolKey;
use serde::{Deserialize, Serialize};

/// Key file name.
pub const KEY_FILE: &str = "school.key";
/// Token file name.
pub const TOKEN_FILE: &str = "api-token";
/// Config file name.
pub const CONFIG_FILE: &str = "config.toml";
/// Runtime file name.
pub const NODE_FILE: &str = "node.json";
/// Store directory name.
pub const STORE_DIR: &str = "store";

/// Data directory errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Refusing to overwrite an identity.
    #[error(
        "{0} already holds a school identity; pass --force to replace it (the old key is lost)"
    )]
    Exists(PathBuf),
    /// No identity in the directory.
    #[error("{0} has no school identity: run `ensemble init --data-dir {0}` first")]
    NotInitialised(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key file is damaged.
    #[error("{path}: {message}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The random source failed.
    #[error("cannot generate a key: {0}")]
    Random(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a file readable by its owner only, replacing it atomically.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let temporary = path.with_extension("tmp");
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(io(&temporary))?;
        file.write_all(contents).map_err(io(&temporary))?;
        file.sync_all().map_err(io(&temporary))?;
    }
    fs::rename(&temporary, path).map_err(io(path))
}

/// What `init` created.
#[derive(Debug, Clone)]
pub struct Initialised {
    /// The new key.
    pub key: SchoolKey,
    /// The API token.
    pub token: String,
}

/// Creates a data directory with a new school key, an API token and, when given,
/// `DIR/config.toml` holding `config_text`.
///
/// Run by root inside a directory another user owns (the packaged
/// `/var/lib/ensemble`, owned by the `ensemble` user), everything it creates is given
/// to that user; the key stays mode 0600.
pub fn init(dir: &Path, config_text: Option<&str>, force: bool) -> Result<Initialised, Error> {
    let key_path = dir.join(KEY_FILE);
    if key_path.exists() && !force {
        return Err(Error::Exists(dir.to_path_buf()));
    }
    let owner = inherited_owner(dir);
    let mut created: Vec<PathBuf> = missing_ancestors(dir);
    fs::create_dir_all(dir).map_err(io(dir))?;
    let key = SchoolKey::generate().map_err(|error| Error::Random(error.to_string()))?;
    let token = new_token()?;
    write_private(&key_path, &key.seed())?;
    created.push(key_path);
    let token_path = dir.join(TOKEN_FILE);
    write_private(&token_path, token.as_bytes())?;
    created.push(token_path);
    if let Some(config_text) = config_text {
        let config_path = dir.join(CONFIG_FILE);
        fs::write(&config_path, config_text).map_err(io(&config_path))?;
        created.push(config_path);
    }
    if let Some(owner) = owner {
        for path in &created {
            owner.apply(path)?;
        }
    }
    Ok(Initialised { key, token })
}

/// A file owner: user and group ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    uid: u32,
    gid: u32,
}

impl Owner {
    #[cfg(unix)]
    fn apply(self, path: &Path) -> Result<(), Error> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid)).map_err(io(path))
    }

    #[cfg(not(unix))]
    fn apply(self, _path: &Path) -> Result<(), Error> {
        Ok(())
    }
}

/// The owner that what `init` creates under `dir` should get: when root creates it in
/// a directory (`dir` itself or its nearest existing ancestor) that belongs to another
/// user. `None` otherwise: files then belong to whoever runs `init`, as usual.
#[cfg(unix)]
fn inherited_owner(dir: &Path) -> Option<Owner> {
    use std::os::unix::fs::MetadataExt;
    if !rustix::process::geteuid().is_root() {
        return None;
    }
    let existing = dir
        .ancestors()
        .map(|path| {
            // A relative path's last ancestor is "": the working directory.
            if path.as_os_str().is_empty() {
                Path::new(".")
            } else {
                path
            }
        })
        .find(|path| path.exists())?;
    let metadata = fs::metadata(existing).ok()?;
    (metadata.uid() != 0).then(|| Owner {
        uid: metadata.uid(),
        gid: metadata.gid(),
    })
}

#[cfg(not(unix))]
fn inherited_owner(_dir: &Path) -> Option<Owner> {
    None
}

/// The directories `create_dir_all(dir)` is about to create, outermost first.
fn missing_ancestors(dir: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|path| !path.as_os_str().is_empty() && !path.exists())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

/// A 256-bit random token in hex.
fn new_token() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| Error::Random(error.to_string()))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Reads the school key.
pub fn load_key(dir: &Path) -> Result<SchoolKey, Error> {
    let path = dir.join(KEY_FILE);
    if !path.exists() {
        return Err(Error::NotInitialised(dir.to_path_buf()));
    }
    let bytes = fs::read(&path).map_err(io(&path))?;
    SchoolKey::from_bytes(&bytes).map_err(|error| Error::BadKey {
        path,
        message: error.to_string(),
    })
}

/// Reads the API token.
pub fn load_token(dir: &Path) -> Result<String, Error> {
    let path = dir.join(TOKEN_FILE);
    if !path.exists() {
        return Err(Error::NotInitialised(dir.to_path_buf()));
    }
    Ok(fs::read_to_string(&path)
        .map_err(io(&path))?
        .trim()
        .to_string())
}

/// `node.json`: how scripts and the CLI find a running node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeFile {
    /// Base URL of the HTTP API, e.g. `http://127.0.0.1:4780`.
    pub api: String,
    /// Full listen multiaddrs ending in `/p2p/<peer id>`.
    pub listen: Vec<String>,
    /// The libp2p peer id.
    pub peer_id: String,
    /// The school id.
    pub school_id: String,
    /// The process id.
    pub pid: u32,
}

impl NodeFile {
    /// Writes `DIR/node.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join(NODE_FILE);
        let temporary = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        fs::write(&temporary, text).map_err(io(&temporary))?;
        fs::rename(&temporary, &path).map_err(io(&path))
    }

    /// Reads `DIR/node.json`; `None` when the node is not running.
    pub fn read(dir: &Path) -> Result<Option<NodeFile>, Error> {
        let path = dir.join(NODE_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|error| Error::Io {
                    path,
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, error),
                }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    /// Removes `DIR/node.json` (at shutdown).
    pub fn remove(dir: &Path) {
        let _ = fs::remove_file(dir.join(NODE_FILE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_a_private_key_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().expect("temp dir");
        let created = init(dir.path(), Some("[school]\n"), false).expect("init");
        let key = load_key(dir.path()).expect("load");
        assert_eq!(key.school_id(), created.key.school_id());
        assert_eq!(load_token(dir.path()).expect("token"), created.token);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(KEY_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            init(dir.path(), None, false),
            Err(Error::Exists(_))
        ));
        let replaced = init(dir.path(), None, true).expect("forced");
        assert_ne!(replaced.key.school_id(), created.key.school_id());
    }

    /// Root running `init` inside a directory another user owns (the packaged
    /// `/var/lib/ensemble`) hands every new file and directory to that user.
    #[cfg(unix)]
    #[test]
    fn init_by_root_gives_new_files_the_owner_of_the_directory() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if !rustix::process::geteuid().is_root() {
            eprintln!("SKIPPED: needs root to create files for another user");
            return;
        }
        /// An id no account on a test machine uses, standing for the service's user.
        const SERVICE_ID: u32 = 64_123;
        let temp = tempfile::tempdir().expect("temp dir");
        let state = temp.path().join("state");
        fs::create_dir(&state).expect("state dir");
        std::os::unix::fs::chown(&state, Some(SERVICE_ID), Some(SERVICE_ID)).expect("chown");
        let dir = state.join("school").join("node");
        init(&dir, Some("[school]\n"), false).expect("init");
        for path in [
            state.join("school"),
            dir.clone(),
            dir.join(KEY_FILE),
            dir.join(TOKEN_FILE),
            dir.join(CONFIG_FILE),
        ] {
            let metadata = fs::metadata(&path).expect("created");
            assert_eq!(
                (metadata.uid(), metadata.gid()),
                (SERVICE_ID, SERVICE_ID),
                "{}",
                path.display()
            );
        }
        let mode = fs::metadata(dir.join(KEY_FILE))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key stays private to its owner");
    }
}
