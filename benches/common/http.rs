//! A minimal HTTP/1.1 keep-alive client for the load benchmarks: one request at a time per
//! connection, Content-Length or chunked bodies, so that
//! the figures measure the server, not a client library.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn open(address: std::net::SocketAddr) -> Connection {
        let stream = TcpStream::connect(address).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Connection { stream, buffer: Vec::new() }
    }

    /// Sends `method path` with the `headers` (each `Name: value`) and `body`; reads the
    /// status, the response's headers (lower-cased) and its body.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[String],
        body: &str,
    ) -> (u16, String, Vec<u8>) {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\n");
        for header in headers {
            request.push_str(header);
            request.push_str("\r\n");
        }
        if !body.is_empty() || method == "POST" {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        request.push_str(body);
        self.stream.write_all(request.as_bytes()).await.unwrap();
        let end = loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            self.read().await;
        };
        let head = String::from_utf8_lossy(&self.buffer[..end]).to_ascii_lowercase();
        self.buffer.drain(..end + 4);
        let status: u16 = head[9..12].parse().unwrap();
        let length =
            head.lines().find_map(|l| l.strip_prefix("content-length:")).map(|v| v.trim().parse().unwrap());
        let body = match length {
            Some(length) => self.take(length).await,
            // A streamed page (`Transfer-Encoding: chunked`): size lines, chunks, an empty one.
            None => {
                let mut body = Vec::new();
                loop {
                    let size_line = self.line().await;
                    let size =
                        usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16).unwrap();
                    body.extend(self.take(size).await);
                    self.line().await;
                    if size == 0 {
                        break body;
                    }
                }
            }
        };
        (status, head, body)
    }

    async fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buffer.len() < n {
            self.read().await;
        }
        self.buffer.drain(..n).collect()
    }

    async fn line(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
                self.buffer.drain(..end + 2);
                return line;
            }
            self.read().await;
        }
    }

    async fn read(&mut self) {
        let mut chunk = [0u8; 64 * 1024];
        let n = self.stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        self.buffer.extend_from_slice(&chunk[..n]);
    }
}

pub fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// One request of a load.
#[derive(Clone)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<String>,
    pub body: String,
}

/// `clients` keep-alive connections for `seconds`, each sending one request after the other:
/// what its client (made by `client`) asks for, given the previous answer's body. Every answer
/// must be a 200. Returns every latency (sorted) and the requests per second.
pub async fn load<C>(
    address: std::net::SocketAddr,
    clients: usize,
    seconds: u64,
    client: impl Fn() -> C,
) -> (Vec<Duration>, f64)
where
    C: FnMut(Option<&[u8]>) -> Request + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (stop, mut next) = (stop.clone(), client());
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await;
            let mut times = Vec::new();
            let mut previous: Option<Vec<u8>> = None;
            while !stop.load(Ordering::Relaxed) {
                let request = next(previous.as_deref());
                let at = Instant::now();
                let (status, _, body) =
                    connection.send(request.method, &request.path, &request.headers, &request.body).await;
                times.push(at.elapsed());
                assert_eq!(
                    status,
                    200,
                    "{} {}: {}",
                    request.method,
                    request.path,
                    String::from_utf8_lossy(&body)
                );
                previous = Some(body);
            }
            times
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort();
    (all, rate)
}
