//! Delivery over real sockets on loopback: a small HTTP/1.1 receiver in
//! the test answers as each case asks and verifies what it is sent.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use palisade_access::webhook::{
    DeliveryError, Outcome, Sender, SenderError, SenderOptions, Verifier, VerifyError,
};

use super::*;

/// One request as the receiver read it.
#[derive(Debug, Clone)]
struct Request {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    at: Instant,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the receiver answers: a status, extra headers, a body.
type Reply = (u16, Vec<(&'static str, String)>, String);

/// A receiver on 127.0.0.1 answering request `n` (from 0) with
/// `answer(n, request)`; returns its URL and the requests it read.
fn receiver(
    answer: impl Fn(usize, &Request) -> Reply + Send + 'static,
) -> (String, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    // Detached: it ends with the test binary.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let Some(request) = read_request(&stream) else {
                continue;
            };
            let n = {
                let mut log = log.lock().unwrap();
                log.push(request.clone());
                log.len() - 1
            };
            let (status, headers, body) = answer(n, &request);
            write_reply(stream, status, &headers, &body);
        }
    });
    (url, seen)
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if !line.starts_with("POST /hooks HTTP/1.1") {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))?
        .1
        .parse()
        .ok()?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        headers,
        body,
        at: Instant::now(),
    })
}

