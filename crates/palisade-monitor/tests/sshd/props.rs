//! Properties: no input makes the readers panic, and the `Accepted` lines
//! sshd writes read back to what they say.

use std::net::IpAddr;

use jiff::tz::TimeZone;
use palisade_monitor::event::{Action, Resource, Source};
use palisade_monitor::parse::Parser;
use palisade_monitor::parse::journald::Journal;
use palisade_monitor::parse::sshd::{Message, Syslog};
use proptest::prelude::*;

use super::raw;

/// Prefixes that get arbitrary bytes past the prefix parser.
const PREFIXES: [&str; 4] = [
    "Dec  7 09:30:00 h sshd[1]: ",
    "2026-12-07T09:30:00Z h sshd-session[1]: ",
    "<38>1 2026-12-07T09:30:00Z h sshd 1 - - ",
    "Dec  7 09:30:00 h sshd[1]: Accepted publickey for ",
];

/// Message words, so arbitrary tails reach the grammar's deeper branches.
fn words() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("Accepted ".to_owned()),
            Just("Failed ".to_owned()),
            Just("Invalid user ".to_owned()),
            Just("for ".to_owned()),
            Just("invalid user ".to_owned()),
            Just(" from ".to_owned()),
            Just(" port ".to_owned()),
            Just("127.0.0.1".to_owned()),
            Just("::1".to_owned()),
            Just(" ssh2".to_owned()),
            Just(": ED25519-CERT SHA256:x ID ".to_owned()),
            Just(" (serial ".to_owned()),
            Just(") CA ".to_owned()),
            Just(" [preauth]".to_owned()),
            Just("Connection closed by authenticating user ".to_owned()),
            Just("Disconnected from user ".to_owned()),
            Just("pam_unix(sshd:session): session opened for user ".to_owned()),
            "[0-9]{1,25}",
            "[ -~]{0,8}",
            ".{0,4}",
        ],
        0..14,
    )
    .prop_map(|w| w.concat())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), year in any::<i16>()) {
        let mut syslog = Syslog::new(year, TimeZone::UTC);
        let _ = syslog.parse(&bytes, raw(Source::Sshd, 1));
        let _ = Journal::new().parse(&bytes, raw(Source::Journald, 1));
        let _ = Message::parse(&String::from_utf8_lossy(&bytes));
        for prefix in PREFIXES {
            let mut line = prefix.as_bytes().to_vec();
            line.extend_from_slice(&bytes);
            let _ = syslog.parse(&line, raw(Source::Sshd, 2));
        }
    }

    #[test]
    fn word_salad_never_panics(tail in words(), year in any::<i16>()) {
        let mut syslog = Syslog::new(year, TimeZone::UTC);
        let _ = Message::parse(&tail);
        for prefix in PREFIXES {
            let _ = syslog.parse(format!("{prefix}{tail}").as_bytes(), raw(Source::Sshd, 1));
        }
        let entry = serde_json::json!({
            "__REALTIME_TIMESTAMP": "1796635800000000",
            "SYSLOG_IDENTIFIER": "sshd",
            "MESSAGE": tail.as_bytes(),
        });
        let _ = Journal::new().parse(entry.to_string().as_bytes(), raw(Source::Journald, 1));
    }

    #[test]
    fn months_and_days_never_panic(
        month in 0usize..12,
        day in 0u8..40,
        h in 0u8..30,
        m in 0u8..70,
        s in 0u8..70,
        year in any::<i16>(),
    ) {
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let mut syslog = Syslog::new(year, TimeZone::get("America/New_York").unwrap());
        let line = format!(
            "{} {day:2} {h:02}:{m:02}:{s:02} h sshd[1]: Invalid user x from 192.0.2.1 port 1",
            MONTHS[month]
        );
        let _ = syslog.parse(line.as_bytes(), raw(Source::Sshd, 1));
        let _ = syslog.parse(line.as_bytes(), raw(Source::Sshd, 2));
    }

    #[test]
    fn accepted_lines_read_back(
        user in "[a-z_][a-z0-9_.-]{0,31}",
        ip in any::<IpAddr>(),
        port in any::<u16>(),
        method in prop_oneof![
            Just("password"),
            Just("publickey"),
            Just("keyboard-interactive/pam"),
            Just("certificate"),
        ],
        key_id in "[A-Za-z0-9._@:+=-]([A-Za-z0-9._@:+=/ -]{0,38}[A-Za-z0-9._@:+=-])?",
        serial in any::<u64>(),
    ) {
        let tail = match method {
            "password" => String::new(),
            "publickey" => ": ED25519 SHA256:VQ5UkqXJgDG6tDPNbFPw8fdUZ9uQKOl1BhKbYN8AvjY".to_owned(),
            "certificate" => format!(
                ": ED25519-CERT SHA256:1lsm9eg2tfqz8GoscotEuQPUO7iP6WHLlFZAAmHueQk ID {key_id} \
                 (serial {serial}) CA ED25519 SHA256:n7jy0iEGhK8EFSCJu2cP1tH59hcDrnKzqk9Mv963NYI"
            ),
            _ => String::new(),
        };
        let logged_method = if method == "certificate" { "publickey" } else { method };
        let text = format!("Accepted {logged_method} for {user} from {ip} port {port} ssh2{tail}");

        let m = Message::parse(&text).unwrap();
        prop_assert_eq!(&m.user, &user);
        prop_assert_eq!(m.address, Some(ip));
        prop_assert_eq!(m.port, Some(port));
        prop_assert_eq!(&m.action, &Action::Login { method: method.to_owned() });
        if method == "certificate" {
            prop_assert_eq!(m.grant.as_deref(), Some(key_id.as_str()));
            prop_assert_eq!(m.serial, Some(serial));
        } else {
            prop_assert_eq!(&m.grant, &None);
            prop_assert_eq!(m.serial, None);
        }

        let line = format!("Dec  7 09:30:00 bastion-1 sshd[812]: {text}");
        let e = Syslog::new(2026, TimeZone::UTC)
            .parse(line.as_bytes(), raw(Source::Sshd, 1))
            .unwrap();
        prop_assert_eq!(&e.actor.name, &user);
        prop_assert_eq!(e.source_address, Some(ip));
        prop_assert_eq!(&e.action, &m.action);
        prop_assert_eq!(&e.grant, &m.grant);
        prop_assert_eq!(e.serial, m.serial);
        prop_assert_eq!(e.resource, Some(Resource::Host("bastion-1".into())));
    }
}
