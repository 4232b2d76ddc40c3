//! A tiny HTTP/1.1 server on 127.0.0.1 for the node-client tests: it records every request and
//! answers each with what the test's handler decides, including misbehaving on purpose
//! (hanging, dropping the connection, answering late). Our own test stand-in, not an MEE node.
//! Its tasks stop when the test's runtime ends or the [`Server`] is dropped.

#![allow(dead_code, unreachable_pub)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// One request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `GET`, `POST`.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body text.
    pub body: String,
}

impl Recorded {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
#[derive(Clone, Debug)]
pub enum Action {
    /// Answer with this status, content type and body.
    Respond { status: u16, content_type: &'static str, body: String },
    /// Keep the connection open and never answer.
    Hang,
    /// Close the connection without answering.
    Drop,
    /// Send a head announcing `declared` body bytes, then only `body`, then close.
    Truncated { declared: usize, body: String },
    /// Wait, then do the inner action.
    After(Duration, Box<Self>),
}

/// A JSON answer.
pub fn json_response(status: u16, body: &str) -> Action {
    Action::Respond { status, content_type: "application/json", body: body.to_owned() }
}

type Handler = dyn Fn(&Recorded) -> Action + Send + Sync;

/// The running server.
pub struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Binds 127.0.0.1 on a free port and serves `handler`.
    pub async fn start(handler: impl Fn(&Recorded) -> Action + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (handler, recorded) = (handler.clone(), recorded.clone());
                tokio::spawn(async move { serve(stream, &*handler, &recorded).await });
            }
        });
        Self { port, requests, task }
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `127.0.0.1:{port}`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, handler: &Handler, recorded: &Mutex<Vec<Recorded>>) {
    loop {
        let Some(request) = read_request(&mut stream).await else { return };
        recorded.lock().unwrap().push(request.clone());
        let mut action = handler(&request);
        loop {
            match action {
                Action::After(delay, inner) => {
                    tokio::time::sleep(delay).await;
                    action = *inner;
                }
                Action::Hang => {
                    // Hold the connection until the client gives up.
                    let mut sink = [0u8; 1024];
                    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                    return;
                }
                Action::Drop => return,
                Action::Truncated { declared, body } => {
                    let head = format!(
                        "HTTP/1.1 200 Test\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n{body}"
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    return;
                }
                Action::Respond { status, content_type, body } => {
                    let head = format!(
                        "HTTP/1.1 {status} Test\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    if stream.write_all(head.as_bytes()).await.is_err()
                        || stream.write_all(body.as_bytes()).await.is_err()
                    {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded { method, target, headers, body: String::from_utf8_lossy(&body).into_owned() })
}
