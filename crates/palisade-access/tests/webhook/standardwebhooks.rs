//! Cross-check with the Standard Webhooks reference library for Python
//! (`standardwebhooks`, pinned in scripts/test-tools/requirements.txt): it
//! verifies what we sign and refuses what we alter, and we verify what it
//! signs. Its verifier reads the real clock, so these messages are signed
//! at the real time.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use jiff::{SignedDuration, Timestamp};
use palisade_access::webhook::{
    HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, Sender, SenderOptions, Verifier, VerifyError,
    sign,
};
use serde_json::{Value, json};

use super::*;

const SCRIPT: &str = r#"
import base64, json, sys
from datetime import datetime, timezone
from standardwebhooks.webhooks import Webhook
data = json.load(sys.stdin)
verified = []
for case in data["verify"]:
    try:
        Webhook(case["secret"]).verify(base64.b64decode(case["body"]), case["headers"], json_parse=False)
        verified.append("ok")
    except Exception as e:
        verified.append("%s: %s" % (type(e).__name__, e))
signed = []
for case in data["sign"]:
    at = datetime.fromtimestamp(case["timestamp"], tz=timezone.utc)
    signed.append(Webhook(case["secret"]).sign(case["id"], at, base64.b64decode(case["body"])))
json.dump({"verify": verified, "sign": signed}, sys.stdout)
"#;

fn run(python: &Path, input: &Value) -> Value {
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    getrandom::fill(&mut b).unwrap();
    b
}

fn now() -> Timestamp {
    Timestamp::now()
}

#[test]
fn standardwebhooks_verifies_what_we_sign() {
    let Some(python) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    let mut case = |secret: &WebhookSecret, h: [(&str, String); 3], body: &[u8], ok: bool| {
        let headers: serde_json::Map<String, Value> = h
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        cases.push(json!({
            "secret": &*secret.expose_text(),
            "headers": headers,
            "body": BASE64.encode(body),
        }));
        expected.push(ok);
    };
    let at = now();
    let stamp = at.as_second().to_string();
    for n in 0..24 {
        // Secrets of every allowed size, ids and bodies at random, bodies
        // not always UTF-8.
        let secret = WebhookSecret::from_bytes(&random_bytes(24 + n % 41)).unwrap();
        let id = format!("msg_{}", hex::encode(random_bytes(1 + n)));
        let body = random_bytes(n * 37);
        let sig = sign(&secret, &id, at, &body);
        case(
            &secret,
            [
                (HEADER_ID, id.clone()),
                (HEADER_TIMESTAMP, stamp.clone()),
                (HEADER_SIGNATURE, sig),
            ],
            &body,
            true,
        );
    }
    let secret = secret();
    let m = granted(at);
    let h = m.headers(&secret, at);
    let pairs =
        |h: &palisade_access::webhook::SignedHeaders| h.pairs().map(|(k, v)| (k, v.to_string()));
    case(&secret, pairs(&h), m.body(), true);
    // One byte changed.
    let mut changed = m.body().to_vec();
    changed[10] ^= 1;
    case(&secret, pairs(&h), &changed, false);
    // Another secret.
    case(&super::secret(), pairs(&h), m.body(), false);
    // Signed 10 minutes ago: too old for its 5 minutes as for ours.
    let old = m.headers(&secret, at - SignedDuration::from_mins(10));
    case(&secret, pairs(&old), m.body(), false);

    let out = run(&python, &json!({"verify": cases, "sign": []}));
    let verdicts = out["verify"].as_array().unwrap();
    assert_eq!(verdicts.len(), expected.len());
    for (i, (v, ok)) in verdicts.iter().zip(&expected).enumerate() {
        assert_eq!(v == "ok", *ok, "case {i}: {v}");
    }
    let last = verdicts.last().unwrap().as_str().unwrap();
    assert!(last.contains("too old"), "{last}");
}

