//! `off_hours` at the edges of declared hours and their grace, under a
//! grant, overnight, on weekends and across daylight-saving changes in
//! Europe and the United States (and none in India); `rare_hour` silent
//! until enough history, then judging hours in the person's own zone.

use palisade_monitor::event::Action;

use super::*;

const ARJUN: &str = "arjun-menon-nimbus"; // Asia/Kolkata, Mon-Fri 10:00-19:00
const KATARZYNA: &str = "knowak-harbor"; // Europe/Warsaw, Mon-Fri 08:00-16:00
const DANA: &str = "dkowalczyk"; // America/New_York, Mon-Fri 09:00-18:00
const MIGUEL: &str = "msantos-harbor"; // Asia/Manila, Mon-Fri 22:00-07:00

fn clone_at(
    login: &str,
    repo: &str,
    t: jiff::Timestamp,
) -> Vec<palisade_monitor::finding::Finding> {
    Run::new(index(), &[]).feed(github(login, Action::GitClone, repo, t))
}

fn off_hours_at(login: &str, t: jiff::Timestamp) -> bool {
    has(&clone_at(login, "acme/platform", t), "off_hours")
}

#[test]
fn inside_hours_and_the_grace_is_silent_and_one_minute_beyond_is_not() {
    let zone = "Asia/Kolkata";
    // Tuesday; hours 10:00-19:00, grace 30 minutes.
    for inside in [
        "2026-03-10T10:00",
        "2026-03-10T09:30",
        "2026-03-10T19:29:59",
        "2026-03-10T14:00",
    ] {
        assert!(
            !off_hours_at(ARJUN, local(zone, inside)),
            "{inside} is inside"
        );
    }
    for outside in [
        "2026-03-10T09:29:59",
        "2026-03-10T19:30",
        "2026-03-10T02:14",
    ] {
        assert!(
            off_hours_at(ARJUN, local(zone, outside)),
            "{outside} is outside"
        );
    }
}

#[test]
fn the_sentence_names_the_local_and_utc_times_the_hours_and_the_grace() {
    let findings = clone_at(
        ARJUN,
        "acme/payments",
        local("Asia/Kolkata", "2026-03-07T02:14"),
    );
    let f = of(&findings, "off_hours");
    assert_eq!(f.len(), 1, "{findings:#?}");
    let s = &f[0].sentence;
    for needle in [
        "arjun",
        "Sat 2026-03-07 02:14 IST in Asia/Kolkata",
        "Fri 2026-03-06 20:44 UTC",
        "Mon-Fri 10:00-19:00",
        "30m grace",
        "repository acme/payments",
    ] {
        assert!(s.contains(needle), "`{needle}` missing from: {s}");
    }
    assert_eq!(f[0].person.as_deref(), Some("arjun"));
    assert_eq!(f[0].resource.as_deref(), Some("repository:acme/payments"));
    assert_eq!(f[0].evidence.len(), 1);
}

#[test]
fn a_grant_covering_the_time_silences_off_hours_and_only_while_it_lasts() {
    let night = local("Asia/Kolkata", "2026-03-10T02:00");
    let grants = [grant(
        "req-1",
        "arjun",
        "prod-reader",
        night - jiff::SignedDuration::from_hours(1),
        night + jiff::SignedDuration::from_hours(1),
    )];
    let mut run = Run::new(index(), &grants);
    assert!(!has(
        &run.feed(github(ARJUN, Action::GitClone, "acme/payments", night)),
        "off_hours"
    ));
    // At the grant's end it no longer covers.
    let after = night + jiff::SignedDuration::from_hours(1);
    assert!(has(
        &run.feed(github(ARJUN, Action::GitClone, "acme/payments", after)),
        "off_hours"
    ));
    // Someone else's grant covers nothing of arjun's.
    let others = [grant(
        "req-2",
        "kavya",
        "prod-reader",
        night - jiff::SignedDuration::from_hours(1),
        after,
    )];
    let mut run = Run::new(index(), &others);
    assert!(has(
        &run.feed(github(ARJUN, Action::GitClone, "acme/payments", night)),
        "off_hours"
    ));
}

