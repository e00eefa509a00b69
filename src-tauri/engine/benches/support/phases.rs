//! The runtime's phases (`hoody_runtime::phases`) as a benchmark sees them: a `tracing` layer
//! that keeps each phase's name and time as it ends, for the rounds to take and tabulate.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// What ended since the last [`Phases::take`], in order.
#[derive(Clone, Default)]
pub struct Phases(Arc<Mutex<Vec<(String, Duration)>>>);

impl Phases {
    /// Installs the collector for this process (only the runtime's phase events reach it).
    pub fn install() -> Self {
        let phases = Self::default();
        let only_phases = tracing_subscriber::filter::Targets::new()
            .with_target(hoody_runtime::phases::TARGET, tracing::Level::TRACE);
        let subscriber = tracing_subscriber::registry().with(phases.clone().with_filter(only_phases));
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber in a benchmark");
        phases
    }

    /// The phases that ended since the last call.
    pub fn take(&self) -> Vec<(String, Duration)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[derive(Default)]
struct Fields {
    phase: Option<String>,
    micros: Option<u64>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "phase" {
            self.phase = Some(value.to_owned());
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "micros" {
            self.micros = Some(value);
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for Phases {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let (Some(phase), Some(micros)) = (fields.phase, fields.micros) {
            self.0.lock().unwrap().push((phase, Duration::from_micros(micros)));
        }
    }
}

/// Rows of a table of phases: each phase's times over the rounds (a phase that ran twice in a
/// round counts once, summed), in the order they first ran, then what the whole took beyond
/// them (`rest`: the engine's request, store and events).
pub fn rows(rounds: &[(Duration, Vec<(String, Duration)>)], rest: &str) -> Vec<(String, Vec<Duration>)> {
    let mut order: Vec<String> = Vec::new();
    for (_, phases) in rounds {
        for (name, _) in phases {
            if !order.contains(name) {
                order.push(name.clone());
            }
        }
    }
    let mut rows: Vec<(String, Vec<Duration>)> = order
        .iter()
        .map(|name| {
            let each = rounds.iter().map(|(_, phases)| phases.iter().filter(|(n, _)| n == name).map(|(_, d)| *d).sum());
            (name.clone(), each.collect())
        })
        .collect();
    let beyond = rounds.iter().map(|(total, phases)| total.saturating_sub(phases.iter().map(|(_, d)| *d).sum()));
    rows.push((rest.to_owned(), beyond.collect()));
    rows
}
