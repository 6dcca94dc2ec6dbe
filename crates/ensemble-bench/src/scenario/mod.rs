//! One module per scenario; each has `run(&Bench) -> Result<Figures>` and says in its
//! opening doc what it measures, against which baseline, and which target applies.

pub mod catchup;
pub mod footprint;
pub mod gossip;
pub mod ingest;
pub mod primitives;
pub mod publish;
pub mod search;
