//! Windowed detectors: `mass_download` (distinct repositories within the
//! window, and a day against the person's own median) and `failed_logins`
//! (bursts per user and per address, and a success right after one).

use jiff::{SignedDuration, Timestamp};
use palisade_monitor::event::Action;
use palisade_monitor::finding::Severity;

use super::*;

const ELEANOR: &str = "ewhitfield"; // Europe/London, Mon-Fri 09:00-17:30

fn clones(
    run: &mut Run<'_>,
    start: Timestamp,
    step: i64,
    repos: impl IntoIterator<Item = String>,
) -> Vec<palisade_monitor::finding::Finding> {
    let mut out = Vec::new();
    for (i, repo) in repos.into_iter().enumerate() {
        let t = start + SignedDuration::from_secs(step * i as i64);
        out.extend(run.feed(github(ELEANOR, Action::GitClone, &repo, t)));
    }
    out
}

fn repos(n: usize) -> impl Iterator<Item = String> {
    (0..n).map(|i| format!("acme/r{i:02}"))
}

const TUESDAY: &str = "2026-03-10T10:00:00Z";

#[test]
fn twenty_distinct_repositories_within_the_hour_are_a_mass_download() {
    let mut run = Run::new(index(), &[]);
    let findings = clones(&mut run, utc(TUESDAY), 180, repos(20));
    let f = of(&findings, "mass_download");
    assert_eq!(f.len(), 1, "{findings:#?}");
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].evidence.len(), 20);
    let s = &f[0].sentence;
    assert!(
        s.contains("20 distinct repositories in 57 minutes")
            && s.contains("threshold of 20 within 60 minutes"),
        "{s}"
    );
    assert!(s.contains("acme/r00") && s.contains("and 15 more"), "{s}");
}

#[test]
fn nineteen_or_twenty_spread_over_more_than_the_hour_are_not() {
    let mut run = Run::new(index(), &[]);
    assert!(!has(
        &clones(&mut run, utc(TUESDAY), 180, repos(19)),
        "mass_download"
    ));
    let mut run = Run::new(index(), &[]);
    // 19 gaps of 190 s: 60 min 10 s from first to last.
    assert!(!has(
        &clones(&mut run, utc(TUESDAY), 190, repos(20)),
        "mass_download"
    ));
    // One repository cloned thirty times is one repository.
    let mut run = Run::new(index(), &[]);
    assert!(!has(
        &clones(
            &mut run,
            utc(TUESDAY),
            60,
            (0..30).map(|_| "acme/platform".to_owned())
        ),
        "mass_download"
    ));
}

#[test]
fn archives_count_and_fetches_do_not() {
    let mut run = Run::new(index(), &[]);
    let t = utc(TUESDAY);
    let mut findings = Vec::new();
    for (i, repo) in repos(25).enumerate() {
        findings.extend(run.feed(github(
            ELEANOR,
            Action::GitFetch,
            &repo,
            t + SignedDuration::from_secs(60 * i as i64),
        )));
    }
    assert!(!has(&findings, "mass_download"));
    let mut run = Run::new(index(), &[]);
    let mut findings = Vec::new();
    for (i, repo) in repos(20).enumerate() {
        let action = if i % 2 == 0 {
            Action::GitClone
        } else {
            Action::ArchiveDownload
        };
        findings.extend(run.feed(github(
            ELEANOR,
            action,
            &repo,
            t + SignedDuration::from_secs(60 * i as i64),
        )));
    }
    assert_eq!(of(&findings, "mass_download").len(), 1);
}

/// `days` working days (from Monday 2026-03-02) of two repositories each.
fn usual_days(run: &mut Run<'_>, days: usize) -> Timestamp {
    let mut day = utc("2026-03-02T10:00:00Z");
    let mut n = 0;
    while n < days {
        let weekday = day.to_zoned(jiff::tz::TimeZone::UTC).weekday();
        if weekday.to_monday_zero_offset() < 5 {
            let f = clones(
                run,
                day,
                1200,
                ["acme/platform".to_owned(), format!("acme/day{n}")],
            );
            assert!(!has(&f, "mass_download"), "{f:#?}");
            n += 1;
        }
        day += SignedDuration::from_hours(24);
    }
    day
}

