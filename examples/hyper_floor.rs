//! The floor under the gateway's throughput, for `benches/gateway_vs_nginx.py`: hyper's
//! HTTP/1 server and client and nothing else. Each client connection gets one upstream
//! connection; requests go on as they came, with no checks, no key, no pool, no timers and
//! no log. Not a proxy to use: it forwards anything to anyone who can reach it.
//!
//! ```text
//! cargo build --release --features cli --example hyper_floor
//! target/release/examples/hyper_floor 127.0.0.1:LISTEN 127.0.0.1:UPSTREAM THREADS
//! ```
//!
//! Serves on THREADS threads, each with a single-threaded Tokio runtime, as the gateway
//! does. Prints one line once it listens. Loopback addresses only.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, upstream, threads] = args.as_slice() else {
        eprintln!("usage: hyper_floor LISTEN UPSTREAM THREADS (loopback addresses)");
        std::process::exit(2);
    };
    let listen: SocketAddr = listen.parse().expect("LISTEN is an address:port");
    let upstream: SocketAddr = upstream.parse().expect("UPSTREAM is an address:port");
    let threads: usize = threads.parse().expect("THREADS is a number");
    assert!(
        listen.ip().is_loopback() && upstream.ip().is_loopback(),
        "loopback addresses only"
    );
    let listener = std::net::TcpListener::bind(listen).expect("bind LISTEN");
    listener.set_nonblocking(true).expect("non-blocking listener");
    println!("http://{}", listener.local_addr().expect("local address"));
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let listener = listener.try_clone().expect("a copy of the listener");
            std::thread::spawn(move || serve(listener, upstream))
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
}

fn serve(listener: std::net::TcpListener, upstream: SocketAddr) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        loop {
            let Ok((client, _)) = listener.accept().await else {
                continue;
            };
            tokio::task::spawn_local(async move {
                let _ = relay(client, upstream).await;
            });
        }
    });
}

async fn relay(client: tokio::net::TcpStream, upstream: SocketAddr) -> Result<(), hyper::Error> {
    let _ = client.set_nodelay(true);
    let Ok(up) = tokio::net::TcpStream::connect(upstream).await else {
        return Ok(());
    };
    let _ = up.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(up)).await?;
    tokio::task::spawn_local(connection);
    let sender: Rc<RefCell<SendRequest<Incoming>>> = Rc::new(RefCell::new(sender));
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let sender = sender.clone();
        async move {
            // HTTP/1 serves one request at a time: the connection is free once ready.
            std::future::poll_fn(|cx| sender.borrow_mut().poll_ready(cx)).await?;
            let answer = sender.borrow_mut().send_request(req);
            answer.await
        }
    });
    hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(client), service)
        .await
}
