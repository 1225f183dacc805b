//! Signing and verifying: a round trip for any secret, id and body, and
//! each way a message can be wrong refused with its own error.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use jiff::{SignedDuration, Timestamp};
use palisade_access::webhook::{
    DEFAULT_TOLERANCE, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, ReplayGuard, SignedHeaders,
    Verifier, VerifierError, VerifyError, sign, sign_all,
};
use proptest::prelude::*;

use super::*;

fn verifier(secrets: &[&WebhookSecret]) -> Verifier {
    Verifier::new(secrets.iter().map(|s| (*s).clone())).unwrap()
}

fn pairs(h: &SignedHeaders) -> Vec<(String, String)> {
    h.pairs()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn secs(s: i64) -> SignedDuration {
    SignedDuration::from_secs(s)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn what_is_signed_verifies_and_one_changed_byte_does_not(
        key in proptest::collection::vec(any::<u8>(), 24..=64),
        id in "[!-~]{1,80}",
        seconds in 0i64..4_000_000_000,
        skew in -300i64..=300,
        body in proptest::collection::vec(any::<u8>(), 0..512),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let secret = WebhookSecret::from_bytes(&key).unwrap();
        let at = Timestamp::from_second(seconds).unwrap();
        let value = sign(&secret, &id, at, &body);
        let stamp = seconds.to_string();
        let headers = [(HEADER_ID, id.as_str()), (HEADER_TIMESTAMP, &stamp), (HEADER_SIGNATURE, &value)];
        let now = at.checked_add(secs(skew)).unwrap();
        let ok = verifier(&[&secret]).verify(&headers, &body, now).unwrap();
        prop_assert_eq!(&ok.id, &id);
        prop_assert_eq!(ok.timestamp, at);
        prop_assert_eq!(ok.secret_index, 0);
        prop_assert_eq!(ok.body, body.as_slice());

        if !body.is_empty() {
            let mut changed = body.clone();
            changed[flip.index(body.len())] ^= 1 << bit;
            let err = verifier(&[&secret]).verify(&headers, &changed, now).unwrap_err();
            prop_assert_eq!(err, VerifyError::BadSignature { secrets: 1 });
        }
        // The same message under another secret does not verify.
        let other = WebhookSecret::generate().unwrap();
        let err = verifier(&[&other]).verify(&headers, &body, now).unwrap_err();
        prop_assert_eq!(err, VerifyError::BadSignature { secrets: 1 });
    }

    #[test]
    fn every_generated_message_verifies(data in proptest::collection::btree_map("[a-z]{1,8}", "[ -~]{0,40}", 0..6)) {
        let secret = secret();
        let data = serde_json::to_value(&data).unwrap();
        let message = Message::new(EventType::Revoked, t0(), data.clone()).unwrap();
        let headers = message.headers(&secret, t0());
        let ok = verifier(&[&secret]).verify(&pairs(&headers), message.body(), t0()).unwrap();
        let event = ok.event().unwrap();
        prop_assert_eq!(event.event_type.as_str(), "access.revoked");
        prop_assert_eq!(serde_json::Value::Object(event.data), data);
        prop_assert_eq!(event.timestamp, "2026-03-01T12:00:00Z");
    }
}

#[test]
fn a_message_has_a_fresh_id_and_the_specified_body() {
    let a = granted(t0());
    let b = granted(t0());
    assert_ne!(a.id(), b.id());
    assert!(a.id().starts_with("msg_"), "{}", a.id());
    assert!(a.id().len() >= 4 + 22, "{}", a.id());
    let body: serde_json::Value = serde_json::from_slice(a.body()).unwrap();
    assert_eq!(body["type"], "access.granted");
    assert_eq!(body["timestamp"], "2026-03-01T12:00:00Z");
    assert_eq!(body["data"]["person"], "ada");
    assert_eq!(body.as_object().unwrap().len(), 3);
    assert!(Message::new(EventType::Expired, t0(), serde_json::json!([1])).is_err());
    assert!(
        Message::with_id(
            "has space".into(),
            EventType::Granted,
            t0(),
            serde_json::json!({})
        )
        .is_err()
    );
}

#[test]
fn a_forged_signature_is_refused() {
    let s = secret();
    let m = granted(t0());
    let mut h = m.headers(&s, t0());
    let mut tag = BASE64
        .decode(h.signature.strip_prefix("v1,").unwrap())
        .unwrap();
    tag[0] ^= 0x80;
    h.signature = format!("v1,{}", BASE64.encode(&tag));
    assert_eq!(
        verifier(&[&s]).verify(&pairs(&h), m.body(), t0()),
        Err(VerifyError::BadSignature { secrets: 1 })
    );
    // A signature of the right length made up out of nothing, too.
    h.signature = format!("v1,{}", BASE64.encode([0u8; 32]));
    assert_eq!(
        verifier(&[&s]).verify(&pairs(&h), m.body(), t0()),
        Err(VerifyError::BadSignature { secrets: 1 })
    );
    // Signing another id or another time does not carry over.
    let mut h2 = m.headers(&s, t0());
    h2.timestamp = (t0().as_second() + 1).to_string();
    assert_eq!(
        verifier(&[&s]).verify(&pairs(&h2), m.body(), t0()),
        Err(VerifyError::BadSignature { secrets: 1 })
    );
    let mut h3 = m.headers(&s, t0());
    h3.id = "msg_other".into();
    assert_eq!(
        verifier(&[&s]).verify(&pairs(&h3), m.body(), t0()),
        Err(VerifyError::BadSignature { secrets: 1 })
    );
}

#[test]
fn a_body_changed_by_one_byte_is_refused() {
    let s = secret();
    let m = granted(t0());
    let h = pairs(&m.headers(&s, t0()));
    let mut body = m.body().to_vec();
    let at = body.windows(3).position(|w| w == b"ada").unwrap();
    body[at] = b'e';
    assert_eq!(
        verifier(&[&s]).verify(&h, &body, t0()),
        Err(VerifyError::BadSignature { secrets: 1 })
    );
    // A byte added at the end, too.
    let mut longer = m.body().to_vec();
    longer.push(b' ');
    assert_eq!(
        verifier(&[&s]).verify(&h, &longer, t0()),
        Err(VerifyError::BadSignature { secrets: 1 })
    );
    assert!(verifier(&[&s]).verify(&h, m.body(), t0()).is_ok());
}

#[test]
fn a_wrong_secret_is_refused() {
    let (s, wrong) = (secret(), secret());
    let m = granted(t0());
    let h = pairs(&m.headers(&s, t0()));
    let err = verifier(&[&wrong]).verify(&h, m.body(), t0()).unwrap_err();
    assert_eq!(err, VerifyError::BadSignature { secrets: 1 });
    assert!(err.to_string().contains("secret"), "{err}");
}

#[test]
fn a_replayed_id_is_refused_within_the_window() {
    let s = secret();
    let v = verifier(&[&s]);
    let m = granted(t0());
    let h = pairs(&m.headers(&s, t0()));
    v.verify(&h, m.body(), t0()).unwrap();
    assert_eq!(
        v.verify(&h, m.body(), t0() + secs(10)),
        Err(VerifyError::Replayed {
            id: m.id().to_string()
        })
    );
    // A retry signed later under the same id is a repeat as well.
    let later = pairs(&m.headers(&s, t0() + secs(30)));
    assert_eq!(
        v.verify(&later, m.body(), t0() + secs(30)),
        Err(VerifyError::Replayed {
            id: m.id().to_string()
        })
    );
    // Another message goes through.
    let other = granted(t0());
    assert!(
        v.verify(&pairs(&other.headers(&s, t0())), other.body(), t0())
            .is_ok()
    );
    // Forgetting an id (the receiver failed to act on it) lets the retry in.
    v.forget(m.id());
    assert!(v.verify(&later, m.body(), t0() + secs(30)).is_ok());
}

#[test]
fn a_replay_after_the_window_is_refused_as_too_old() {
    let s = secret();
    let v = verifier(&[&s]);
    let m = granted(t0());
    let h = pairs(&m.headers(&s, t0()));
    v.verify(&h, m.body(), t0()).unwrap();
    let late = t0() + secs(301);
    assert_eq!(
        v.verify(&h, m.body(), late),
        Err(VerifyError::TooOld {
            behind_secs: 301,
            tolerance_secs: 300
        })
    );
}

#[test]
fn the_replay_guard_forgets_ids_past_the_window() {
    let mut g = ReplayGuard::new(Duration::from_secs(300), 10);
    for i in 0..5 {
        g.remember(&format!("msg_{i}"), t0() + secs(i), t0() + secs(i))
            .unwrap();
    }
    assert_eq!(g.len(), 5);
    // At t0+302 the first two (sent at t0 and t0+1) are past their window.
    g.remember("msg_new", t0() + secs(302), t0() + secs(302))
        .unwrap();
    assert_eq!(g.len(), 4);
    assert!(
        g.remember("msg_0", t0() + secs(302), t0() + secs(302))
            .is_ok()
    );
    assert!(matches!(
        g.remember("msg_4", t0() + secs(302), t0() + secs(302)),
        Err(VerifyError::Replayed { .. })
    ));
    g.forget_expired(t0() + secs(10_000));
    assert!(g.is_empty());
}

#[test]
fn the_replay_guard_is_bounded() {
    let mut g = ReplayGuard::new(Duration::from_secs(300), 3);
    for i in 0..3 {
        g.remember(&format!("m{i}"), t0(), t0()).unwrap();
    }
    assert_eq!(
        g.remember("m3", t0(), t0()),
        Err(VerifyError::TooManyMessages { max: 3 })
    );
    // Once the window has passed there is room again.
    assert!(g.remember("m3", t0() + secs(301), t0() + secs(301)).is_ok());
    assert_eq!(g.len(), 1);

    let s = secret();
    let v = verifier(&[&s]).with_max_remembered_ids(1);
    let (a, b) = (granted(t0()), granted(t0()));
    v.verify(&pairs(&a.headers(&s, t0())), a.body(), t0())
        .unwrap();
    assert_eq!(
        v.verify(&pairs(&b.headers(&s, t0())), b.body(), t0()),
        Err(VerifyError::TooManyMessages { max: 1 })
    );
}

#[test]
fn clock_skew_beyond_the_tolerance_is_refused_saying_by_how_much() {
    let s = secret();
    let m = granted(t0());
    let h = pairs(&m.headers(&s, t0()));
    assert_eq!(DEFAULT_TOLERANCE, Duration::from_secs(300));
    // Exactly at the tolerance, either way, passes.
    assert!(
        verifier(&[&s])
            .verify(&h, m.body(), t0() + secs(300))
            .is_ok()
    );
    assert!(
        verifier(&[&s])
            .verify(&h, m.body(), t0() - secs(300))
            .is_ok()
    );

    let old = verifier(&[&s])
        .verify(&h, m.body(), t0() + secs(420))
        .unwrap_err();
    assert_eq!(
        old,
        VerifyError::TooOld {
            behind_secs: 420,
            tolerance_secs: 300
        }
    );
    let text = old.to_string();
    assert!(text.contains("420s") && text.contains("300s"), "{text}");

    // The sender's clock is 6 minutes ahead of the receiver's.
    let new = verifier(&[&s])
        .verify(&h, m.body(), t0() - secs(360))
        .unwrap_err();
    assert_eq!(
        new,
        VerifyError::TooNew {
            ahead_secs: 360,
            tolerance_secs: 300
        }
    );
    assert!(new.to_string().contains("clock"), "{new}");

    // A tighter tolerance refuses a smaller skew.
    let tight = verifier(&[&s]).with_tolerance(Duration::from_secs(30));
    assert_eq!(tight.tolerance(), Duration::from_secs(30));
    assert_eq!(
        tight.verify(&h, m.body(), t0() + secs(31)),
        Err(VerifyError::TooOld {
            behind_secs: 31,
            tolerance_secs: 30
        })
    );
}

#[test]
fn a_stale_forgery_is_a_bad_signature_not_clock_skew() {
    let s = secret();
    let m = granted(t0());
    let h = pairs(&m.headers(&secret(), t0()));
    assert_eq!(
        verifier(&[&s]).verify(&h, m.body(), t0() + secs(3600)),
        Err(VerifyError::BadSignature { secrets: 1 })
    );
}

#[test]
fn during_a_rotation_either_secret_verifies() {
    let (old, new) = (secret(), secret());
    let m = granted(t0());
    let v = verifier(&[&new, &old]);
    // A sender still on the old secret.
    let by_old = v
        .verify(&pairs(&m.headers(&old, t0())), m.body(), t0())
        .unwrap();
    assert_eq!(by_old.secret_index, 1);
    // A sender on the new one.
    let m2 = granted(t0());
    let by_new = v
        .verify(&pairs(&m2.headers(&new, t0())), m2.body(), t0())
        .unwrap();
    assert_eq!(by_new.secret_index, 0);
    // A sender signing with both: receivers on either side accept.
    let m3 = granted(t0());
    let both = sign_all(&[new.clone(), old.clone()], m3.id(), t0(), m3.body());
    assert_eq!(both.split(' ').count(), 2);
    let stamp = t0().as_second().to_string();
    let h = [
        (HEADER_ID, m3.id()),
        (HEADER_TIMESTAMP, stamp.as_str()),
        (HEADER_SIGNATURE, both.as_str()),
    ];
    assert!(verifier(&[&old]).verify(&h, m3.body(), t0()).is_ok());
    assert!(verifier(&[&new]).verify(&h, m3.body(), t0()).is_ok());
    // Once the old secret is dropped, its signatures are refused.
    let m4 = granted(t0());
    assert_eq!(
        verifier(&[&new]).verify(&pairs(&m4.headers(&old, t0())), m4.body(), t0()),
        Err(VerifyError::BadSignature { secrets: 1 })
    );
    assert_eq!(
        verifier(&[&secret(), &secret()]).verify(&pairs(&m4.headers(&old, t0())), m4.body(), t0()),
        Err(VerifyError::BadSignature { secrets: 2 })
    );
    assert_eq!(
        Verifier::new(Vec::new()).unwrap_err(),
        VerifierError::NoSecrets
    );
}

#[test]
fn missing_and_malformed_headers_are_named() {
    let s = secret();
    let m = granted(t0());
    let h = m.headers(&s, t0());
    let v = verifier(&[&s]);
    for name in [HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE] {
        let without: Vec<(String, String)> =
            pairs(&h).into_iter().filter(|(k, _)| k != name).collect();
        assert_eq!(
            v.verify(&without, m.body(), t0()),
            Err(VerifyError::MissingHeader { name })
        );
        let empty: Vec<(String, String)> = pairs(&h)
            .into_iter()
            .map(|(k, v)| {
                if k == name {
                    (k, String::new())
                } else {
                    (k, v)
                }
            })
            .collect();
        assert_eq!(
            v.verify(&empty, m.body(), t0()),
            Err(VerifyError::MissingHeader { name })
        );
    }
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        pairs(&h)
            .into_iter()
            .map(|(k, v)| {
                if k == name {
                    (k, value.to_string())
                } else {
                    (k, v)
                }
            })
            .collect()
    };
    let malformed = |name: &str, value: &str| match v.verify(&with(name, value), m.body(), t0()) {
        Err(VerifyError::MalformedHeader { name: n, reason }) if n == name => reason,
        other => panic!("{name}: {value:?} gave {other:?}"),
    };
    malformed(HEADER_TIMESTAMP, "2026-03-01T12:00:00Z");
    malformed(HEADER_TIMESTAMP, "-5");
    malformed(HEADER_TIMESTAMP, "1.5");
    malformed(HEADER_TIMESTAMP, "99999999999999999");
    assert!(malformed(HEADER_SIGNATURE, "abc").contains("<version>,<signature>"));
    assert!(malformed(HEADER_SIGNATURE, "v1,***").contains("base64"));
    assert!(malformed(HEADER_SIGNATURE, "v1a,abcd").contains("no v1"));
    malformed(HEADER_ID, &"x".repeat(300));
    // Header names are read regardless of case, and other versions are
    // skipped beside a v1 that verifies.
    let upper: Vec<(String, String)> = pairs(&h)
        .into_iter()
        .map(|(k, v)| {
            let v = if k == HEADER_SIGNATURE {
                format!("v1a,c29tZXRoaW5n {v}")
            } else {
                v
            };
            (k.to_uppercase(), v)
        })
        .collect();
    assert!(v.verify(&upper, m.body(), t0()).is_ok());
}

