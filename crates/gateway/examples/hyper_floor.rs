//! The floor under the gateway's throughput, for `benches/gateway_vs_nginx.py`: hyper's
//! HTTP/1 server and client and nothing else. Each client connection gets one upstream
//! connection; requests go on as they came, with no checks, no key, no pool, no timers and
//! no log. Not a proxy to use: it forwards anything to anyone who can reach it.
//!
//! ```text
//! cargo build --release -p aws-bedrock-token-gateway --example hyper_floor
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
    let (listen, upstream, threads) = match args.as_slice() {
        [listen, upstream, threads] => (
            listen.parse::<SocketAddr>().ok(),
            upstream.parse::<SocketAddr>().ok(),
            threads.parse::<usize>().ok(),
        ),
        _ => (None, None, None),
    };
    let (Some(listen), Some(upstream), Some(threads)) = (listen, upstream, threads) else {
        fail("usage: hyper_floor LISTEN UPSTREAM THREADS (loopback address:port, a number)");
    };
    if !listen.ip().is_loopback() || !upstream.ip().is_loopback() {
        fail("LISTEN and UPSTREAM must be loopback addresses");
    }
    let listener = std::net::TcpListener::bind(listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .unwrap_or_else(|e| fail(&format!("cannot listen on {listen}: {e}")));
    let Ok(local) = listener.local_addr() else {
        fail("the listener has no address");
    };
    println!("http://{local}");
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let listener = listener
                .try_clone()
                .unwrap_or_else(|e| fail(&format!("cannot share the listener: {e}")));
            std::thread::spawn(move || serve(listener, upstream))
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
}

fn fail(message: &str) -> ! {
    eprintln!("hyper_floor: {message}");
    std::process::exit(2);
}

fn serve(listener: std::net::TcpListener, upstream: SocketAddr) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start a runtime: {e}")));
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .unwrap_or_else(|e| fail(&format!("cannot use the listener: {e}")));
        loop {
            let Ok((client, _)) = listener.accept().await else {
                // Out of descriptors, say: a pause rather than a spin.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
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
