//! The node's TOML configuration: one schema (`deny_unknown_fields`), validated once
//! into plain option structs. Precedence: built-in defaults, then the file, then
//! command-line flags (applied by the binary on [`Options`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ensemble_core::record::is_network_id;
use serde::Deserialize;

/// Default HTTP address: loopback only, so the API and web UI are private to the
/// school's computer unless the operator opens them on purpose.
pub const DEFAULT_API_LISTEN: &str = "127.0.0.1:4780";
/// Default libp2p port (TCP and QUIC).
pub const DEFAULT_P2P_PORT: u16 = 4710;
/// Default sync period: often enough that a school that was offline catches up within
/// minutes, rarely enough to cost nothing when in sync (one small round trip per peer).
pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_secs(300);
/// Default idle timeout: libp2p's 10 s default would drop quiet school links; the network
/// layer owns the value (and its minimum), the configuration only overrides it.
pub const DEFAULT_IDLE_TIMEOUT: Duration = ensemble_net::DEFAULT_IDLE_TIMEOUT;

/// A configuration problem, naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax or an unknown key.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (names the key and line).
        message: String,
    },
    /// Values that parse but make no sense: one fault per key, each starting with the
    /// key it names. A list rather than joined text, because a fault quotes the value
    /// and a value may contain any separator.
    #[error("invalid configuration: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// TOML syntax or an unknown key, in the parser's words (they name the key and line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SyntaxError(pub String);

/// The role a school declares when its configuration names none.
pub const DEFAULT_ROLE: &str = "school";

/// The configuration key a profile field comes from: `name.en` is `name`, `roles[1]` is
/// `roles`.
fn profile_key(field: &str) -> &str {
    field.split(['.', '[']).next().unwrap_or(field)
}

/// The file's schema.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// `[school]`
    #[serde(default)]
    pub school: SchoolSection,
    /// `[network]`
    #[serde(default)]
    pub network: NetworkSection,
    /// `[api]`
    #[serde(default)]
    pub api: ApiSection,
    /// `[sync]`
    #[serde(default)]
    pub sync: SyncSection,
}

/// `[school]`: who this node is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolSection {
    /// The school's name as people know it.
    pub name: Option<String>,
    /// Region code, e.g. `ru-tat`.
    pub region: Option<String>,
    /// Roles: `mentor`, `supported`, `hub`, `school`.
    pub roles: Option<Vec<String>>,
    /// The network this school publishes in (usually its region's).
    pub network: Option<String>,
}

/// `[network]`: libp2p.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// Listen multiaddrs.
    pub listen: Option<Vec<String>>,
    /// Bootstrap peers' multiaddrs (normally the region's hub).
    pub bootstrap: Option<Vec<String>>,
    /// Local-network discovery.
    pub mdns: Option<bool>,
    /// Run as a hub: relay server, Kademlia server mode.
    pub hub: Option<bool>,
    /// Idle connection timeout in seconds (≥ 60).
    pub idle_timeout_secs: Option<u64>,
    /// Maximum established connections.
    pub max_connections: Option<u32>,
    /// Maximum established connections per peer.
    pub max_connections_per_peer: Option<u32>,
}

/// `[api]`: HTTP.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    /// Address for the API and web UI.
    pub listen: Option<String>,
}

/// `[sync]`: catch-up replication.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSection {
    /// Seconds between periodic sync rounds with every peer.
    pub interval_secs: Option<u64>,
}

/// Validated options the node runs with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The data directory.
    pub data_dir: PathBuf,
    /// School name.
    pub name: String,
    /// Region code.
    pub region: String,
    /// Declared roles.
    pub roles: Vec<String>,
    /// Network id.
    pub network: String,
    /// Listen multiaddrs (text, parsed by the network layer).
    pub listen: Vec<String>,
    /// Bootstrap multiaddrs.
    pub bootstrap: Vec<String>,
    /// mDNS on.
    pub mdns: bool,
    /// Hub mode.
    pub hub: bool,
    /// Idle connection timeout.
    pub idle_timeout: Duration,
    /// Total connection limit.
    pub max_connections: u32,
    /// Per-peer connection limit.
    pub max_connections_per_peer: u32,
    /// HTTP listen address.
    pub api_listen: SocketAddr,
    /// Periodic sync interval.
    pub sync_interval: Duration,
    /// Gossipsub heartbeat (tests shorten it).
    pub heartbeat_interval: Duration,
}

