//! systemd readiness notification (`Type=notify`): `READY=1` once the node serves HTTP,
//! `STOPPING=1` when it begins to shut down.
//!
//! The protocol is one datagram per message to the unix socket named by
//! `$NOTIFY_SOCKET` (sd_notify(3)); a name starting with `@` is in the abstract
//! namespace. Written here with std rather than a libsystemd binding so the binary
//! gains no dependency. Outside systemd (no `$NOTIFY_SOCKET`) every call does nothing,
//! and a failure is logged, never fatal: a node that serves is more use than one that
//! exits because its supervisor went away.

use std::os::unix::net::UnixDatagram;

use tracing::warn;

/// The variable systemd sets for `Type=notify` services.
const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// Tells the service manager the node serves (`READY=1`) and where.
pub fn ready(api_url: &str) {
    send(&format!("READY=1\nSTATUS=serving on {api_url}\n"));
}

/// Tells the service manager the node is stopping (`STOPPING=1`).
pub fn stopping() {
    send("STOPPING=1\nSTATUS=shutting down\n");
}

fn send(message: &str) {
    let Some(path) = std::env::var_os(NOTIFY_SOCKET) else {
        return;
    };
    if let Err(error) = send_to(&path, message) {
        warn!(socket = ?path, %error, "cannot notify the service manager");
    }
}

/// Sends one datagram to the socket at `path` (a filesystem path or `@abstract`).
fn send_to(path: &std::ffi::OsStr, message: &str) -> std::io::Result<()> {
    let socket = UnixDatagram::unbound()?;
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path);
    match bytes.strip_prefix(b"@") {
        Some(name) => send_abstract(&socket, name, message),
        None => socket.send_to(message.as_bytes(), path).map(drop),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_abstract(socket: &UnixDatagram, name: &[u8], message: &str) -> std::io::Result<()> {
    use std::os::linux::net::SocketAddrExt;
    let address = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
    socket.send_to_addr(message.as_bytes(), &address).map(drop)
}

/// Abstract sockets exist only on Linux; systemd never hands one out elsewhere.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn send_abstract(_socket: &UnixDatagram, _name: &[u8], _message: &str) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "abstract unix sockets are Linux-only",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reaches_a_path_socket_and_an_abstract_one() {
        let temp = tempfile::tempdir().expect("temp dir");
        let path = temp.path().join("notify");
        let listener = UnixDatagram::bind(&path).expect("bind");
        send_to(path.as_os_str(), "READY=1\n").expect("send");
        let mut buffer = [0u8; 64];
        let length = listener.recv(&mut buffer).expect("receive");
        assert_eq!(&buffer[..length], b"READY=1\n");

        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let name = format!("ensemble-notify-test-{}", std::process::id());
            let address =
                std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).expect("name");
            let listener = UnixDatagram::bind_addr(&address).expect("bind abstract");
            send_to(std::ffi::OsStr::new(&format!("@{name}")), "STOPPING=1\n").expect("send");
            let length = listener.recv(&mut buffer).expect("receive");
            assert_eq!(&buffer[..length], b"STOPPING=1\n");
        }
    }
}
