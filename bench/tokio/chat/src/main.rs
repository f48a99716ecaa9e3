//! tokio-chat: the broadcast chat yardstick for lessons 04 and 05.
//!
//! Written the way the Tokio chat tutorial teaches it: one task per client,
//! and in each task a `select!` between the client's socket and a
//! `tokio::sync::broadcast` channel that every task subscribes to. It speaks
//! the lessons' wire protocol for plain lines: a newcomer is welcomed as
//! `guestN`, the others see `* guestN joined`, and a line `text` from guestN
//! reaches everyone else as `guestN: text`. (The lessons' /commands are left
//! out: the benchmark does not use them.)
//!
//! What differs from the tutorial, so that no line is lost (see bench/README.md):
//!   * lines are read with `read()` into our own buffer, which is cancel-safe
//!     inside `select!` (a half-read line survives when the channel wins);
//!   * every write is `write_all`, never a bare `write`, and the lines
//!     already waiting in the channel go out in one write_all (the
//!     tutorial's BufWriter flushes after every line);
//!   * the channel holds CHANNEL_LINES lines; a receiver that falls further
//!     behind (`Lagged`) is told and disconnected, never silently skipped;
//!   * a line over MAX_LINE bytes closes the connection, as in lesson 04.
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::broadcast::{self, Receiver, Sender};

const MAX_LINE: usize = 4096; // as lesson 04
const CHANNEL_LINES: usize = 16 * 1024; // lines a receiver may fall behind
const WRITE_BATCH: usize = 16 * 1024; // bytes gathered before one write_all

/// One broadcast line: who sent it (so the sender can skip its own) and the bytes.
#[derive(Clone)]
struct Line {
    from: u64,
    text: Arc<[u8]>,
}

fn parse_args() -> (String, String) {
    let (mut host, mut port) = ("127.0.0.1".to_string(), "7014".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--host" => host = args.next().expect("--host ADDR"),
            "--port" => port = args.next().expect("--port PORT"),
            _ => {
                eprintln!("usage: tokio-chat [--host ADDR] [--port PORT]");
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
    // The lessons' readiness line: tests and bench/run.sh wait for it.
    println!("listening on {}", listener.local_addr()?);
    let (tx, _) = broadcast::channel::<Line>(CHANNEL_LINES);
    let mut guests = 0u64;
    loop {
        let (socket, _) = listener.accept().await?;
        socket.set_nodelay(true)?; // as the lessons: no Nagle stalls
        guests += 1;
        // Subscribe here, not in the task: a client is in the room from the
        // moment it is accepted, as in the lessons, even before its task runs.
        let (tx, rx) = (tx.clone(), tx.subscribe());
        tokio::spawn(async move {
            if let Err(e) = handle_client(socket, tx, rx, guests).await {
                eprintln!("guest{guests}: {e}");
            }
        });
    }
}

async fn handle_client(
    mut socket: TcpStream,
    tx: Sender<Line>,
    mut rx: Receiver<Line>,
    id: u64,
) -> std::io::Result<()> {
    let nick = format!("guest{id}");
    let (mut reader, mut writer) = socket.split();
    writer.write_all(format!("welcome, {nick}! /help lists the commands\n").as_bytes()).await?;
    let _ = tx.send(Line { from: id, text: format!("* {nick} joined\n").into_bytes().into() });

    let mut input = Vec::with_capacity(1024); // bytes of a line not yet whole
    let mut chunk = [0u8; 1024];
    let mut out = Vec::new(); // lines from the channel, written in one go
    let result = loop {
        tokio::select! {
            got = rx.recv() => {
                // Take every line already waiting, then write them with one
                // write_all (the tutorial's BufWriter + flush, per batch):
                // one system call per line would fall behind at 1,000.
                let mut got = got;
                loop {
                    match got {
                        Ok(line) if line.from != id => out.extend_from_slice(&line.text),
                        Ok(_) => {}
                        Err(RecvError::Lagged(n)) => {
                            let _ = writer.write_all(&out).await;
                            let _ = writer.write_all(format!("error: {n} lines behind; disconnected\n").as_bytes()).await;
                            return Ok(());
                        }
                        Err(RecvError::Closed) => return Ok(()),
                    }
                    if out.len() >= WRITE_BATCH {
                        break;
                    }
                    got = match rx.try_recv() {
                        Ok(line) => Ok(line),
                        Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                        Err(TryRecvError::Closed) => Err(RecvError::Closed),
                        Err(TryRecvError::Empty) => break,
                    };
                }
                writer.write_all(&out).await?;
                out.clear();
            },
            // read() is cancel-safe: if the channel wins, no byte was taken.
            n = reader.read(&mut chunk) => {
                let n = n?;
                if n == 0 {
                    break Ok(()); // EOF
                }
                input.extend_from_slice(&chunk[..n]);
                while let Some(end) = input.iter().position(|&b| b == b'\n') {
                    let mut text = &input[..end];
                    if text.last() == Some(&b'\r') {
                        text = &text[..text.len() - 1];
                    }
                    let mut out = Vec::with_capacity(nick.len() + 3 + text.len());
                    out.extend_from_slice(nick.as_bytes());
                    out.extend_from_slice(b": ");
                    out.extend_from_slice(text);
                    out.push(b'\n');
                    let _ = tx.send(Line { from: id, text: out.into() });
                    input.drain(..=end);
                }
                if input.len() > MAX_LINE + 1 {
                    writer.write_all(b"error: line too long; closing\n").await?;
                    break Ok(());
                }
            }
        }
    };
    let _ = tx.send(Line { from: id, text: format!("* {nick} left\n").into_bytes().into() });
    result
}