#[test]
fn a_day_at_five_times_the_persons_median_is_a_mass_download_once_there_is_a_week_of_history() {
    // Median 2, factor 5: 10 (which is also half the absolute threshold).
    let mut run = Run::new(index(), &[]);
    let day = usual_days(&mut run, 7);
    // Nine repositories, one every 20 minutes: not yet.
    let f = clones(&mut run, day, 1200, repos(9));
    assert!(!has(&f, "mass_download"), "{f:#?}");
    let f = clones(
        &mut run,
        day + SignedDuration::from_hours(3),
        60,
        ["acme/r09".to_owned()],
    );
    let m = of(&f, "mass_download");
    assert_eq!(m.len(), 1, "{f:#?}");
    assert_eq!(m[0].severity, Severity::Medium);
    assert!(
        m[0].sentence.contains("10 distinct repositories today")
            && m[0]
                .sentence
                .contains("median of 2 on their last 7 active days"),
        "{}",
        m[0].sentence
    );
    // Once a day.
    assert!(!has(
        &clones(
            &mut run,
            day + SignedDuration::from_hours(4),
            60,
            ["acme/r10".to_owned()]
        ),
        "mass_download"
    ));

    // Six days of history is not enough to judge.
    let mut run = Run::new(index(), &[]);
    let day = usual_days(&mut run, 6);
    assert!(!has(
        &clones(&mut run, day, 1200, repos(12)),
        "mass_download"
    ));
}

#[test]
fn the_baseline_carries_over_between_runs() {
    let mut run = Run::new(index(), &[]);
    let day = usual_days(&mut run, 7);
    let profiles = run.detectors.into_profiles();
    assert_eq!(profiles.people["eleanor"].daily_repositories, vec![2; 6]);
    assert_eq!(
        profiles.people["eleanor"]
            .today
            .as_ref()
            .unwrap()
            .repositories
            .len(),
        2
    );
    let mut run = Run::with(index(), &[], profiles);
    assert!(has(&clones(&mut run, day, 600, repos(10)), "mass_download"));
}

fn fails(
    run: &mut Run<'_>,
    start: Timestamp,
    step: i64,
    who: &[(&str, &str)],
) -> Vec<palisade_monitor::finding::Finding> {
    let mut out = Vec::new();
    for (i, (user, from)) in who.iter().enumerate() {
        let t = start + SignedDuration::from_secs(step * i as i64);
        out.extend(run.feed(ssh(user, failed(), "bastion.prod.acme.internal", from, t)));
    }
    out
}

const HOST: &str = "bastion.prod.acme.internal";

#[test]
fn five_failures_for_one_user_within_ten_minutes_are_a_burst_and_four_are_not() {
    let t = utc(TUESDAY);
    let addresses = [
        "203.0.113.1",
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "203.0.113.5",
    ];
    let five: Vec<_> = addresses.iter().map(|a| ("root", *a)).collect();
    let mut run = Run::new(index(), &[]);
    let f = fails(&mut run, t, 60, &five[..4]);
    assert!(f.is_empty(), "{f:#?}");
    let mut run = Run::new(index(), &[]);
    let f = fails(&mut run, t, 60, &five);
    let b = of(&f, "failed_logins");
    assert_eq!(b.len(), 1, "{f:#?}");
    assert!(
        b[0].sentence
            .contains("5 failed logins for user `root` within 10 minutes"),
        "{}",
        b[0].sentence
    );
    assert_eq!(b[0].evidence.len(), 5);
    // A burst going on is one burst.
    let more = fails(&mut run, t + SignedDuration::from_mins(5), 30, &five);
    assert!(more.is_empty(), "{more:#?}");
    // Spread so that the first is exactly ten minutes before the fifth: not within.
    let mut run = Run::new(index(), &[]);
    assert!(fails(&mut run, t, 150, &five).is_empty());
    // No unknown_actor for failures: guessing names is this detector's.
    let mut run = Run::new(index(), &[]);
    assert!(!has(&fails(&mut run, t, 60, &five), "unknown_actor"));
}