#[test]
fn weekends_are_off_hours() {
    // Sunday 11:00 in Kolkata: a weekday time, on a day with no hours.
    assert!(off_hours_at(
        ARJUN,
        local("Asia/Kolkata", "2026-03-08T11:00")
    ));
}

#[test]
fn hours_running_overnight_cover_the_morning_after() {
    let zone = "Asia/Manila";
    // Mon-Fri 22:00-07:00: Tuesday 02:00 and Saturday 06:00 are inside (the
    // nights of Monday and Friday), Tuesday 07:29 and Monday 21:30 inside the
    // grace; Monday 02:00 (Sunday's night), Saturday 22:00, Tuesday 07:30 and
    // Monday 21:29 are not.
    for inside in [
        "2026-03-10T02:00",
        "2026-03-14T06:00",
        "2026-03-10T07:29",
        "2026-03-09T21:30",
    ] {
        assert!(!off_hours_at(MIGUEL, local(zone, inside)), "{inside}");
    }
    for outside in [
        "2026-03-09T02:00",
        "2026-03-14T22:00",
        "2026-03-10T07:30",
        "2026-03-09T21:29",
    ] {
        assert!(off_hours_at(MIGUEL, local(zone, outside)), "{outside}");
    }
}

#[test]
fn the_same_utc_time_is_judged_by_the_local_clock_across_europes_change() {
    // Warsaw moves from UTC+1 to UTC+2 on Sunday 2026-03-29.
    // 06:15 UTC: Friday 07:15 local (before 08:00 minus 30m), Monday 08:15 local.
    assert!(off_hours_at(KATARZYNA, utc("2026-03-27T06:15:00Z")));
    assert!(!off_hours_at(KATARZYNA, utc("2026-03-30T06:15:00Z")));
    // 14:45 UTC: Friday 15:45 local, Monday 16:45 local (after 16:00 plus 30m).
    assert!(!off_hours_at(KATARZYNA, utc("2026-03-27T14:45:00Z")));
    assert!(off_hours_at(KATARZYNA, utc("2026-03-30T14:45:00Z")));
    // Kolkata keeps UTC+5:30: 04:30 UTC is 10:00 local on both days.
    assert!(!off_hours_at(ARJUN, utc("2026-03-27T04:30:00Z")));
    assert!(!off_hours_at(ARJUN, utc("2026-03-30T04:30:00Z")));
    // One detector fed both days in order, so the cached offset must move.
    let mut run = Run::new(index(), &[]);
    let a = run.feed(github(
        KATARZYNA,
        Action::GitClone,
        "acme/platform",
        utc("2026-03-27T06:15:00Z"),
    ));
    let b = run.feed(github(
        KATARZYNA,
        Action::GitClone,
        "acme/platform",
        utc("2026-03-30T06:15:00Z"),
    ));
    assert!(has(&a, "off_hours") && !has(&b, "off_hours"));
    let s = &of(&a, "off_hours")[0].sentence;
    assert!(
        s.contains("07:15 CET in Europe/Warsaw") && s.contains("06:15 UTC"),
        "{s}"
    );
}

#[test]
fn the_same_utc_time_is_judged_by_the_local_clock_across_the_us_changes() {
    // New York: EST to EDT on 2026-03-08, back on 2026-11-01.
    // 12:45 UTC: Friday 03-06 07:45 EST (off), Monday 03-09 08:45 EDT (grace).
    assert!(off_hours_at(DANA, utc("2026-03-06T12:45:00Z")));
    assert!(!off_hours_at(DANA, utc("2026-03-09T12:45:00Z")));
    // 23:15 UTC: Friday 10-30 19:15 EDT (off), Monday 11-02 18:15 EST (grace).
    assert!(off_hours_at(DANA, utc("2026-10-30T23:15:00Z")));
    assert!(!off_hours_at(DANA, utc("2026-11-02T23:15:00Z")));
    let mut run = Run::new(index(), &[]);
    let mut flips = Vec::new();
    for t in [
        "2026-03-06T12:45:00Z",
        "2026-03-09T12:45:00Z",
        "2026-10-30T23:15:00Z",
        "2026-11-02T23:15:00Z",
    ] {
        flips.push(has(
            &run.feed(github(DANA, Action::GitClone, "acme/platform", utc(t))),
            "off_hours",
        ));
    }
    assert_eq!(flips, [true, false, true, false]);
}