#[test]
fn we_verify_what_standardwebhooks_signs() {
    let Some(python) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let at = now();
    let secrets: Vec<WebhookSecret> = (0..16)
        .map(|n| WebhookSecret::from_bytes(&random_bytes(24 + n * 2)).unwrap())
        .collect();
    let mut cases = Vec::new();
    for (n, secret) in secrets.iter().enumerate() {
        cases.push(json!({
            "secret": &*secret.expose_text(),
            "id": format!("msg_{}", hex::encode(random_bytes(8 + n))),
            "timestamp": at.as_second() - n as i64,
            "body": BASE64.encode(random_bytes(n * 53)),
        }));
    }
    let out = run(&python, &json!({"verify": [], "sign": cases}));
    let signed = out["sign"].as_array().unwrap();
    assert_eq!(signed.len(), cases.len());
    // One verifier holding every secret (as in a long rotation), and one
    // holding none of them.
    let all = Verifier::new(secrets.iter().cloned()).unwrap();
    let stranger = Verifier::new([super::secret()]).unwrap();
    for (n, (case, sig)) in cases.iter().zip(signed).enumerate() {
        let id = case["id"].as_str().unwrap();
        let stamp = case["timestamp"].as_i64().unwrap().to_string();
        let body = BASE64.decode(case["body"].as_str().unwrap()).unwrap();
        let h = [
            (HEADER_ID, id),
            (HEADER_TIMESTAMP, stamp.as_str()),
            (HEADER_SIGNATURE, sig.as_str().unwrap()),
        ];
        let ok = all.verify(&h, &body, at).unwrap();
        assert_eq!(ok.secret_index, n);
        assert_eq!(ok.id, id);
        assert_eq!(
            stranger.verify(&h, &body, at),
            Err(VerifyError::BadSignature { secrets: 1 })
        );
        // Ours agrees byte for byte.
        let ours = sign(
            &secrets[n],
            id,
            Timestamp::from_second(case["timestamp"].as_i64().unwrap()).unwrap(),
            &body,
        );
        assert_eq!(ours, sig.as_str().unwrap());
    }
}

const RECEIVER: &str = r#"
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from standardwebhooks.webhooks import Webhook
secret, failures = sys.argv[1], int(sys.argv[2])
seen = []
class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        seen.append(1)
        if len(seen) <= failures:
            self.send_response(503)
            self.end_headers()
            return
        try:
            Webhook(secret).verify(body, dict(self.headers.items()))
        except Exception as e:
            print(json.dumps({"error": str(e)}), flush=True)
            self.send_response(401)
            self.end_headers()
            return
        print(json.dumps({
            "requests": len(seen),
            "id": self.headers["webhook-id"],
            "content_type": self.headers["content-type"],
            "body": json.loads(body),
        }), flush=True)
        self.send_response(204)
        self.end_headers()
        server.done = True
server = HTTPServer(("127.0.0.1", 0), Handler)
server.done = False
print(server.server_address[1], flush=True)
while not server.done:
    server.handle_request()
"#;

#[test]
fn a_standardwebhooks_receiver_over_http_accepts_our_retried_delivery() {
    let Some(python) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let secret = secret();
    let text = secret.expose_text();
    let mut child = Command::new(&python)
        .args(["-c", RECEIVER, text.as_str(), "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut port = String::new();
    out.read_line(&mut port).unwrap();
    let url = format!("http://127.0.0.1:{}/hooks/palisade", port.trim());
    let options = SenderOptions {
        initial_backoff: Duration::from_millis(10),
        ..SenderOptions::default()
    };
    let sender = Sender::new(&url, secret, options).unwrap();
    let m = granted(now());
    let delivery = sender.send(&m, now());
    if delivery.is_err() {
        // The receiver still waits for a message it accepts; stop it so its
        // output can be read.
        let _ = child.kill();
    }
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    child.wait().unwrap();
    let delivery = delivery.unwrap_or_else(|e| panic!("{e}\nreceiver: {rest}"));
    assert_eq!(delivery.status, 204);
    assert_eq!(delivery.attempts.len(), 3, "{:?}", delivery.attempts);
    let seen: Value = serde_json::from_str(rest.trim()).unwrap_or_else(|e| panic!("{e}: {rest}"));
    assert_eq!(seen["requests"], 3);
    assert_eq!(seen["id"], m.id());
    assert_eq!(seen["content_type"], "application/json");
    assert_eq!(seen["body"]["type"], "access.granted");
    assert_eq!(seen["body"]["data"]["role"], "prod-db-reader");
}
