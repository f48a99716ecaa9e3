//! tokio-rpc: the JSON-RPC yardstick for lesson 03.
//!
//! Written the way the Tokio JSON-RPC tutorial teaches it: one task per
//! connection, a `BufReader` giving one line at a time, serde_json with
//! derived request/response types, one JSON text per line each way. Enough
//! of JSON-RPC 2.0 for the benchmark and the common errors: `ping` -> "pong",
//! `echo` -> its params, parse error, invalid request, method not found.
//! Batches are answered with "invalid request" (lesson 03 handles them).
//!
//! What differs from the tutorial, so no request is lost or unbounded:
//!   * a line is read through `take(MAX_LINE + 2)`: a longer one gets an
//!     error and the connection is closed, as in lesson 03 (64 KiB);
//!   * every reply goes out with `write_all`;
//!   * a notification (no "id") gets no reply, as the standard says.
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const MAX_LINE: usize = 64 * 1024; // as lesson 03

#[derive(Deserialize)]
struct Request {
    jsonrpc: String,
    method: String,
    #[serde(default)]
    params: Option<Value>,
    #[serde(default)]
    id: Option<Value>,
}

#[derive(Serialize)]
struct RpcError {
    code: i32,
    message: &'static str,
}

#[derive(Serialize)]
struct Response {
    jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<RpcError>,
    id: Value,
}

fn error(code: i32, message: &'static str, id: Value) -> Response {
    Response { jsonrpc: "2.0", result: None, error: Some(RpcError { code, message }), id }
}

/// One line in, at most one reply out (None: a notification).
fn handle_line(line: &str) -> Option<Response> {
    let value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(_) => return Some(error(-32700, "Parse error", Value::Null)),
    };
    let request: Request = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(_) => return Some(error(-32600, "Invalid Request", Value::Null)),
    };
    if request.jsonrpc != "2.0" {
        return Some(error(-32600, "Invalid Request", request.id.unwrap_or(Value::Null)));
    }
    let id = request.id?; // no id: a notification, no reply
    Some(match request.method.as_str() {
        "ping" => Response { jsonrpc: "2.0", result: Some(Value::from("pong")), error: None, id },
        "echo" => Response { jsonrpc: "2.0", result: request.params, error: None, id },
        _ => error(-32601, "Method not found", id),
    })
}

fn parse_args() -> (String, String) {
    let (mut host, mut port) = ("127.0.0.1".to_string(), "7013".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--host" => host = args.next().expect("--host ADDR"),
            "--port" => port = args.next().expect("--port PORT"),
            _ => {
                eprintln!("usage: tokio-rpc [--host ADDR] [--port PORT]");
                std::process::exit(2);
            }
        }
    }
    (host, port)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (host, port) = parse_args();
    let listener = TcpListener::bind(format!("{host}:{port}")).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (socket, peer) = listener.accept().await?;
        socket.set_nodelay(true)?;
        tokio::spawn(async move {
            if let Err(e) = handle_client(socket).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

async fn handle_client(mut socket: TcpStream) -> std::io::Result<()> {
    let (reader, mut writer) = socket.split();
    let mut reader = BufReader::new(reader);
    let mut line = String::new();
    loop {
        line.clear();
        let n = (&mut reader).take(MAX_LINE as u64 + 2).read_line(&mut line).await?;
        if n == 0 {
            return Ok(()); // EOF
        }
        if !line.ends_with('\n') && n == MAX_LINE + 2 {
            let reply = serde_json::to_string(&error(-32600, "line too long", Value::Null))?;
            writer.write_all(format!("{reply}\n").as_bytes()).await?;
            return Ok(());
        }
        if let Some(response) = handle_line(line.trim_end()) {
            let mut out = serde_json::to_vec(&response)?;
            out.push(b'\n');
            writer.write_all(&out).await?;
        }
    }
}
