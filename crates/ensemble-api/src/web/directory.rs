//! The schools this node knows, from their latest profiles, cached between requests.
//!
//! Every catalog page names the schools of its hits and offers a school and a region
//! filter; reading and validating every profile on each request would cost more than
//! the search itself. The cache is keyed by the number of profile and retraction
//! records held: any new profile version (or withdrawal) changes it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use ensemble_core::body::{Body, LangMap, SchoolProfile};
use ensemble_core::{Kind, SchoolId};
use ensemble_node::Node;

/// One school.
#[derive(Debug, Clone)]
pub(crate) struct School {
    /// Its id.
    pub(crate) id: SchoolId,
    /// When that profile was signed (unix ms).
    pub(crate) updated_at: u64,
    /// The profile.
    pub(crate) profile: SchoolProfile,
}

/// Every known school, by id.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    key: u64,
    schools: HashMap<SchoolId, School>,
}

impl Directory {
    /// A school by id.
    pub(crate) fn get(&self, id: &SchoolId) -> Option<&School> {
        self.schools.get(id)
    }

    /// The name to show for `id`: its profile name, else the short id.
    pub(crate) fn name(&self, id: &SchoolId, lang: &str) -> String {
        self.schools
            .get(id)
            .and_then(|school| school.profile.name.best(lang).map(str::to_string))
            .unwrap_or_else(|| id.short())
    }

    /// Every school, sorted by name in `lang`.
    pub(crate) fn sorted(&self, lang: &str) -> Vec<&School> {
        let mut schools: Vec<&School> = self.schools.values().collect();
        schools.sort_by_key(|school| {
            school
                .profile
                .name
                .best(lang)
                .unwrap_or_default()
                .to_lowercase()
        });
        schools
    }

    /// Distinct region codes, sorted.
    pub(crate) fn regions(&self) -> Vec<String> {
        let mut regions: Vec<String> = self
            .schools
            .values()
            .map(|school| school.profile.region.clone())
            .collect();
        regions.sort();
        regions.dedup();
        regions
    }
}

/// The directory of `node`'s schools, rebuilt only when profiles changed. Cached per
/// data directory: one process may run several nodes (the demo, the tests), even of
/// one school, but never two on one store.
pub(crate) fn of(node: &Node) -> Arc<Directory> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Directory>>>> = OnceLock::new();
    let key = node
        .store()
        .counts()
        .map(|counts| {
            counts.get(&Kind::SchoolProfile).copied().unwrap_or(0)
                + counts.get(&Kind::Retraction).copied().unwrap_or(0)
        })
        .unwrap_or(u64::MAX);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(cache) = cache.lock()
        && let Some(directory) = cache.get(&node.options().data_dir)
        && directory.key == key
    {
        return directory.clone();
    }
    let directory = Arc::new(build(node, key));
    if let Ok(mut cache) = cache.lock() {
        cache.insert(node.options().data_dir.clone(), directory.clone());
    }
    directory
}

fn build(node: &Node, key: u64) -> Directory {
    let mut schools: HashMap<SchoolId, School> = HashMap::new();
    let latest = node.store().latest(Kind::SchoolProfile).unwrap_or_default();
    for record in latest {
        let Some(Body::SchoolProfile(profile)) = record.body() else {
            continue;
        };
        // A school's profile is one document; should two exist, the newest wins.
        let newer = schools
            .get(&record.author())
            .is_none_or(|known| known.updated_at < record.header().created_at);
        if newer {
            schools.insert(
                record.author(),
                School {
                    id: record.author(),
                    updated_at: record.header().created_at,
                    profile: profile.clone(),
                },
            );
        }
    }
    Directory { key, schools }
}

/// A name map's best text or the fallback.
pub(crate) fn best(map: &LangMap, lang: &str, fallback: &str) -> String {
    map.best(lang).unwrap_or(fallback).to_string()
}
