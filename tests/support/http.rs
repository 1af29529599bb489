//! The one HTTP/1.1 client of the tests and benchmarks, on `std::net::TcpStream`: one request per
//! connection (`Connection: close`), the answer read to the end and chunked bodies decoded, so
//! that what is tested is the bytes on the wire and nothing a client library would smooth over.
//! Also the two halves of the tests' small fake servers and proxies: reading one request, and
//! forwarding it to the simulator.

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use soarform::sim::SimServer;

use super::TOKEN;

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body, with a chunked transfer encoding undone.
    pub body: String,
    /// Every byte received, as text (lossily), for checks of the wire format itself.
    pub raw: String,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON; the test fails if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("response is not JSON ({error}): {}", self.body))
    }

    /// The `description` of an application error, checking its shape (`error` and
    /// `description` only) and status.
    pub fn application_error(&self, status: u16, error: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        let body = self.json();
        let object = body.as_object().expect("error body is an object");
        assert_eq!(object.len(), 2, "{body}");
        assert_eq!(body["error"], error, "{body}");
        body["description"]
            .as_str()
            .expect("description is a string")
            .to_string()
    }
}

/// `Authorization` for a Bearer token.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `Authorization` for an access id and key (HTTP Basic).
pub fn basic(id: &str, key: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{key}")))
}

/// Sends one request on a fresh connection (`Connection: close`, with `Content-Length` when
/// there is a body) and reads the whole answer.
pub fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or_default());
    parse_response(&exchange(address, &request))
}

/// Writes `request` as it is on a fresh connection and returns every byte sent back until the
/// server closes it (a reset connection counts as closed).
pub fn exchange(address: SocketAddr, request: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).expect("connects to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("sets a read timeout");
    stream
        .write_all(request.as_bytes())
        .expect("sends the request");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    raw
}

/// A JSON request to the simulator with the test token, as a person or another tool would send
/// it: the status and the JSON body (`null` when the body is not JSON).
pub fn call(server: &SimServer, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    let authorization = bearer(TOKEN);
    let response = send(
        server.addr(),
        method,
        path,
        &[
            ("Authorization", &authorization),
            ("Content-Type", "application/json"),
        ],
        Some(&body),
    );
    (
        response.status,
        serde_json::from_str(&response.body).unwrap_or(Value::Null),
    )
}

/// Creates an object through the HTTP API directly, as a person or another tool would; returns
/// the answer's body.
pub fn create_through_api(server: &SimServer, path: &str, body: &Value) -> Value {
    call(server, "POST", path, Some(body)).1
}

/// Splits a response into status, headers and body; the test fails on a malformed one.
pub fn parse_response(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("incomplete response: {text:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        decode_chunked(body)
    } else {
        body.to_string()
    };
    Response {
        status,
        headers,
        body,
        raw: text.to_string(),
    }
}

fn decode_chunked(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16)
            .unwrap_or_else(|error| panic!("bad chunk size {size:?}: {error}"));
        if size == 0 {
            break;
        }
        let (chunk, next) = after
            .split_at_checked(size)
            .unwrap_or_else(|| panic!("chunk of {size} bytes cut short: {after:?}"));
        body.push_str(chunk);
        rest = next.strip_prefix("\r\n").unwrap_or(next);
    }
    body
}

/// The head and body of one HTTP/1.1 request, `None` at the end of the connection: for the small
/// fake servers and proxies some tests put in front of the client.
pub fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut reader = std::io::BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// Sends one request read by [`read_request`] on to `upstream` (the simulator) with
/// `Connection: close`, and its answer back on `stream`: the forwarding half of the tests' proxies.
pub fn forward(stream: &mut TcpStream, upstream: SocketAddr, head: &str, body: &[u8]) {
    let Ok(mut upstream) = TcpStream::connect(upstream) else {
        return;
    };
    // One request per connection: the simulator's answer says `connection: close` in turn.
    let head: String = head
        .split_inclusive("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    let _ = write!(
        upstream,
        "{}\r\nConnection: close\r\n\r\n",
        head.trim_end_matches("\r\n")
    );
    let _ = upstream.write_all(body);
    let mut answer = Vec::new();
    let _ = upstream.read_to_end(&mut answer);
    let _ = stream.write_all(&answer);
    let _ = stream.flush();
}
