//! The process's shutdown, as every part that must react to it sees it: job tasks stop after
//! the chunk in hand, progress streams end (so that waiting for requests in flight ends),
//! and `/readyz` answers 503 so that a load balancer stops sending requests.

use std::sync::LazyLock;
use tokio_util::sync::CancellationToken;

static SHUTDOWN: LazyLock<CancellationToken> = LazyLock::new(CancellationToken::new);

/// Starts the shutdown (on SIGTERM or Ctrl-C). Cannot be undone.
pub fn begin_shutdown() {
    SHUTDOWN.cancel();
}

pub fn shutting_down() -> bool {
    SHUTDOWN.is_cancelled()
}

/// Completes when the shutdown begins.
pub async fn shutdown_begun() {
    SHUTDOWN.cancelled().await
}
