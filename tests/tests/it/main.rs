//! Multi-node scenarios: real nodes on 127.0.0.1 (TCP, Noise, Yamux), one module per area;
//! `fuzz` replays the fuzz corpus and every input that once crashed a fuzz target.

mod api;
mod fuzz;
mod gossip;
mod mentoring;
mod sync;
mod web;
