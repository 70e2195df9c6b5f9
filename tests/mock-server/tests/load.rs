//! Load check: 200 concurrent clients send 10,000 batches; everything is counted and
//! memory stays within the configured bounds. Prints requests per second.
//!
//! The clients speak HTTP/1.1 over keep-alive sockets by hand: a debug-built HTTP
//! client costs more CPU than the server it is measuring, and the machine has two cores.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{gzip, TestServer};
use mock_server::Config;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CLIENTS: usize = 200;
const BATCHES: usize = 10_000;
const ITEMS_PER_BATCH: usize = 5;
const MAX_BATCHES: usize = 1_000;

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A wire-format v1 events batch with unique item ids, as JSON text.
fn batch_json(n: usize) -> String {
    let items: Vec<String> = (0..ITEMS_PER_BATCH)
        .map(|i| {
            format!(
                r#"{{"id":"item-{n}-{i}","type":"event","name":"load_test","ts":1763719200000,"props":{{"i":{i}}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"batch_id":"batch-{n}","sent_at":"2026-11-21T10:00:00.000Z","sdk":{{"name":"mv3-telemetry","version":"0.1.0"}},"anonymous_id":"anon-{n}","session_id":"s","context":{{"environment":"load"}},"items":[{}],"dropped":{{"queue_full":0}}}}"#,
        items.join(",")
    )
}

/// One prepared request: the whole HTTP/1.1 message, ready to write.
fn request_bytes(address: &str, n: usize) -> Vec<u8> {
    let json = batch_json(n).into_bytes();
    // A quarter of the batches are compressed: enough to load the gzip path, while
    // keeping the test's own (debug-built) deflate time small.
    let (body, encoding) = if n.is_multiple_of(4) {
        (gzip(&json), "content-encoding: gzip\r\n")
    } else {
        (json, "")
    };
    let mut message = format!(
        "POST /v1/events HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         x-batch-id: batch-{n}\r\n{encoding}content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    message.extend_from_slice(&body);
    message
}

/// Sends prepared requests one after another on one keep-alive connection; returns the
/// status codes received.
async fn run_client(address: String, requests: Vec<Vec<u8>>) -> std::io::Result<Vec<u16>> {
    let stream = TcpStream::connect(&address).await?;
    stream.set_nodelay(true)?;
    let mut stream = BufReader::new(stream);
    let mut statuses = Vec::with_capacity(requests.len());
    let mut line = String::new();
    for request in requests {
        stream.get_mut().write_all(&request).await?;
        line.clear();
        stream.read_line(&mut line).await?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let mut content_length = 0usize;
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 || line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; content_length];
        stream.read_exact(&mut body).await?;
        statuses.push(status);
    }
    Ok(statuses)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_clients_sending_ten_thousand_batches_are_all_counted() {
    let server = Arc::new(
        TestServer::start_with(Config {
            max_batches: MAX_BATCHES,
            max_requests: MAX_BATCHES,
            ..Config::default()
        })
        .await,
    );
    let address = server.base.trim_start_matches("http://").to_owned();
    let rss_before = resident_kib();

    // Requests are built before the clock starts so the figure measures the server.
    let mut per_client: Vec<Vec<Vec<u8>>> = vec![Vec::new(); CLIENTS];
    for n in 0..BATCHES {
        per_client[n % CLIENTS].push(request_bytes(&address, n));
    }

    // While the load runs, the control API must keep answering and the store stay bounded.
    let done = Arc::new(AtomicBool::new(false));
    let probe = {
        let server = Arc::clone(&server);
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut probes = 0u32;
            let mut peak_stored = 0u64;
            while !done.load(Ordering::Relaxed) && probes < 1_200 {
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

    let started = Instant::now();
    let clients: Vec<_> = per_client
        .into_iter()
        .map(|requests| tokio::spawn(run_client(address.clone(), requests)))
        .collect();
    let all_answered = async {
        let mut statuses = Vec::with_capacity(BATCHES);
        for client in clients {
            statuses.extend(client.await.unwrap().expect("a client lost its connection"));
        }
        statuses
    };
    let statuses = tokio::time::timeout(Duration::from_secs(120), all_answered)
        .await
        .expect("the load did not finish within 120 s");
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let (probes, peak_stored) = probe.await.unwrap();

    let stats = server.stats().await;
    let info = server.get_json("/__mock/info").await;
    let rss_after = resident_kib();
    println!(
        "load: {BATCHES} batches ({} items) from {CLIENTS} concurrent clients in {:.2} s = {:.0} requests/s; \
         {probes} control probes answered meanwhile; peak stored batches {peak_stored} (limit {MAX_BATCHES}); \
         resident memory of the test process {:?} KiB before, {:?} KiB after",
        BATCHES * ITEMS_PER_BATCH,
        elapsed.as_secs_f64(),
        BATCHES as f64 / elapsed.as_secs_f64(),
        rss_before,
        rss_after,
    );

    assert_eq!(statuses.len(), BATCHES);
    assert!(
        statuses.iter().all(|&status| status == 200),
        "every batch was answered 200"
    );
    assert_eq!(stats["requests"], BATCHES);
    assert_eq!(stats["batches"], BATCHES);
    assert_eq!(stats["items"], BATCHES * ITEMS_PER_BATCH);
    assert_eq!(stats["unique_items"], BATCHES * ITEMS_PER_BATCH);
    assert_eq!(stats["duplicate_item_ids"], 0);
    assert_eq!(stats["duplicate_batch_ids"], 0);
    assert_eq!(stats["per_status"]["200"], BATCHES);
    assert_eq!(info["stored_batches"], MAX_BATCHES);
    assert_eq!(info["stored_requests"], MAX_BATCHES);
    assert!(probes > 0, "the control API answered during the load");
}
