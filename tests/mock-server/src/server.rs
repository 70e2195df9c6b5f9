//! The accept loop. Connections are served by hand with hyper so that a handler can
//! close its own connection without answering (the `drop_connection` fault).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::error::Result;
use crate::routes::{router, AppState};
use crate::store::Store;
use crate::Config;

/// Lets a handler tear down the connection its request arrived on.
///
/// Dropping hyper's connection future closes the socket with no response written, which
/// is exactly what a client sees when a collector dies mid-request.
#[derive(Clone, Debug, Default)]
pub struct ConnectionKiller(Arc<Notify>);

impl ConnectionKiller {
    /// Closes the connection as soon as its task next runs.
    pub fn kill(&self) {
        self.0.notify_one();
    }

    async fn killed(&self) {
        self.0.notified().await;
    }
}

/// Serves the mock collector on `listener` until the process ends.
pub async fn serve(listener: TcpListener, config: Config) -> Result<()> {
    serve_until(listener, config, std::future::pending()).await
}

/// Serves the mock collector on `listener` until `shutdown` completes, then closes every
/// open connection and returns.
pub async fn serve_until(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let app = router(AppState::new(Store::new(config)?));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // Small JSON answers would otherwise wait on Nagle's algorithm.
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, app.clone()));
                }
                Err(err) => {
                    // Usually running out of file descriptors under load: back off, keep serving.
                    eprintln!("mock-server: accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    connections.shutdown().await;
    Ok(())
}

async fn serve_connection(stream: tokio::net::TcpStream, app: Router) {
    let killer = ConnectionKiller::default();
    let request_killer = killer.clone();
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(request_killer.clone());
        let request: Request = request.map(Body::new);
        let app = app.clone();
        async move {
            Ok::<_, Infallible>(
                app.oneshot(request)
                    .await
                    .unwrap_or_else(|never| match never {}),
            )
        }
    });
    let connection = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        // Connection errors (client went away, bad HTTP) end only this connection.
        _ = connection => {}
        () = killer.killed() => {}
    }
}
