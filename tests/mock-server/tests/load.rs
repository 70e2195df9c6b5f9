//! Load check: 200 concurrent clients send 10,000 batches; everything is counted and
//! memory stays within the configured bounds. Prints requests per second.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{batch, client, gzip, TestServer};
use mock_server::Config;
use serde_json::Value;

const CLIENTS: usize = 200;
const BATCHES: usize = 10_000;
const ITEMS_PER_BATCH: usize = 5;
const MAX_BATCHES: usize = 1_000;

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_clients_sending_ten_thousand_batches_are_all_counted() {
    let server = Arc::new(
        TestServer::start_with(Config { max_batches: MAX_BATCHES, max_requests: MAX_BATCHES, ..Config::default() }).await,
    );
    let rss_before = resident_kib();
    let failures = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));

    // While the load runs, the control API must keep answering and the store stay bounded.
    let probe = {
        let server = Arc::clone(&server);
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut probes = 0u32;
            let mut peak_stored = 0u64;
            while !done.load(Ordering::Relaxed) && probes < 600 {
                let info: Value = server.get_json("/__mock/info").await;
                let stored = info["stored_batches"].as_u64().unwrap();
                assert!(stored <= MAX_BATCHES as u64, "stored {stored} batches");
                assert!(info["stored_requests"].as_u64().unwrap() <= MAX_BATCHES as u64);
                peak_stored = peak_stored.max(stored);
                probes += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (probes, peak_stored)
        })
    };

    // Bodies are built before the clock starts so the figure measures the server, not
    // the test's own JSON and gzip encoding.
    let mut bodies: Vec<Vec<(String, bool, Vec<u8>)>> = vec![Vec::new(); CLIENTS];
    for n in 0..BATCHES {
        let ids: Vec<String> = (0..ITEMS_PER_BATCH).map(|i| format!("item-{n}-{i}")).collect();
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let batch_id = format!("batch-{n}");
        let json = serde_json::to_vec(&batch("events", &batch_id, &id_refs)).unwrap();
        // Every other batch is compressed, as the SDK does by default.
        let compressed = n % 2 == 0;
        let body = if compressed { gzip(&json) } else { json };
        bodies[n % CLIENTS].push((batch_id, compressed, body));
    }

    let started = Instant::now();
    let mut clients = Vec::with_capacity(CLIENTS);
    for own_bodies in bodies {
        let url = server.url("/v1/events");
        let failures = Arc::clone(&failures);
        clients.push(tokio::spawn(async move {
            let http = client();
            for (batch_id, compressed, body) in own_bodies {
                let mut request = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-batch-id", batch_id)
                    .body(body);
                if compressed {
                    request = request.header("content-encoding", "gzip");
                }
                match request.send().await {
                    Ok(response) if response.status() == 200 => {}
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let all_sent = async {
        for client in clients {
            client.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(120), all_sent).await.expect("load did not finish within 120 s");
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let (probes, peak_stored) = probe.await.unwrap();

    let stats = server.stats().await;
    let info = server.get_json("/__mock/info").await;
    let rss_after = resident_kib();
    println!(
        "load: {BATCHES} batches from {CLIENTS} clients in {:.2} s = {:.0} requests/s; \
         {probes} control probes answered; peak stored batches {peak_stored}; \
         resident memory {:?} KiB -> {:?} KiB (test process, clients included)",
        elapsed.as_secs_f64(),
        BATCHES as f64 / elapsed.as_secs_f64(),
        rss_before,
        rss_after,
    );

    assert_eq!(failures.load(Ordering::Relaxed), 0, "every batch was answered 200");
    assert_eq!(stats["requests"], BATCHES);
    assert_eq!(stats["batches"], BATCHES);
    assert_eq!(stats["items"], BATCHES * ITEMS_PER_BATCH);
    assert_eq!(stats["unique_items"], BATCHES * ITEMS_PER_BATCH);
    assert_eq!(stats["duplicate_item_ids"], 0);
    assert_eq!(stats["duplicate_batch_ids"], 0);
    assert_eq!(info["stored_batches"], MAX_BATCHES);
    assert_eq!(info["stored_requests"], MAX_BATCHES);
    assert!(probes > 0, "the control API answered during the load");
}