#[test]
fn a_known_signature_is_reproduced() {
    // Worked by hand with Python's hmac module:
    // base64(hmac.new(bytes(range(32)), b"msg_1.1700000000.{}", sha256).digest())
    let key: Vec<u8> = (0u8..32).collect();
    let s = WebhookSecret::from_bytes(&key).unwrap();
    let value = sign(
        &s,
        "msg_1",
        Timestamp::from_second(1_700_000_000).unwrap(),
        b"{}",
    );
    assert_eq!(value, EXPECTED_KNOWN);
}

const EXPECTED_KNOWN: &str = "v1,fhksJF5ElKjlPoT/jtefCO5XjQPvhf7Dhf/8R1ad9yU=";

#[test]
fn the_specifications_example_signs_and_verifies() {
    // The example in the Standard Webhooks specification and its libraries' tests.
    let s = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let at = Timestamp::from_second(1_614_265_330).unwrap();
    let body = br#"{"test": 2432232314}"#;
    let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    assert_eq!(sign(&s, "msg_p5jXN8AQM9LWM0D4loKWxJek", at, body), expected);
    let h = [
        ("Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
        ("Webhook-Timestamp", "1614265330"),
        ("Webhook-Signature", expected),
    ];
    assert!(verifier(&[&s]).verify(&h, body, at + secs(5)).is_ok());
}
