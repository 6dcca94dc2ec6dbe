//! What a scenario reports: named figures in the order they were measured, targets
//! beside the figure they judge, and the two renderings (a table for people, one JSON
//! object for tools).
//!
//! Targets are reported, never asserted: a shared 2-core machine is too noisy for a
//! hard threshold, and a missed target is a finding to read, not a build failure.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

/// Suffix of the figure holding a target's bound.
const TARGET_SUFFIX: &str = "_target";
/// Suffix of the figure saying whether a target was met.
const MEETS_SUFFIX: &str = "_meets_target";
/// Name of the figure that is true when every target of a scenario was met.
pub const MEETS_TARGET: &str = "meets_target";

/// The figures of one scenario, in measurement order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    entries: Vec<(String, Value)>,
    /// Whether each target pushed so far was met.
    targets: Vec<bool>,
}

impl Figures {
    /// No figures yet.
    pub fn new() -> Figures {
        Figures::default()
    }

    /// A scenario that did not run, with the reason.
    pub fn skipped(reason: &str) -> Figures {
        let mut figures = Figures::new();
        figures.text("skipped", reason);
        figures
    }

    /// A measured quantity, rounded for reading (see [`round`]).
    pub fn number(&mut self, name: &str, value: f64) -> &mut Figures {
        self.push(name, round(value))
    }

    /// A duration in milliseconds.
    pub fn millis(&mut self, name: &str, value: Duration) -> &mut Figures {
        self.number(name, value.as_secs_f64() * 1_000.0)
    }

    /// A count or a size.
    pub fn count(&mut self, name: &str, value: u64) -> &mut Figures {
        self.push(name, Value::from(value))
    }

    /// A yes/no figure.
    pub fn flag(&mut self, name: &str, value: bool) -> &mut Figures {
        self.push(name, Value::from(value))
    }

    /// A text figure (what was skipped and why, a topology's shape).
    pub fn text(&mut self, name: &str, value: &str) -> &mut Figures {
        self.push(name, Value::from(value))
    }

    /// Judges the already pushed figure `name` against an upper bound: pushes
    /// `name_target` and `name_meets_target`.
    pub fn at_most(&mut self, name: &str, bound: f64) -> bool {
        let met = self.value(name).is_some_and(|value| value <= bound);
        self.judged(name, bound, met)
    }

    /// Judges the already pushed figure `name` against a lower bound.
    pub fn at_least(&mut self, name: &str, bound: f64) -> bool {
        let met = self.value(name).is_some_and(|value| value >= bound);
        self.judged(name, bound, met)
    }

    /// Pushes [`MEETS_TARGET`]: true when every target judged so far was met. Scenarios
    /// with targets call it last.
    pub fn conclude(&mut self) -> &mut Figures {
        let met = self.targets.iter().all(|met| *met);
        self.push(MEETS_TARGET, Value::from(met))
    }

    /// The numeric value of a figure.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(Value::as_f64)
    }

    /// A figure by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(entry, _)| entry == name)
            .map(|(_, value)| value)
    }

    /// Every figure in order.
    pub fn entries(&self) -> &[(String, Value)] {
        &self.entries
    }

    fn judged(&mut self, name: &str, bound: f64, met: bool) -> bool {
        self.push(&format!("{name}{TARGET_SUFFIX}"), round(bound));
        self.push(&format!("{name}{MEETS_SUFFIX}"), Value::from(met));
        self.targets.push(met);
        met
    }

    fn push(&mut self, name: &str, value: impl Into<Value>) -> &mut Figures {
        let value = value.into();
        match self.entries.iter_mut().find(|(entry, _)| entry == name) {
            Some((_, slot)) => *slot = value,
            None => self.entries.push((name.to_string(), value)),
        }
        self
    }
}

/// Rounds for reading: whole numbers from 1,000 up, four significant digits below.
/// Non-finite values (a rate over zero time) become JSON `null`.
pub fn round(value: f64) -> Value {
    if !value.is_finite() {
        return Value::Null;
    }
    let rounded = if value.abs() >= 1_000.0 || value == 0.0 {
        value.round()
    } else {
        let digits = 3 - value.abs().log10().floor() as i32;
        let scale = 10f64.powi(digits);
        (value * scale).round() / scale
    };
    if rounded.fract() == 0.0 && rounded.abs() < 9.0e15 {
        Value::from(rounded as i64)
    } else {
        Value::from(rounded)
    }
}

/// The nearest-rank percentile (`0.5`, `0.99`) of samples; zero for no samples.
pub fn percentile(samples: &[Duration], quantile: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// One JSON object `{"scenario": {"figure": value, …}, …}`, in run order.
pub fn to_json(report: &[(String, Figures)]) -> String {
    let mut out = String::from("{");
    for (index, (scenario, figures)) in report.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let _ = write!(out, "\n  {}: {{", Value::from(scenario.as_str()));
        for (position, (name, value)) in figures.entries().iter().enumerate() {
            if position > 0 {
                out.push(',');
            }
            let _ = write!(out, "\n    {}: {value}", Value::from(name.as_str()));
        }
        out.push_str("\n  }");
    }
    out.push_str("\n}\n");
    out
}

/// A table for people: one block per scenario, a row per figure.
pub fn to_table(report: &[(String, Figures)]) -> String {
    let width = report
        .iter()
        .flat_map(|(_, figures)| figures.entries())
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (scenario, figures) in report {
        let _ = writeln!(out, "{scenario}");
        for (name, value) in figures.entries() {
            let shown = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(out, "  {name:<width$}  {shown}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_round(input: f64, expected: &str) {
        assert_eq!(round(input).to_string(), expected, "round({input})");
    }

    #[test]
    fn rounding_keeps_four_significant_digits_below_a_thousand() {
        check_round(19_234.567, "19235");
        check_round(123.4567, "123.5");
        check_round(1.234567, "1.235");
        check_round(0.012345, "0.01235");
        check_round(0.0, "0");
        check_round(12.0, "12");
        check_round(f64::INFINITY, "null");
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&samples, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&samples, 1.0), Duration::from_millis(100));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn targets_sit_beside_their_figure_and_conclude_the_scenario() {
        let mut figures = Figures::new();
        figures.number("p99_ms", 30.0);
        assert!(!figures.at_most("p99_ms", 25.0));
        figures.number("ratio", 1.2);
        assert!(figures.at_least("ratio", 1.0));
        figures.conclude();
        let names: Vec<&str> = figures.entries().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "p99_ms",
                "p99_ms_target",
                "p99_ms_meets_target",
                "ratio",
                "ratio_target",
                "ratio_meets_target",
                "meets_target"
            ]
        );
        assert_eq!(figures.get(MEETS_TARGET), Some(&Value::from(false)));
    }

    #[test]
    fn json_is_one_object_keyed_by_scenario_in_run_order() {
        let mut first = Figures::new();
        first.count("records", 3).flag("in_sync", true);
        let report = vec![
            ("zeta".to_string(), first),
            ("alpha".to_string(), Figures::skipped("not built yet")),
        ];
        let text = to_json(&report);
        let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed["zeta"]["records"], 3);
        assert_eq!(parsed["alpha"]["skipped"], "not built yet");
        assert!(text.find("zeta") < text.find("alpha"), "run order kept");
        assert!(to_table(&report).contains("in_sync"));
    }
}
