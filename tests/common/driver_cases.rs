//! The driver's decisions, on the host: what the worker does around the
//! engine (timers, alarm, persistence, flush, keepalive). Fakes are plain
//! values: the clock is a number.

use mv3_telemetry::core::driver::{
    Arm, Driver, ALARM_MIN_DELAY_MS, KEEPALIVE_BUDGET, PERSIST_DELAY_MS,
};
use mv3_telemetry::core::{Consent, Policy};
use serde_json::json;
use wasm_bindgen_test::wasm_bindgen_test;

use super::engine_cases::{Rig, START};

fn rig() -> (Rig, Driver) {
    let policy = Policy {
        lifecycle_events: false,
        ..Policy::default()
    };
    (Rig::with_policy(policy, Consent::Granted), Driver::new())
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_idle_engine_arms_nothing() {
    let (mut rig, mut driver) = rig();
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert!(plan.sends.is_empty());
    assert_eq!(plan.timer, Arm::Keep);
    assert_eq!(plan.alarm, Arm::Keep);
    assert!(!plan.persist_now);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_queued_item_arms_the_timer_for_its_deadline_and_an_alarm_that_survives_the_worker() {
    let (mut rig, mut driver) = rig();
    rig.track("e", json!({}));
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    let due = START + Policy::default().flush_interval_ms;
    assert_eq!(plan.timer, Arm::At(due));
    assert_eq!(plan.alarm, Arm::At(due.max(START + ALARM_MIN_DELAY_MS)));
    // Nothing changed: neither is re-armed.
    let again = driver.tick(&mut rig.engine, rig.now + 10, &mut rig.rng);
    assert_eq!(again.timer, Arm::Keep);
    assert_eq!(again.alarm, Arm::Keep);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn the_alarm_is_never_set_sooner_than_chrome_allows() {
    let policy = Policy {
        error_flush_delay_ms: 1_000,
        lifecycle_events: false,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    let mut driver = Driver::new();
    rig.engine
        .record_error(Default::default(), rig.now, &mut rig.rng);
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert_eq!(plan.timer, Arm::At(START + 1_000));
    assert_eq!(plan.alarm, Arm::At(START + ALARM_MIN_DELAY_MS));
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_new_batch_is_persisted_before_it_is_sent() {
    let (mut rig, mut driver) = rig();
    for i in 0..50 {
        rig.track("e", json!({ "i": i }));
    }
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert_eq!(plan.sends.len(), 1);
    assert!(
        plan.persist_now,
        "a restart must re-send this batch under the same id"
    );
    rig.persist();
    assert!(!rig.engine.needs_persist_before_send());
}

#[wasm_bindgen_test(unsupported = test)]
pub fn the_alarm_is_cleared_once_nothing_is_pending() {
    let (mut rig, mut driver) = rig();
    for i in 0..50 {
        rig.track("e", json!({ "i": i }));
    }
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert!(matches!(plan.alarm, Arm::At(_)));
    rig.answer(&plan.sends[0], 200, None);
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert_eq!(plan.alarm, Arm::Clear);
    assert!(!matches!(plan.timer, Arm::At(_)), "no wake-up without work");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_flush_settles_when_nothing_is_in_flight() {
    let (mut rig, mut driver) = rig();
    rig.track("e", json!({}));
    driver.begin_flush(&mut rig.engine, rig.now);
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert_eq!(plan.sends.len(), 1, "a flush sends at once");
    assert!(!plan.settle_flushes, "not while the request is out");
    rig.answer(&plan.sends[0], 200, None);
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert!(plan.settle_flushes);
    assert_eq!(rig.engine.stats().sent, 1);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_flush_waits_for_chunks_being_read() {
    let (mut rig, _) = rig();
    for i in 0..5 {
        rig.track("e", json!({ "i": i }));
    }
    rig.restart(Consent::Pending);
    let mut driver = Driver::new();
    driver.begin_flush(&mut rig.engine, rig.now);
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert_eq!(plan.reads.len(), 1);
    assert!(!plan.settle_flushes, "the items are still being read");
    rig.answer_read(&plan.reads[0]);
    driver.read_done();
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert_eq!(plan.sends.len(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn persistence_is_debounced_once_per_change_window() {
    let (mut rig, mut driver) = rig();
    rig.persist();
    assert_eq!(driver.persist_delay(&rig.engine), None, "nothing changed");
    rig.track("e", json!({}));
    assert_eq!(driver.persist_delay(&rig.engine), Some(PERSIST_DELAY_MS));
    rig.track("e", json!({}));
    assert_eq!(driver.persist_delay(&rig.engine), None, "already armed");
    driver.persist_started();
    rig.persist();
    rig.track("e", json!({}));
    assert_eq!(driver.persist_delay(&rig.engine), Some(PERSIST_DELAY_MS));
}

#[wasm_bindgen_test(unsupported = test)]
pub fn daily_active_is_persisted_at_once() {
    let mut rig = Rig::granted();
    let mut driver = Driver::new();
    let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
    assert!(
        plan.persist_now,
        "a worker stopped right after must not send it twice"
    );
    let plan = driver.tick(&mut rig.engine, rig.now + 1, &mut rig.rng);
    assert!(!plan.persist_now);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn keepalive_bodies_share_one_budget() {
    let mut driver = Driver::new();
    assert!(driver.take_keepalive(KEEPALIVE_BUDGET - 10));
    assert!(
        !driver.take_keepalive(20),
        "over the budget: sent without keepalive"
    );
    driver.release_keepalive(KEEPALIVE_BUDGET - 10);
    assert!(driver.take_keepalive(20));
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_refused_write_is_retried_later_and_later_then_at_the_usual_pace() {
    use mv3_telemetry::core::driver::{STORAGE_RETRY_MAX_MS, STORAGE_RETRY_MS};
    let (mut rig, mut driver) = rig();
    let mut delays = Vec::new();
    for _ in 0..9 {
        rig.track("e", json!({}));
        delays.push(driver.persist_delay(&rig.engine).unwrap());
        driver.persist_started();
        let _ = rig.engine.take_writes();
        rig.engine.writes_done(false);
    }
    assert_eq!(delays[0], PERSIST_DELAY_MS);
    assert_eq!(delays[1], STORAGE_RETRY_MS);
    assert_eq!(delays[2], 2 * STORAGE_RETRY_MS);
    assert_eq!(*delays.last().unwrap(), STORAGE_RETRY_MAX_MS);
    rig.persist();
    rig.track("e", json!({}));
    assert_eq!(driver.persist_delay(&rig.engine), Some(PERSIST_DELAY_MS));
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_week_offline_caps_the_backoff_rearms_the_alarm_after_restarts_and_delivers_everything_within_one_period(
) {
    use mv3_telemetry::core::backoff::Outcome;
    use mv3_telemetry::core::DropReason;
    const HOUR: u64 = 3_600_000;
    const WEEK: u64 = 7 * 24 * HOUR;
    let policy = Policy::default();
    let max_delay = policy.retry_max_delay_ms;
    let (mut rig, mut driver) = rig();
    let mut wake: Option<u64> = None;
    let mut next_event = START;
    let mut recorded = 0;
    let mut attempts = 0;
    let mut longest_wait = 0;
    let mut last_failure = START;
    while rig.now < START + WEEK {
        if rig.now >= next_event {
            rig.track("hourly", json!({ "n": recorded }));
            recorded += 1;
            next_event += HOUR;
        }
        // A browser restart once a day: Chrome may clear alarms, so a new
        // worker must arm its own.
        if recorded % 24 == 0 && rig.now == next_event - HOUR {
            rig.restart(Consent::Pending);
            driver = Driver::new();
            let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
            assert!(
                matches!(plan.alarm, Arm::At(_)),
                "the alarm is re-armed on start"
            );
            for keys in &plan.reads {
                rig.answer_read(keys);
                driver.read_done();
            }
            for request in &plan.sends {
                rig.engine
                    .on_outcome(request.id, &Outcome::NetworkError, rig.now, &mut rig.rng);
                attempts += 1;
                last_failure = rig.now;
            }
        }
        // Every request fails at once (offline); a retry due at once goes
        // out in the next tick of the same instant.
        let plan = loop {
            let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
            rig.persist();
            for keys in &plan.reads {
                rig.answer_read(keys);
                driver.read_done();
            }
            if plan.sends.is_empty() && plan.reads.is_empty() {
                break plan;
            }
            for request in &plan.sends {
                rig.engine
                    .on_outcome(request.id, &Outcome::NetworkError, rig.now, &mut rig.rng);
                attempts += 1;
                last_failure = rig.now;
            }
        };
        match plan.timer {
            Arm::At(at) => wake = Some(at),
            Arm::Clear => wake = None,
            Arm::Keep => {}
        }
        if let Some(at) = wake.filter(|at| *at > rig.now) {
            longest_wait = longest_wait.max(at - rig.now);
        }
        let at = wake.filter(|at| *at > rig.now).unwrap_or(u64::MAX);
        rig.now = at.min(next_event).max(rig.now + 1);
        driver.timer_fired();
    }
    assert!(attempts > 168, "it kept trying all week: {attempts}");
    assert!(
        longest_wait <= max_delay,
        "backoff capped: {longest_wait} ms"
    );
    assert_eq!(rig.engine.stats().queued, recorded as u64);
    // The network is back: everything arrives by the next wake, at most one
    // backoff period (plus the alarm's minimum) after the last failure.
    let back = rig.now;
    let mut delivered = 0;
    while rig.now <= last_failure.max(back) + max_delay + ALARM_MIN_DELAY_MS {
        let plan = driver.tick(&mut rig.engine, rig.now, &mut rig.rng);
        for keys in &plan.reads {
            rig.answer_read(keys);
            driver.read_done();
        }
        for request in &plan.sends {
            delivered += request.item_count;
            rig.answer(request, 200, None);
        }
        if rig.engine.stats().queued == 0 {
            break;
        }
        rig.now += 1_000;
    }
    eprintln!(
        "a week offline: {attempts} attempts, longest wait {} s, {delivered} items delivered {} s after the network returned",
        longest_wait / 1000,
        (rig.now - back) / 1000
    );
    assert_eq!(delivered, recorded, "everything queued arrived");
    assert_eq!(
        rig.engine.stats().dropped.get(DropReason::RetryExhausted),
        0
    );
}
