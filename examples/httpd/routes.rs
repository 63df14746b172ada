//! What `httpd` answers: the built-in routes (`/`, `/stats`, `/bytes/N`, `PUT /upload`),
//! files under `--root`, and the error responses. Pure functions from a request line to
//! a [`Response`]; the connection module sends it.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Component, Path, PathBuf};

use super::{HttpStats, Snapshot};

/// The request methods the server tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Put,
    Other,
}

impl Method {
    pub fn parse(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            _ => Method::Other,
        }
    }
}

/// A status code and its reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u16, pub &'static str);

pub const OK: Status = Status(200, "OK");
pub const BAD_REQUEST: Status = Status(400, "Bad Request");
pub const NOT_FOUND: Status = Status(404, "Not Found");
pub const METHOD_NOT_ALLOWED: Status = Status(405, "Method Not Allowed");
pub const CONTENT_TOO_LARGE: Status = Status(413, "Content Too Large");
pub const EXPECTATION_FAILED: Status = Status(417, "Expectation Failed");
pub const HEADERS_TOO_LARGE: Status = Status(431, "Request Header Fields Too Large");
pub const NOT_IMPLEMENTED: Status = Status(501, "Not Implemented");

/// A response body: generated, in memory, or streamed from a file.
pub enum Body {
    Text(String),
    /// `len` bytes of the `/bytes/N` pattern, generated into the send buffer.
    Pattern(u64),
    File {
        file: File,
        len: u64,
    },
}

impl Body {
    pub fn len(&self) -> u64 {
        match self {
            Body::Text(text) => text.len() as u64,
            Body::Pattern(len) | Body::File { len, .. } => *len,
        }
    }
}

/// A response before its head is written.
pub struct Response {
    pub status: Status,
    pub content_type: &'static str,
    /// `Allow` for a 405.
    pub allow: Option<&'static str>,
    pub body: Body,
}

impl Response {
    pub fn new(status: Status, content_type: &'static str, body: Body) -> Response {
        Response {
            status,
            content_type,
            allow: None,
            body,
        }
    }

    /// An error page: the status line again as plain text.
    pub fn error(status: Status) -> Response {
        let text = format!("{} {}\n", status.0, status.1);
        Response::new(status, "text/plain; charset=utf-8", Body::Text(text))
    }

    fn not_allowed(allow: &'static str) -> Response {
        Response {
            allow: Some(allow),
            ..Response::error(METHOD_NOT_ALLOWED)
        }
    }

    /// Whether the connection cannot carry on after this response: the request was
    /// malformed or refused, so what follows it on the wire cannot be trusted.
    pub fn ends_connection(&self) -> bool {
        matches!(self.status.0, 400 | 413 | 417 | 431 | 501)
    }
}

/// What the server does with a request, once its head has been read.
pub enum Action {
    Respond(Response),
    /// `PUT /upload`: digest the body, then answer with its length and SHA-256.
    Upload,
}

/// What `/` and `/stats` show: the server's counters, live, and the rest, a moment old.
pub struct Stats<'a> {
    pub http: &'a HttpStats,
    pub snapshot: &'a Snapshot,
}

/// Where the server looks, besides its built-in routes.
pub struct Site {
    /// `--root`, canonicalized.
    pub root: Option<PathBuf>,
}

/// Chooses the answer to `method path` (the path without its query).
pub fn route(method: Method, path: &str, site: &Site, stats: &Stats<'_>) -> Action {
    let read_only = matches!(method, Method::Get | Method::Head);
    let respond = match path {
        "/upload" if method == Method::Put => return Action::Upload,
        "/upload" => Response::not_allowed("PUT"),
        _ if !read_only && is_builtin(path) => Response::not_allowed("GET, HEAD"),
        "/" => Response::new(OK, "text/html; charset=utf-8", Body::Text(page(stats))),
        "/stats" => Response::new(OK, "application/json", Body::Text(stats_json(stats))),
        _ => match path.strip_prefix("/bytes/") {
            Some(n) => match n.parse::<u64>() {
                Ok(len) => Response::new(OK, "application/octet-stream", Body::Pattern(len)),
                Err(_) => Response::error(BAD_REQUEST),
            },
            None => match &site.root {
                Some(root) => match open_file(root, path) {
                    Ok(_) if !read_only => Response::not_allowed("GET, HEAD"),
                    Ok(found) => found,
                    Err(status) => Response::error(status),
                },
                None => Response::error(NOT_FOUND),
            },
        },
    };
    Action::Respond(respond)
}

fn is_builtin(path: &str) -> bool {
    matches!(path, "/" | "/stats") || path.starts_with("/bytes/")
}

/// The file under `root` that `path` names (`index.html` for a directory). A `..`
/// segment is a bad request; a path that leaves `root` through a symbolic link is not
/// found. Percent-escapes are not decoded, so `%2e%2e` is just a strange file name.
fn open_file(root: &Path, path: &str) -> Result<Response, Status> {
    let relative = Path::new(path.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(BAD_REQUEST);
    }
    let mut full = root.join(relative).canonicalize().map_err(|_| NOT_FOUND)?;
    if !full.starts_with(root) {
        return Err(NOT_FOUND);
    }
    if full.is_dir() {
        full.push("index.html");
    }
    let file = File::open(&full).map_err(|_| NOT_FOUND)?;
    let meta = file.metadata().map_err(|_| NOT_FOUND)?;
    if !meta.is_file() {
        return Err(NOT_FOUND);
    }
    let body = Body::File {
        file,
        len: meta.len(),
    };
    Ok(Response::new(OK, content_type(&full), body))
}

fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "css" => "text/css",
        "js" => "text/javascript",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// The front page: the counters, refreshed by the browser every two seconds.
fn page(s: &Stats<'_>) -> String {
    let tcp = &s.snapshot.tcp;
    let rows = [
        (
            "uptime",
            format!("{:.0} s", s.snapshot.started.elapsed().as_secs_f64()),
        ),
        ("connections served", s.http.connections.to_string()),
        ("connections open", s.http.active.to_string()),
        ("requests", s.http.requests.to_string()),
        ("bytes received", s.http.bytes_received.to_string()),
        ("bytes sent", s.http.bytes_sent.to_string()),
        (
            "TCP segments in / out",
            format!("{} / {}", tcp.segments_in, tcp.segments_out),
        ),
        ("TCP retransmissions", tcp.retransmits.to_string()),
    ];
    let mut html = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"2\"><title>skiff httpd</title></head>\n\
         <body><h1>skiff httpd</h1>\n\
         <p>Served by skiff, a TCP/IP stack in user space, on its own device.</p>\n<table>\n",
    );
    for (name, value) in rows {
        let _ = writeln!(
            html,
            "<tr><th align=\"left\">{name}</th><td>{value}</td></tr>"
        );
    }
    html.push_str(
        "</table>\n<p><a href=\"/stats\">/stats</a> (JSON) &middot; \
         <a href=\"/bytes/1048576\">/bytes/1048576</a> &middot; PUT /upload</p>\n\
         </body></html>\n",
    );
    html
}

/// `/stats`: every counter of the server, the listener, TCP (summed over the pool) and
/// the interface, as one JSON object.
fn stats_json(s: &Stats<'_>) -> String {
    let snapshot = s.snapshot;
    let uptime = snapshot.started.elapsed().as_secs_f64();
    let mut json = format!("{{\"uptime_s\":{uptime:.3}");
    let h = s.http;
    json_object(
        &mut json,
        "http",
        &[
            ("connections", h.connections),
            ("active", h.active),
            ("requests", h.requests),
            ("bytes_received", h.bytes_received),
            ("bytes_sent", h.bytes_sent),
            ("uploads", h.uploads),
        ],
    );
    let l = &snapshot.listener;
    json_object(
        &mut json,
        "listener",
        &[
            ("syns_received", l.syns_received),
            ("accepted", l.accepted),
            ("syn_dropped_full", l.syn_dropped_full),
            ("half_open_failed", l.half_open_failed),
            ("recycled", l.recycled),
        ],
    );
    let t = &snapshot.tcp;
    json_object(
        &mut json,
        "tcp",
        &[
            ("segments_in", t.segments_in),
            ("segments_out", t.segments_out),
            ("retransmits", t.retransmits),
            ("timeouts", t.timeouts),
            ("fast_retransmits", t.fast_retransmits),
            ("challenge_acks", t.challenge_acks),
            ("challenge_acks_suppressed", t.challenge_acks_suppressed),
            ("dropped", t.dropped),
            ("ooo_dropped", t.ooo_dropped),
            ("syns_dropped", t.syns_dropped),
        ],
    );
    // The interface's counters, one object per group: {"ipv4":{"rx":3,...},...}.
    json.push_str(",\"interface\":{");
    let mut group_now = "";
    for (group, name, value) in snapshot.iface.iter() {
        if group != group_now {
            if !group_now.is_empty() {
                json.push_str("},");
            }
            let _ = write!(json, "\"{group}\":{{");
            group_now = group;
        } else {
            json.push(',');
        }
        let short = name
            .strip_prefix(group)
            .and_then(|n| n.strip_prefix('_'))
            .unwrap_or(name);
        let _ = write!(json, "\"{short}\":{value}");
    }
    if !group_now.is_empty() {
        json.push('}');
    }
    json.push_str("}}\n");
    json
}

/// Appends `,"name":{"field":value,...}` (names are identifiers: nothing to escape).
fn json_object(json: &mut String, name: &str, fields: &[(&str, u64)]) {
    let _ = write!(json, ",\"{name}\":{{");
    for (i, (field, value)) in fields.iter().enumerate() {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(json, "{comma}\"{field}\":{value}");
    }
    json.push('}');
}

/// An HTTP-date (RFC 9110 §5.6.7, IMF-fixdate) for the `Date` header.
pub fn http_date(time: std::time::SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days);
    let rem = secs % 86_400;
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// (year, month 1..=12, day 1..=31) of the day `days` after 1970-01-01, by counting
/// 400-year eras of 146,097 days whose years start on 1 March (so the leap day is last).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_match_known_days() {
        let at = |secs| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(http_date(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        // RFC 9110's example.
        assert_eq!(http_date(at(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(at(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn parent_segments_are_refused_and_files_outside_the_root_are_not_found() {
        let dir = std::env::temp_dir().join(format!("httpd-routes-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("www")).unwrap();
        std::fs::write(dir.join("secret"), "no").unwrap();
        std::fs::write(dir.join("www/a.txt"), "yes").unwrap();
        let root = dir.join("www").canonicalize().unwrap();
        assert!(open_file(&root, "/a.txt").is_ok());
        assert_eq!(open_file(&root, "/../secret").err(), Some(BAD_REQUEST));
        assert_eq!(open_file(&root, "/x/../../secret").err(), Some(BAD_REQUEST));
        assert_eq!(open_file(&root, "/%2e%2e/secret").err(), Some(NOT_FOUND));
        std::os::unix::fs::symlink(dir.join("secret"), dir.join("www/link")).unwrap();
        assert_eq!(open_file(&root, "/link").err(), Some(NOT_FOUND));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