#[test]
fn five_failures_from_one_address_across_users_are_a_burst() {
    let who = [
        ("admin", "203.0.113.9"),
        ("oracle", "203.0.113.9"),
        ("test", "203.0.113.9"),
        ("ubuntu", "203.0.113.9"),
        ("git", "203.0.113.9"),
    ];
    let mut run = Run::new(index(), &[]);
    let f = fails(&mut run, utc(TUESDAY), 10, &who);
    let b = of(&f, "failed_logins");
    assert_eq!(b.len(), 1, "{f:#?}");
    assert!(
        b[0].sentence.contains("from 203.0.113.9"),
        "{}",
        b[0].sentence
    );
    // A spray is the address's doing, not the last name it tried.
    assert_eq!(b[0].actor, "203.0.113.9");
    assert_eq!(b[0].person, None);
}

#[test]
fn a_success_right_after_a_burst_is_worse_and_one_later_or_after_fewer_is_not() {
    let t = utc("2026-03-10T06:00:00Z"); // 11:30 in Kolkata
    let who = [("kavya.iyer", "203.0.113.9"); 5];
    let mut run = Run::new(index(), &[]);
    let f = fails(&mut run, t, 20, &who);
    assert_eq!(
        of(&f, "failed_logins").len(),
        1,
        "one user's burst from one address is one finding, the user's: {f:#?}"
    );
    let ok = run.feed(ssh(
        "kavya.iyer",
        login(),
        "db1.staging.acme.internal",
        "203.0.113.9",
        t + SignedDuration::from_mins(3),
    ));
    let b = of(&ok, "failed_logins");
    assert_eq!(b.len(), 1, "{ok:#?}");
    assert_eq!(b[0].severity, Severity::High);
    assert!(
        b[0].sentence
            .contains("burst of 5 failed logins for user `kavya.iyer`"),
        "{}",
        b[0].sentence
    );
    assert_eq!(b[0].evidence.len(), 6);
    assert_eq!(b[0].person.as_deref(), Some("kavya"));
    // Reported once.
    let again = run.feed(ssh(
        "kavya.iyer",
        login(),
        "db1.staging.acme.internal",
        "203.0.113.9",
        t + SignedDuration::from_mins(4),
    ));
    assert!(!has(&again, "failed_logins"), "{again:#?}");

    // Eleven minutes after the last failure: not right after.
    let mut run = Run::new(index(), &[]);
    fails(&mut run, t, 20, &who);
    let late = t + SignedDuration::from_secs(80) + SignedDuration::from_mins(11);
    assert!(!has(
        &run.feed(ssh(
            "kavya.iyer",
            login(),
            "db1.staging.acme.internal",
            "203.0.113.9",
            late
        )),
        "failed_logins"
    ));
    // Four failures are no burst, so the success is fine.
    let mut run = Run::new(index(), &[]);
    fails(&mut run, t, 20, &who[..4]);
    assert!(
        run.feed(ssh(
            "kavya.iyer",
            login(),
            "db1.staging.acme.internal",
            "203.0.113.9",
            t + SignedDuration::from_mins(2)
        ))
        .is_empty()
    );
    // The same address, another user.
    let mut run = Run::new(index(), &[]);
    fails(&mut run, t, 20, &who);
    let other = run.feed(ssh(
        "arjun.menon",
        login(),
        HOST,
        "203.0.113.9",
        t + SignedDuration::from_mins(2),
    ));
    assert!(
        of(&other, "failed_logins")[0]
            .sentence
            .contains("for address 203.0.113.9")
    );
}
