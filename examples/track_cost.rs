//! Host cost of recording one event with 10 props (prints a figure).
use mv3_telemetry::core::scrub::Scrubber;
use mv3_telemetry::core::{Action, Consent, Context, Engine, Policy, SplitMix};
use std::time::Instant;

fn main() {
    let mut rng = SplitMix(1);
    let mut engine = Engine::new(
        Policy::default(),
        Context::default(),
        Scrubber::default(),
        Consent::Granted,
        &mut rng,
    )
    .unwrap();
    let props = r#"{"a":1,"b":"two","c":true,"d":4.5,"e":"https://example.com/page","f":null,"g":"seven","h":8,"i":"nine","j":[1,2]}"#;
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let start = Instant::now();
    let mut now = 1_795_255_200_000u64;
    for _ in 0..n {
        now += 1;
        let value = mv3_telemetry::core::json::parse(props).unwrap();
        engine.record_event("bench_event", Some(value), now, &mut rng);
        while let Action::Send(_) = engine.poll(now, &mut rng) {}
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("record_event + poll: {per:.2} µs/call on the host");
    if std::env::var("ONLY_TRACK").is_ok() {
        return;
    }
    let scrubber = Scrubber::default();
    let t = Instant::now();
    for _ in 0..n {
        let mut value = mv3_telemetry::core::json::parse(props).unwrap();
        scrubber.scrub_value(&mut value);
    }
    println!(
        "parse + scrub_value: {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        for k in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"] {
            let _ = scrubber.is_sensitive_key(k);
        }
    }
    println!(
        "10 key checks: {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        for v in [
            "two",
            "https://example.com/page",
            "seven",
            "nine",
            "bench_event",
        ] {
            let _ = scrubber.scrub_text(v);
        }
    }
    println!(
        "5 short texts: {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        let _ = engine.stats();
        let _ = engine.held_items();
    }
    println!(
        "held_items: {:.3} µs",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    let mut bytes = 0;
    for _ in 0..100 {
        now += 1;
        let value = mv3_telemetry::core::json::parse(props).unwrap();
        engine.record_event("bench_event", Some(value), now, &mut rng);
        if let Some(writes) = engine.take_writes() {
            bytes += writes
                .set
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>();
            engine.writes_done(true);
        }
    }
    println!(
        "record + take_writes with {} items queued: {:.2} µs, {} bytes per persist",
        engine.stats().queued,
        t.elapsed().as_secs_f64() * 1e6 / 100.0,
        bytes / 100
    );
}

#[allow(dead_code)]
fn scrub_only() {}