impl File {
    /// Reads and parses a config file.
    pub fn read(path: &Path) -> Result<File, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        File::parse(&text).map_err(|error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: error.0,
        })
    }

    /// Parses config text (syntax and key names; values are judged by
    /// [`File::into_options`]).
    pub fn parse(text: &str) -> Result<File, SyntaxError> {
        toml::from_str(text).map_err(|error| SyntaxError(error.to_string().trim().to_string()))
    }

    /// Applies defaults and validates into [`Options`], naming every key at fault.
    pub fn into_options(self, data_dir: PathBuf) -> Result<Options, ConfigError> {
        let mut faults = Vec::new();
        let name = self.school.name.unwrap_or_default();
        let region = self.school.region.unwrap_or_default();
        let roles = self
            .school
            .roles
            .unwrap_or_else(|| vec![DEFAULT_ROLE.to_string()]);
        // The school's profile is published from these three keys at start: judge them by
        // the profile's own rules, so a name accepted here is never refused by `run`.
        if let Err(errors) = ensemble_core::body::configured_profile(&name, &region, &roles) {
            for error in errors.errors {
                faults.push(format!(
                    "school.{}: {}",
                    profile_key(&error.field),
                    error.message
                ));
            }
        }
        let network = self.school.network.unwrap_or_else(|| region.clone());
        if !is_network_id(&network) {
            faults.push("school.network: must be a lowercase code such as ru-tat".to_string());
        }
        let idle_timeout = self
            .network
            .idle_timeout_secs
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_IDLE_TIMEOUT);
        if idle_timeout < ensemble_net::MIN_IDLE_TIMEOUT {
            faults.push(format!(
                "network.idle_timeout_secs: must be at least {}",
                ensemble_net::MIN_IDLE_TIMEOUT.as_secs()
            ));
        }
        let max_connections = self
            .network
            .max_connections
            .unwrap_or(ensemble_net::DEFAULT_MAX_CONNECTIONS);
        let max_connections_per_peer = self
            .network
            .max_connections_per_peer
            .unwrap_or(ensemble_net::DEFAULT_MAX_CONNECTIONS_PER_PEER);
        if max_connections == 0 || max_connections_per_peer == 0 {
            faults.push("network.max_connections*: must be at least 1".to_string());
        }
        let api_listen = self
            .api
            .listen
            .unwrap_or_else(|| DEFAULT_API_LISTEN.to_string());
        let api_listen = match api_listen.parse::<SocketAddr>() {
            Ok(address) => Some(address),
            Err(_) => {
                faults.push(format!(
                    "api.listen: {api_listen:?} is not an address such as 127.0.0.1:4780"
                ));
                None
            }
        };
        let sync_interval = self
            .sync
            .interval_secs
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_SYNC_INTERVAL);
        if sync_interval < Duration::from_secs(1) {
            faults.push("sync.interval_secs: must be at least 1".to_string());
        }
        let listen = self.network.listen.unwrap_or_else(|| {
            vec![
                format!("/ip4/0.0.0.0/tcp/{DEFAULT_P2P_PORT}"),
                format!("/ip4/0.0.0.0/udp/{DEFAULT_P2P_PORT}/quic-v1"),
            ]
        });
        match (faults.is_empty(), api_listen) {
            (true, Some(api_listen)) => Ok(Options {
                data_dir,
                name,
                region,
                roles,
                network,
                listen,
                bootstrap: self.network.bootstrap.unwrap_or_default(),
                mdns: self.network.mdns.unwrap_or(true),
                hub: self.network.hub.unwrap_or(false),
                idle_timeout,
                max_connections,
                max_connections_per_peer,
                api_listen,
                sync_interval,
                heartbeat_interval: ensemble_net::DEFAULT_HEARTBEAT_INTERVAL,
            }),
            _ => Err(ConfigError::Invalid(faults)),
        }
    }
}

/// The commented `config.toml` that `ensemble init` writes.
pub fn render_initial(name: &str, region: &str, roles: &[String], network: &str) -> String {
    let quoted_roles: Vec<String> = roles.iter().map(|role| toml_string(role)).collect();
    format!(
        r#"# Ensemble node configuration. Every key is optional except [school] name and region;
# command-line flags override what is written here. Reference: node-config/ in the source.

[school]
# The school's name as colleagues know it; shown to other schools.
name = {name}
# Region code (lowercase), e.g. ru-tat, by-minsk.
region = {region}
# Roles: "mentor", "supported", "hub", "school".
roles = [{roles}]
# The network this school publishes in; usually the region's network.
network = {network}

[network]
# Where libp2p listens (TCP and QUIC). Port 0 picks a free port.
listen = ["/ip4/0.0.0.0/tcp/{port}", "/ip4/0.0.0.0/udp/{port}/quic-v1"]
# Peers to connect to at start and to keep reconnecting to: normally the region's hub,
# e.g. "/dns4/hub.example.org/tcp/4710/p2p/12D3KooW...".
bootstrap = []
# Find other school nodes on the same local network.
mdns = true
# Run as a regional hub (relay for schools behind NAT, Kademlia server, archive).
hub = false
# Seconds an idle connection is kept open (at least 60).
idle_timeout_secs = 120
max_connections = 256
max_connections_per_peer = 2

[api]
# HTTP address of the JSON API, /metrics and the web UI. Keep it on loopback unless a
# reverse proxy with TLS stands in front.
listen = "{api}"

[sync]
# Seconds between catch-up rounds with every connected peer.
interval_secs = 300
"#,
        name = toml_string(name),
        region = toml_string(region),
        roles = quoted_roles.join(", "),
        network = toml_string(network),
        port = DEFAULT_P2P_PORT,
        api = DEFAULT_API_LISTEN,
    )
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initial_file_parses_back_to_what_was_given() {
        let text = render_initial("Гимназия \"№5\"", "ru-tat", &["mentor".into()], "ru-tat");
        let options = File::parse(&text)
            .expect("parses")
            .into_options("/tmp/x".into())
            .expect("valid");
        assert_eq!(options.name, "Гимназия \"№5\"");
        assert_eq!(options.roles, vec!["mentor"]);
        assert_eq!(options.sync_interval, DEFAULT_SYNC_INTERVAL);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let error = File::parse("[school]\nnmae = \"x\"\n").expect_err("unknown key");
        assert!(error.to_string().contains("nmae"), "{error}");
        let text = "[school]\nname = \"\"\nregion = \"RU\"\n[network]\nidle_timeout_secs = 5\n[api]\nlisten = \"nowhere\"\n";
        let error = File::parse(text)
            .expect("parses")
            .into_options("/tmp/x".into())
            .expect_err("invalid");
        let message = error.to_string();
        for key in [
            "school.name",
            "school.region",
            "network.idle_timeout_secs",
            "api.listen",
        ] {
            assert!(message.contains(key), "{key} missing from {message}");
        }
    }
}
