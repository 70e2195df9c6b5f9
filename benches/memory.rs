//! Peak heap of the core over 10,000 tracked events with the collector
//! answering 503 (`cargo bench --bench memory`): the host's view of the
//! wasm memory figure of bench/lean.mjs (wasm memory never shrinks, so its
//! size follows the peak).

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use mv3_telemetry::core::backoff::Outcome;
use mv3_telemetry::core::{Action, Consent, Context, Engine, Policy, Scrubber, SplitMix};

/// Counts live bytes and their peak (the system allocator does the work).
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` with the caller's arguments;
// the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The props of the browser bench's `track()` (`TEN_PROPS` in bench/lib.mjs).
const PROPS: &str = r#"{"a":1,"b":"two","c":true,"d":4.5,"e":"https://example.com/page","f":null,"g":"seven","h":8,"i":"nine","j":[1,2]}"#;

fn main() {
    let mut rng = SplitMix(7);
    let context = Context {
        app_version: "1.0.2".into(),
        ..Context::default()
    };
    let mut engine = Engine::new(
        Policy::default(),
        context,
        Scrubber::default(),
        Consent::Granted,
        &mut rng,
    )
    .unwrap();
    let mut storage: BTreeMap<String, String> = BTreeMap::new();
    let mut now = 1_795_255_200_000u64;
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    for i in 0..10_000u32 {
        now += 1;
        engine.record_event("bench_memory", Some(PROPS), now, &mut rng);
        if i % 200 == 199 {
            if let Some(w) = engine.take_writes() {
                for (k, v) in &w.set {
                    storage.insert(k.clone(), v.clone());
                }
                for k in &w.remove {
                    storage.remove(k);
                }
                engine.writes_done(true);
            }
            for _ in 0..100 {
                match engine.poll(now, &mut rng) {
                    Action::Read(keys) => {
                        let values = keys.iter().map(|k| storage.get(k).cloned()).collect();
                        engine.on_read(&keys, Some(values));
                    }
                    Action::Send(request) => {
                        let outcome = Outcome::Status {
                            code: 503,
                            retry_after: None,
                        };
                        engine.on_outcome(request.id, &outcome, now, &mut rng);
                    }
                    _ => break,
                }
            }
            now += 2_000;
        }
    }
    let stored: usize = storage.values().map(String::len).sum();
    println!(
        "peak heap over 10,000 events (collector 503): {} KiB; live at the end {} KiB (storage map {} KiB)",
        (PEAK.load(Relaxed) - base) / 1024,
        (LIVE.load(Relaxed) - base) / 1024,
        stored / 1024
    );
}