#[test]
fn a_person_without_declared_hours_is_never_off_hours() {
    let mut model = acme();
    model
        .people
        .iter_mut()
        .find(|p| p.handle == "arjun")
        .unwrap()
        .hours = None;
    let index = index_of(model);
    let mut run = Run::new(index, &[]);
    let f = run.feed(github(
        ARJUN,
        Action::GitClone,
        "acme/payments",
        local("Asia/Kolkata", "2026-03-08T03:00"),
    ));
    assert!(!has(&f, "off_hours"), "{f:#?}");
}

/// Feeds `n` in-hours clones by arjun on Tuesdays 10:00-10:59 in Kolkata.
fn tuesday_mornings(run: &mut Run<'_>, n: usize) {
    for i in 0..n {
        let week = i / 50;
        let minute = i % 50;
        let t = local("Asia/Kolkata", &format!("2026-01-06T10:{minute:02}"))
            + jiff::SignedDuration::from_hours(24 * 7 * week as i64);
        let f = run.feed(github(ARJUN, Action::GitClone, "acme/payments", t));
        assert!(f.is_empty(), "{f:#?}");
    }
}

#[test]
fn rare_hour_is_silent_until_the_minimum_history_then_reports_an_hour_never_seen() {
    // Default minimum 200 events, share 0.5%.
    let mut run = Run::new(index(), &[]);
    tuesday_mornings(&mut run, 199);
    // Tuesday 15:00 is inside hours, just rare: 199 events is not enough.
    let afternoon = local("Asia/Kolkata", "2026-03-03T15:00");
    assert!(!has(
        &run.feed(github(ARJUN, Action::GitClone, "acme/payments", afternoon)),
        "rare_hour"
    ));

    let mut run = Run::new(index(), &[]);
    tuesday_mornings(&mut run, 200);
    let findings = run.feed(github(ARJUN, Action::GitClone, "acme/payments", afternoon));
    let f = of(&findings, "rare_hour");
    assert_eq!(f.len(), 1, "{findings:#?}");
    assert!(
        f[0].sentence.contains("0 of their 200 past events"),
        "{}",
        f[0].sentence
    );
    assert!(
        f[0].sentence
            .contains("Tue 2026-03-03 15:00 IST in Asia/Kolkata"),
        "{}",
        f[0].sentence
    );
    // The habit is learned: once the hour holds its share, it is not rare.
    let later = afternoon + jiff::SignedDuration::from_mins(5);
    assert!(has(
        &run.feed(github(ARJUN, Action::GitClone, "acme/payments", later)),
        "rare_hour"
    ));
    let later = later + jiff::SignedDuration::from_mins(5);
    assert!(!has(
        &run.feed(github(ARJUN, Action::GitClone, "acme/payments", later)),
        "rare_hour"
    ));
    // The usual hour, on another Tuesday, in UTC terms 04:30.
    let usual = utc("2026-04-07T04:45:00Z");
    assert!(
        run.feed(github(ARJUN, Action::GitClone, "acme/payments", usual))
            .is_empty()
    );
}

#[test]
fn rare_hour_history_survives_into_the_next_run() {
    let mut run = Run::new(index(), &[]);
    tuesday_mornings(&mut run, 200);
    let profiles = run.detectors.into_profiles();
    // Through JSON, as it is stored.
    let json = serde_json::to_string(&profiles).unwrap();
    let profiles: palisade_monitor::detect::Profiles = serde_json::from_str(&json).unwrap();
    assert_eq!(profiles.people["arjun"].hours.iter().sum::<u32>(), 200);
    let mut run = Run::with(index(), &[], profiles);
    let afternoon = local("Asia/Kolkata", "2026-03-03T15:00");
    assert!(has(
        &run.feed(github(ARJUN, Action::GitClone, "acme/payments", afternoon)),
        "rare_hour"
    ));
}

