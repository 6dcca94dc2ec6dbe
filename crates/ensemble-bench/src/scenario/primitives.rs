//! `primitives`: the cryptography every record pays for, on one core — ed25519 signing,
//! `verify_strict`, batch verification in batches of 256, and BLAKE3 throughput. These
//! are the baselines the other scenarios divide by; [`verify_strict_per_s`] is also
//! measured again inside each scenario that needs it, so a ratio never spans two runs.

use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use ensemble_core::identity::SIGNATURE_DOMAIN;

use crate::{Bench, Figures};

/// Signatures per batch verification: what a bulk ingest batches.
pub const BATCH: usize = 256;
/// Distinct keys the signatures come from (the `ingest` scenario's author count).
const KEYS: usize = 100;
/// Bytes of a typical encoded v1 header (125–217 bytes).
const HEADER_BYTES: usize = 170;
/// Input hashed repeatedly by the BLAKE3 measurement.
const BLAKE3_INPUT_BYTES: usize = 1 << 20;

/// Runs the scenario.
pub async fn run(bench: &Bench) -> anyhow::Result<Figures> {
    let seconds = bench.sizes.primitive_seconds;
    Ok(tokio::task::spawn_blocking(move || measure(Duration::from_secs_f64(seconds))).await?)
}

fn measure(each: Duration) -> Figures {
    let samples = Samples::new();
    let sign = rate(each, |index| {
        let (key, message) = (
            &samples.keys[index % KEYS],
            &samples.messages[index % BATCH],
        );
        std::hint::black_box(key.sign(message));
        1
    });
    let strict = samples.verify_strict_rate(each);
    let batch = rate(each, |_| {
        let messages: Vec<&[u8]> = samples.messages.iter().map(Vec::as_slice).collect();
        let ok =
            ed25519_dalek::verify_batch(&messages, &samples.signatures, &samples.verifying).is_ok();
        std::hint::black_box(ok);
        BATCH
    });
    let input = vec![0x5a_u8; BLAKE3_INPUT_BYTES];
    let hashed_per_s = rate(each, |_| {
        std::hint::black_box(blake3::hash(&input));
        BLAKE3_INPUT_BYTES
    });
    let mut figures = Figures::new();
    figures
        .number("sign_per_s", sign)
        .number("verify_strict_per_s", strict)
        .number("batch_verify_per_s", batch)
        .count("batch_size", BATCH as u64)
        .number("batch_to_verify_strict", batch / strict)
        .number("blake3_mb_per_s", hashed_per_s / 1e6);
    figures
}

/// Single-thread `verify_strict` rate on header-sized messages from [`KEYS`] keys:
/// the baseline `ingest` and `catchup` compare against.
pub fn verify_strict_per_s(each: Duration) -> f64 {
    Samples::new().verify_strict_rate(each)
}

/// Signed messages shaped like record headers behind the signature domain.
struct Samples {
    keys: Vec<SigningKey>,
    verifying: Vec<VerifyingKey>,
    messages: Vec<Vec<u8>>,
    signatures: Vec<Signature>,
}

impl Samples {
    fn new() -> Samples {
        let keys: Vec<SigningKey> = (0..KEYS)
            .map(|index| {
                let seed = blake3::hash(format!("ensemble-bench primitive key {index}").as_bytes());
                SigningKey::from_bytes(seed.as_bytes())
            })
            .collect();
        let messages: Vec<Vec<u8>> = (0..BATCH)
            .map(|index| {
                let mut header = [0u8; HEADER_BYTES];
                blake3::Hasher::new()
                    .update(&(index as u64).to_be_bytes())
                    .finalize_xof()
                    .fill(&mut header);
                [SIGNATURE_DOMAIN, &header].concat()
            })
            .collect();
        let signatures = messages
            .iter()
            .enumerate()
            .map(|(index, message)| keys[index % KEYS].sign(message))
            .collect();
        let verifying = (0..BATCH)
            .map(|index| keys[index % KEYS].verifying_key())
            .collect();
        Samples {
            keys,
            verifying,
            messages,
            signatures,
        }
    }

    fn verify_strict_rate(&self, each: Duration) -> f64 {
        rate(each, |index| {
            let slot = index % BATCH;
            let ok = self.verifying[slot]
                .verify_strict(&self.messages[slot], &self.signatures[slot])
                .is_ok();
            std::hint::black_box(ok);
            1
        })
    }
}

/// Units per second of `step` (which reports how many units one call did), called
/// until `each` has passed.
fn rate(each: Duration, mut step: impl FnMut(usize) -> usize) -> f64 {
    let start = Instant::now();
    let mut units = 0usize;
    let mut calls = 0usize;
    while calls == 0 || start.elapsed() < each {
        units += step(calls);
        calls += 1;
    }
    units as f64 / start.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_signatures_verify_alone_and_in_a_batch() {
        let samples = Samples::new();
        for slot in [0, BATCH - 1] {
            assert!(
                samples.verifying[slot]
                    .verify_strict(&samples.messages[slot], &samples.signatures[slot])
                    .is_ok()
            );
        }
        let messages: Vec<&[u8]> = samples.messages.iter().map(Vec::as_slice).collect();
        assert!(
            ed25519_dalek::verify_batch(&messages, &samples.signatures, &samples.verifying).is_ok(),
            "a failing batch would time the wrong thing"
        );
    }
}
