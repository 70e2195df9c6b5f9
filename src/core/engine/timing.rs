//! Timer samples: one sketch per (name, props) series and flush window,
//! closed into a `timing` item when the window ends; a slow sample also
//! records a `slow_operation` event.

use crate::core::ids::Entropy;
use crate::core::json::{self, PushByte};
use crate::core::sanitize::Cleaning;
use crate::core::sketch::Sketch;
use crate::core::time::Millis;
use crate::core::wire::items;
use crate::core::wire::{DropReason, Endpoint};

use super::{Engine, Recorded, TimingSeries};
use crate::core::dest::{otlp, text, Kind, Meta};

impl Engine {
    /// Adds one timer sample (milliseconds) to its (name, props) series of
    /// the current window; a sample over `slow_threshold_ms` also records a
    /// `slow_operation` event. Timings are never sampled.
    pub fn record_timing(
        &mut self,
        name: &str,
        duration_ms: f64,
        props: Option<&str>,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) -> Recorded {
        let mut cleaning = Cleaning::default();
        let (name, props) = match self.clean_named(name, props, &mut cleaning) {
            Ok(clean) => clean,
            Err(recorded) => return recorded,
        };
        let duration = if duration_ms.is_finite() && duration_ms > 0.0 {
            duration_ms
        } else {
            0.0
        };
        let full = self.state.timings.len() >= self.policy.max_timing_series;
        match self
            .state
            .timings
            .iter_mut()
            .find(|s| s.name == name && s.props == props && s.source == self.source)
        {
            Some(series) => series.sketch.add(duration),
            None if full => {
                self.count_drop(DropReason::QueueFull);
                return Recorded::Dropped(DropReason::QueueFull);
            }
            None => {
                let mut sketch = Sketch::new();
                sketch.add(duration);
                self.state.timings.push(TimingSeries {
                    name: name.clone(),
                    props,
                    opened_at: now,
                    sketch,
                    source: self.source.clone(),
                });
                self.poll_needed = true;
            }
        }
        self.dirty = true;
        if duration > self.policy.slow_threshold_ms {
            let mut props = String::from("{\"name\":");
            json::push_string(&mut props, &name);
            props.push_str(",\"duration_ms\":");
            props.push_str(items::ms_number(duration).as_str());
            props.push_byte(b'}');
            self.record_unsampled_event("slow_operation", Some(&props), now, entropy);
        }
        Recorded::Accepted
    }

    /// Turns the series whose window closed (or all, on flush) into `timing` items.
    pub(crate) fn close_timing_windows(&mut self, now: Millis, entropy: &mut dyn Entropy) {
        let interval = self.policy.flush_interval_ms;
        let flush = self.flush_requested;
        // Due series taken out from the back, then popped in their order:
        // plain `Vec` calls, where `partition` and a by-value loop would link
        // std's iterator code for the series type.
        let mut due = Vec::new();
        for at in (0..self.state.timings.len()).rev() {
            if flush || now >= self.state.timings[at].opened_at.saturating_add(interval) {
                due.push(self.state.timings.remove(at));
            }
        }
        self.dirty = true;
        while let Some(series) = due.pop() {
            let Some(summary) = series.sketch.summary() else {
                continue;
            };
            let id = entropy.uuid_v4();
            let json =
                items::timing_json(&id, &series.name, series.opened_at, &series.props, &summary);
            let seq = self.state.next_seq;
            let outer = std::mem::replace(&mut self.source, series.source);
            let recorded = self.accept_item(
                Endpoint::Performance,
                json,
                None,
                Cleaning::default(),
                now,
                entropy,
            );
            self.source = outer;
            // The window already waited its interval: date the item from its
            // first sample so the lane sends it now, not one interval later.
            if recorded == Recorded::Accepted {
                let lane = &mut self.state.lanes[Endpoint::Performance.lane_index().unwrap_or(2)];
                let otlp = lane.cursors.iter().any(|c| c.dest == Some(Kind::Otlp));
                if let Some(item) = lane.items.last_mut().filter(|i| i.seq == seq) {
                    item.recorded_at = series.opened_at;
                    if otlp {
                        let old_len = item.wire_len();
                        // OTLP maps the sketch's buckets one to one onto an
                        // exponential histogram; only it reads this tail.
                        item.json.pop();
                        item.json.push_str(",\"otlp\":{\"end\":");
                        json::push_u64(&mut item.json, now);
                        item.json.push_str(",\"sketch\":");
                        series.sketch.to_json(&mut item.json);
                        item.json.push_str("}}");
                        lane.bytes += item.wire_len() - old_len;
                    }
                }
            }
        }
    }

    /// The earliest close of an open timing window.
    pub(crate) fn timing_deadline(&self) -> Option<Millis> {
        let interval = self.policy.flush_interval_ms;
        let mut earliest: Option<Millis> = None;
        for s in &self.state.timings {
            let at = s.opened_at.saturating_add(interval);
            earliest = Some(earliest.map_or(at, |e| e.min(at)));
        }
        earliest
    }
}

/// The `/v1/metrics` body for stored timing items carrying their sketch
/// (the `otlp` tail written by [`Engine::close_timing_windows`]); items
/// without one (recorded before OTLP was configured) are skipped.
pub(crate) fn otlp_metrics(meta: &Meta, items: &[&str], out: &mut String) {
    // Plain loops: iterator chains over these tuples are generic code that
    // each costs wasm size.
    let mut parsed: Vec<(json::Json, Sketch, Millis, String)> = Vec::new();
    for text in items {
        let Ok(item) = json::parse(text) else {
            continue;
        };
        let Some(tail) = item.get("otlp") else {
            continue;
        };
        let (Some(sketch), Some(end)) = (
            tail.get("sketch").and_then(Sketch::from_json),
            tail.get("end").and_then(json::Json::as_u64),
        ) else {
            continue;
        };
        let mut props = String::new();
        if let Some(value) = item.get("props") {
            json::write(value, &mut props);
        }
        parsed.push((item, sketch, end, props));
    }
    let mut series = Vec::with_capacity(parsed.len());
    for (item, sketch, end, props) in &parsed {
        series.push(otlp::Series {
            name: text(item, "name"),
            props,
            start: item.get("ts").and_then(json::Json::as_u64).unwrap_or(*end),
            end: *end,
            sketch,
        });
    }
    if !series.is_empty() {
        otlp::metrics(meta, &series, out);
    }
}