#[test]
fn rare_hour_waits_for_a_week_of_history_however_many_events() {
    // 300 events on one Monday morning: Tuesday afternoon has not come
    // round yet, so it is not rare; a week later the same hour is.
    let mut run = Run::new(index(), &[]);
    for i in 0..300 {
        let t = local("Asia/Kolkata", "2026-03-02T10:00") + jiff::SignedDuration::from_secs(10 * i);
        assert!(
            run.feed(github(ARJUN, Action::GitFetch, "acme/payments", t))
                .is_empty()
        );
    }
    let tuesday = local("Asia/Kolkata", "2026-03-03T15:00");
    assert!(!has(
        &run.feed(github(ARJUN, Action::GitFetch, "acme/payments", tuesday)),
        "rare_hour"
    ));
    let wednesday = local("Asia/Kolkata", "2026-03-11T15:00");
    assert!(has(
        &run.feed(github(ARJUN, Action::GitFetch, "acme/payments", wednesday)),
        "rare_hour"
    ));
}

#[test]
fn an_evening_seen_on_the_days_like_it_is_not_rare_while_its_own_hour_is_thin() {
    // arjun works Mon-Fri 10:00-19:00 in Kolkata and stays a little late
    // now and then. After two weeks, Thursday 19:00 has never come up, but
    // Monday to Wednesday evenings have.
    let mut run = Run::new(index(), &[]);
    let monday = local("Asia/Kolkata", "2026-03-02T10:00");
    for week in 0..2i64 {
        for day in 0..5i64 {
            for hour in 0..9i64 {
                for k in 0..3i64 {
                    let t = monday
                        + jiff::SignedDuration::from_hours(24 * (7 * week + day) + hour)
                        + jiff::SignedDuration::from_mins(10 * k);
                    run.feed(github(ARJUN, Action::GitFetch, "acme/payments", t));
                }
            }
            if day < 3 {
                for k in 0..2i64 {
                    let t = monday
                        + jiff::SignedDuration::from_hours(24 * (7 * week + day) + 9)
                        + jiff::SignedDuration::from_mins(5 + 5 * k);
                    run.feed(github(ARJUN, Action::GitFetch, "acme/payments", t));
                }
            }
        }
    }
    let thursday = local("Asia/Kolkata", "2026-03-12T19:10");
    let f = run.feed(github(ARJUN, Action::GitFetch, "acme/payments", thursday));
    assert!(!has(&f, "rare_hour"), "{f:#?}");
    // An hour no day of the kind has seen stays rare: 07:00.
    let early = local("Asia/Kolkata", "2026-03-13T07:00");
    let f = run.feed(github(ARJUN, Action::GitFetch, "acme/payments", early));
    assert!(has(&f, "rare_hour"), "{f:#?}");
    assert!(
        of(&f, "rare_hour")[0]
            .sentence
            .contains("the same hour on days like it 0.00% on average"),
        "{f:#?}"
    );
}

#[test]
fn a_saturday_afternoon_is_rare_for_someone_whose_saturdays_end_early() {
    // omar works Tue-Sat 10:00-18:00 in London, but on Saturdays he stops
    // at 14:00: three weeks of that make a Saturday 16:30 rare although
    // 16:00 is an ordinary hour on the other days of his week.
    let mut run = Run::new(index(), &[]);
    let tuesday = local("Europe/London", "2026-03-03T10:00");
    for week in 0..3i64 {
        for day in 0..5i64 {
            let hours = if day == 4 { 4 } else { 8 };
            for hour in 0..hours {
                for k in 0..4i64 {
                    let t = tuesday
                        + jiff::SignedDuration::from_hours(24 * (7 * week + day) + hour)
                        + jiff::SignedDuration::from_mins(12 * k);
                    let f = run.feed(github("ohaddad", Action::GitFetch, "acme/payments", t));
                    assert!(!has(&f, "rare_hour"), "{f:#?}");
                }
            }
        }
    }
    let saturday = local("Europe/London", "2026-03-28T16:30");
    let f = run.feed(github(
        "ohaddad",
        Action::GitPush,
        "acme/payments",
        saturday,
    ));
    assert!(has(&f, "rare_hour"), "{f:#?}");
    // The same hour on a Friday is his habit.
    let friday = local("Europe/London", "2026-03-27T16:30");
    let f = run.feed(github("ohaddad", Action::GitPush, "acme/payments", friday));
    assert!(!has(&f, "rare_hour"), "{f:#?}");
}
