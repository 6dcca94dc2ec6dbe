//! The data directory: the school key, the API token, the config file, the store, the
//! search index and the runtime file `node.json`.
//!
//! ```text
//! DIR/school.key   32-byte ed25519 seed, mode 0600: the school's identity. Back it up.
//! DIR/api-token    bearer token for write calls, mode 0600
//! DIR/config.toml  commented configuration
//! DIR/store/       sled database
//! DIR/node.json    written while the node serves: API address, listen addrs, pid
//! ```

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

/// Creates a data directory with a new school key, an API token and `config_text`.
pub fn init(dir: &Path, config_text: &str, force: bool) -> Result<Initialised, Error> {
    let key_path = dir.join(KEY_FILE);
    if key_path.exists() && !force {
        return Err(Error::Exists(dir.to_path_buf()));
    }
    fs::create_dir_all(dir).map_err(io(dir))?;
    let key = SchoolKey::generate().map_err(|error| Error::Random(error.to_string()))?;
    let token = new_token()?;
    write_private(&key_path, &key.seed())?;
    write_private(&dir.join(TOKEN_FILE), token.as_bytes())?;
    let config_path = dir.join(CONFIG_FILE);
    fs::write(&config_path, config_text).map_err(io(&config_path))?;
    Ok(Initialised { key, token })
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
        let created = init(dir.path(), "[school]\n", false).expect("init");
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
        assert!(matches!(init(dir.path(), "", false), Err(Error::Exists(_))));
        let replaced = init(dir.path(), "", true).expect("forced");
        assert_ne!(replaced.key.school_id(), created.key.school_id());
    }
}
