//! Shared helpers: an in-process server on port 0, an HTTP client, batch builders.
#![allow(dead_code)]

use std::io::Write;
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use mock_server::{serve_until, Config};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A mock collector running inside the test process; stopped when dropped.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            serve_until(listener, config, async {
                let _ = stopped.await;
            })
            .await
            .expect("server failed");
        });
        TestServer {
            base: format!("http://127.0.0.1:{port}"),
            client: client(),
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs a JSON value as a plain body, with `X-Batch-Id` when it has a `batch_id`.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap());
        if let Some(batch_id) = body.get("batch_id").and_then(Value::as_str) {
            request = request.header("x-batch-id", batch_id);
        }
        request.send().await.expect("request failed")
    }

    /// POSTs raw bytes with optional extra headers.
    pub async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request failed")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("GET failed");
        assert!(
            response.status().is_success(),
            "GET {path} answered {}",
            response.status()
        );
        response.json().await.expect("GET did not answer JSON")
    }

    pub async fn stats(&self) -> Value {
        self.get_json("/__mock/stats").await
    }

    pub async fn add_faults(&self, spec: Value) {
        let response = self
            .client
            .post(self.url("/__mock/faults"))
            .json(&spec)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "faults refused: {}",
            response.text().await.unwrap()
        );
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A client that never uses a proxy and gives up after 20 s, so no test can hang.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// The item type carried by an endpoint.
pub fn item_type(endpoint: &str) -> &'static str {
    match endpoint {
        "events" => "event",
        "errors" => "error",
        "performance" => "timing",
        "feedback" => "feedback",
        other => panic!("no items on {other}"),
    }
}

/// A valid wire-format v1 batch for `endpoint` with the given item ids.
pub fn batch(endpoint: &str, batch_id: &str, item_ids: &[&str]) -> Value {
    let items: Vec<Value> = item_ids
        .iter()
        .map(|id| json!({ "id": id, "type": item_type(endpoint), "name": "feature_used", "ts": 1763719200000u64, "props": {} }))
        .collect();
    json!({
        "batch_id": batch_id,
        "sent_at": "2026-11-21T10:00:00.000Z",
        "sdk": { "name": "mv3-telemetry", "version": "0.1.0" },
        "anonymous_id": "6f1c0000-0000-4000-8000-000000000000",
        "session_id": "s-1",
        "context": { "app_version": "1.0.2", "environment": "production", "browser": "Chrome 156", "os": "linux", "locale": "en-US" },
        "items": items,
        "dropped": { "queue_full": 0, "sampled": 0, "before_send": 0, "rejected": 0, "invalid": 0 }
    })
}

/// A valid deletion request.
pub fn deletion(anonymous_id: &str) -> Value {
    json!({ "anonymous_id": anonymous_id, "requested_at": "2026-11-21T10:00:00.000Z" })
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    // Fast level: debug-built deflate is slow, and the level does not matter to the server.
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}