fn write_reply(mut stream: TcpStream, status: u16, headers: &[(&str, String)], body: &str) {
    let mut text = format!(
        "HTTP/1.1 {status} Whatever\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let _ = stream.write_all(text.as_bytes());
}

/// Options that keep the tests fast: 10 ms, then 20, 40, ...
fn fast() -> SenderOptions {
    SenderOptions {
        timeout: Duration::from_secs(5),
        max_attempts: 4,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(200),
        ..SenderOptions::default()
    }
}

/// The receiver's verdict on a request, at the time it was signed with.
fn verify(verifier: &Verifier, r: &Request) -> Result<(), VerifyError> {
    let headers: Vec<(String, String)> = r.headers.clone();
    let stamp: i64 = r.header("webhook-timestamp").unwrap().parse().unwrap();
    let now = jiff::Timestamp::from_second(stamp).unwrap();
    verifier.verify(&headers, &r.body, now).map(|_| ())
}

#[test]
fn a_receiver_failing_with_503_gets_the_retries_and_verifies_the_last() {
    let s = secret();
    let verifier = Arc::new(Verifier::new([s.clone()]).unwrap());
    let v = Arc::clone(&verifier);
    let (url, seen) = receiver(move |n, r| {
        if n < 3 {
            return (503, vec![], "busy".into());
        }
        match verify(&v, r) {
            Ok(()) => (204, vec![], String::new()),
            Err(e) => (401, vec![], e.to_string()),
        }
    });
    let sender = Sender::new(&url, s, fast()).unwrap();
    let m = granted(t0());
    let delivery = sender.send(&m, t0()).unwrap();
    assert_eq!(delivery.status, 204);
    assert_eq!(delivery.message_id, m.id());
    let codes: Vec<u16> = delivery
        .attempts
        .iter()
        .map(|a| match &a.outcome {
            Outcome::Status { code, .. } => *code,
            Outcome::Failed { error } => panic!("{error}"),
        })
        .collect();
    assert_eq!(codes, [503, 503, 503, 204]);
    assert_eq!(
        delivery
            .attempts
            .iter()
            .map(|a| a.number)
            .collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    match &delivery.attempts[0].outcome {
        Outcome::Status { excerpt, .. } => assert_eq!(excerpt, "busy"),
        other => panic!("{other:?}"),
    }

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    for r in seen.iter() {
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("webhook-id"), Some(m.id()));
        assert_eq!(r.body, m.body());
        assert!(r.header("webhook-signature").unwrap().starts_with("v1,"));
    }
    // The waits grow: 10 ms, 20 ms, 40 ms at least.
    let gaps: Vec<Duration> = seen.windows(2).map(|w| w[1].at - w[0].at).collect();
    for (gap, least) in gaps.iter().zip([10, 20, 40]) {
        assert!(*gap >= Duration::from_millis(least), "{gaps:?}");
    }
    // The delivered message is now a replay to that receiver.
    assert!(matches!(
        verify(&verifier, &seen[3]),
        Err(VerifyError::Replayed { .. })
    ));
}

#[test]
fn a_receiver_answering_400_is_not_retried() {
    let (url, seen) = receiver(|_, _| (400, vec![], "unknown event type".into()));
    let sender = Sender::new(&url, secret(), fast()).unwrap();
    let m = granted(t0());
    let err = sender.send(&m, t0()).unwrap_err();
    assert!(
        matches!(&err, DeliveryError::Refused { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(err.attempts().len(), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
    let text = err.to_string();
    assert!(
        text.contains("HTTP 400") && text.contains("unknown event type") && text.contains(m.id()),
        "{text}"
    );
}

#[test]
fn a_redirect_is_not_followed() {
    let (url, seen) = receiver(|_, _| {
        (
            307,
            vec![("location", "http://127.0.0.1:9/elsewhere".into())],
            String::new(),
        )
    });
    let err = Sender::new(&url, secret(), fast())
        .unwrap()
        .send(&granted(t0()), t0())
        .unwrap_err();
    assert!(
        matches!(err, DeliveryError::Refused { status: 307, .. }),
        "{err:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn statuses_408_429_and_5xx_are_retried_up_to_the_limit() {
    let (url, seen) = receiver(|n, _| ([500, 408, 429, 502][n % 4], vec![], String::new()));
    let err = Sender::new(&url, secret(), fast())
        .unwrap()
        .send(&granted(t0()), t0())
        .unwrap_err();
    assert!(matches!(err, DeliveryError::GaveUp { .. }), "{err:?}");
    assert_eq!(err.attempts().len(), 4);
    assert_eq!(seen.lock().unwrap().len(), 4);
    let text = err.to_string();
    assert!(
        text.contains("after 4 attempt(s)") && text.contains("HTTP 502"),
        "{text}"
    );
}

#[test]
fn retry_after_is_honoured_and_capped() {
    // Retry-After: 1 second, under a cap of 2 seconds: honoured.
    let (url, seen) = receiver(|n, _| {
        if n == 0 {
            (429, vec![("retry-after", "1".into())], String::new())
        } else {
            (200, vec![], String::new())
        }
    });
    let options = SenderOptions {
        max_backoff: Duration::from_secs(2),
        ..fast()
    };
    let d = Sender::new(&url, secret(), options)
        .unwrap()
        .send(&granted(t0()), t0())
        .unwrap();
    assert!(matches!(
        d.attempts[0].outcome,
        Outcome::Status {
            code: 429,
            retry_after: Some(r),
            ..
        } if r == Duration::from_secs(1)
    ));
    let seen = seen.lock().unwrap();
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
    // The retry is signed with its own, later time.
    assert!(d.attempts[1].timestamp > d.attempts[0].timestamp);

    // Retry-After: an hour (as an HTTP date too), under a cap of 200 ms: capped.
    let (url, _) = receiver(|n, _| match n {
        0 => (503, vec![("retry-after", "3600".into())], String::new()),
        1 => (
            503,
            vec![("retry-after", "Sun, 01 Mar 2026 13:00:00 GMT".into())],
            String::new(),
        ),
        _ => (202, vec![], String::new()),
    });
    let started = Instant::now();
    let d = Sender::new(&url, secret(), fast())
        .unwrap()
        .send(&granted(t0()), t0())
        .unwrap();
    assert_eq!(d.status, 202);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(
        d.attempts[1].outcome,
        Outcome::Status { retry_after: Some(r), .. } if r >= Duration::from_secs(3599)
    ));
}

#[test]
fn an_unreachable_receiver_is_given_up_after_the_bounded_retries() {
    // A port just freed: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hooks");
    let options = SenderOptions {
        max_attempts: 3,
        ..fast()
    };
    let started = Instant::now();
    let err = Sender::new(&url, secret(), options)
        .unwrap()
        .send(&granted(t0()), t0())
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let DeliveryError::GaveUp {
        attempts, url: to, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(to, &url);
    assert_eq!(attempts.len(), 3);
    for a in attempts {
        assert!(matches!(a.outcome, Outcome::Failed { .. }), "{a:?}");
    }
    let text = err.to_string();
    assert!(
        text.contains("gave up") && text.contains("3 attempt(s)") && text.contains(&url),
        "{text}"
    );
}

#[test]
fn a_receiver_that_never_answers_times_out_and_is_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    // Accepts and holds every connection without a word.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let options = SenderOptions {
        timeout: Duration::from_millis(300),
        max_attempts: 2,
        ..fast()
    };
    let started = Instant::now();
    let err = Sender::new(&url, secret(), options)
        .unwrap()
        .send(&granted(t0()), t0())
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.attempts().len(), 2);
    let text = err.to_string();
    assert!(text.to_lowercase().contains("timeout"), "{text}");
}

#[test]
fn only_http_and_https_urls_are_taken() {
    for (url, scheme) in [
        ("ftp://127.0.0.1/hooks", "ftp"),
        ("file:///etc/passwd", "file"),
        ("127.0.0.1:8080/hooks", ""),
    ] {
        match Sender::new(url, secret(), fast()) {
            Err(SenderError::UnsupportedScheme { scheme: s, .. }) => assert_eq!(s, scheme, "{url}"),
            Err(SenderError::InvalidUrl { .. }) if scheme.is_empty() => {}
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(matches!(
        Sender::new("not a url", secret(), fast()),
        Err(SenderError::InvalidUrl { .. })
    ));
    let err = Sender::new("gopher://example.test/", secret(), fast()).unwrap_err();
    assert!(err.to_string().contains("https://"), "{err}");
    assert!(Sender::new("https://hooks.example.test/palisade", secret(), fast()).is_ok());
}

#[test]
fn the_secret_never_shows_in_errors_or_debug() {
    let s = secret();
    let text = s.expose_text().to_string();
    let encoded = text.trim_start_matches("whsec_").to_string();
    let (url, _) = receiver(|_, _| (403, vec![], "no".into()));
    let sender = Sender::new(&url, s, fast()).unwrap();
    let err = sender.send(&granted(t0()), t0()).unwrap_err();
    for shown in [format!("{sender:?}"), format!("{err:?}"), err.to_string()] {
        assert!(!shown.contains(&encoded), "{shown}");
    }
}
