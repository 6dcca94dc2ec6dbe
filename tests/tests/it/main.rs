//! Multi-node scenarios: real nodes on 127.0.0.1 (TCP, Noise, Yamux), one module per area.

mod api;
mod gossip;
mod mentoring;
mod sync;
mod web;
