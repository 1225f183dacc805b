//! Webhook secrets: their text forms, their errors, and that they never show.

use palisade_access::webhook::{
    GENERATED_SECRET_LEN, MAX_SECRET_LEN, MIN_SECRET_LEN, SECRET_PREFIX, SecretError, WebhookSecret,
};

use super::*;

#[test]
fn a_generated_secret_reads_back_from_its_text() {
    let s = secret();
    let text = s.expose_text();
    assert!(text.starts_with(SECRET_PREFIX), "{}", text.len());
    let back = WebhookSecret::parse(&text).unwrap();
    assert_eq!(back.fingerprint(), s.fingerprint());
    // Two generated secrets differ.
    assert_ne!(secret().fingerprint(), s.fingerprint());
}

#[test]
fn the_prefix_padding_and_a_final_newline_are_optional() {
    let bytes = [7u8; 32];
    let s = WebhookSecret::from_bytes(&bytes).unwrap();
    // 32 bytes: 43 base64 characters and one '='.
    let padded = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    for text in [
        format!("whsec_{padded}"),
        padded.to_string(),
        format!("whsec_{}\n", padded.trim_end_matches('=')),
    ] {
        assert_eq!(
            WebhookSecret::parse(&text).unwrap().fingerprint(),
            s.fingerprint(),
            "{text}"
        );
    }
    assert_eq!(&*s.expose_text(), &format!("whsec_{padded}"));
}

#[test]
fn bad_secrets_are_refused_with_what_is_wrong() {
    assert_eq!(
        WebhookSecret::parse("whsec_").err(),
        Some(SecretError::Empty)
    );
    assert_eq!(WebhookSecret::parse("  \n").err(), Some(SecretError::Empty));
    let err = WebhookSecret::parse("whsec_abc$def").unwrap_err();
    assert!(
        matches!(&err, SecretError::NotBase64 { reason } if reason.contains("position 3")),
        "{err:?}"
    );
    // The offending character is not repeated in the message.
    assert!(!err.to_string().contains('$'), "{err}");
    // 16 bytes: too short for HMAC-SHA256 by the specification's range.
    assert_eq!(
        WebhookSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAA==").err(),
        Some(SecretError::TooShort { found: 16 })
    );
    assert_eq!(
        WebhookSecret::from_bytes(&[1; MAX_SECRET_LEN + 1]).unwrap_err(),
        SecretError::TooLong { found: 65 }
    );
    assert!(WebhookSecret::from_bytes(&[1; MIN_SECRET_LEN]).is_ok());
    assert!(WebhookSecret::from_bytes(&[1; MIN_SECRET_LEN - 1]).is_err());
    assert!(
        WebhookSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAA==")
            .unwrap_err()
            .to_string()
            .contains("generate a new one")
    );
}

#[test]
fn debug_shows_the_fingerprint_never_the_secret() {
    let s = secret();
    let debug = format!("{s:?}");
    let text = s.expose_text();
    let encoded = text.trim_start_matches(SECRET_PREFIX);
    assert!(debug.contains(&s.fingerprint()), "{debug}");
    assert!(!debug.contains(encoded), "{debug}");
    assert!(!debug.contains("whsec_"), "{debug}");
    assert_eq!(GENERATED_SECRET_LEN, 32);
    assert_eq!(encoded.len(), 44);
}
