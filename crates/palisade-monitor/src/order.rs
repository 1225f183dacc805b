//! Events in time order, whatever order a log was written in.
//!
//! The detectors judge each event against what came before it (a burst of
//! failed logins, the repositories cloned in the last hour, a person's usual
//! hours), so they need time to go forward. Logs do not always oblige:
//!
//! - GitHub's audit-log API returns the newest events first unless asked
//!   otherwise, so a saved export is written backwards;
//! - a central syslog interleaves hosts whose clocks differ by seconds, and
//!   several sources of one ingest cover the same weeks;
//! - a clock set back repeats an hour.
//!
//! [`Ordered`] puts one source in order: it looks at the first events to tell
//! a newest-first log (then spools the events to a temporary file and replays
//! them backwards, in memory bounded by a segment), and holds events for a
//! short window (`reorder window`) so that small disorder is put right.
//! An event that comes later than the window allows is passed on as it is,
//! and counted: [`OrderStats`] says how many were put back in order, how
//! many were late, how many steps back were clock jumps, and the largest.
//! [`Merged`] then interleaves several ordered sources by time.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::event::Event;
use crate::parse::Problem;

/// The order a log is written in, as the user says or as [`Ordered`] finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Find out from the first events.
    #[default]
    Auto,
    /// Oldest first (how logs are appended).
    OldestFirst,
    /// Newest first (how GitHub's audit-log API pages by default).
    NewestFirst,
}

/// `--order` was not one of the orders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order `{0}`: use auto, oldest-first or newest-first")]
pub struct UnknownOrder(String);

impl FromStr for Order {
    type Err = UnknownOrder;

    fn from_str(s: &str) -> Result<Order, UnknownOrder> {
        match s {
            "auto" => Ok(Order::Auto),
            "oldest-first" => Ok(Order::OldestFirst),
            "newest-first" => Ok(Order::NewestFirst),
            other => Err(UnknownOrder(other.to_owned())),
        }
    }
}

/// What putting a source in order came to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrderStats {
    /// The log was written newest first and was read backwards.
    pub newest_first: bool,
    /// Events that came after a later one but within the reorder window,
    /// and were put back in order.
    pub reordered: u64,
    /// Events that came after later events had already been judged (beyond
    /// the window): judged late, in the order they came.
    pub late: u64,
    /// Steps back from the event read just before larger than the window (a
    /// clock set back, a log that starts its history again); the events
    /// behind such a step are late.
    pub backward_jumps: u64,
    /// The largest step back, in seconds.
    pub largest_step_back_secs: i64,
    /// The raw line of the first late event.
    pub first_late_line: Option<u64>,
}

impl OrderStats {
    /// Whether there is anything to say about the order.
    pub fn is_clean(&self) -> bool {
        self.reordered == 0 && self.late == 0 && self.backward_jumps == 0
    }
}

/// Why events could not be put in order.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The temporary file a newest-first log is replayed from failed.
    #[error("cannot spool a newest-first log to a temporary file to read it backwards: {0}")]
    Spool(#[from] std::io::Error),
}

/// How many events [`Order::Auto`] looks at before deciding.
pub const PROBE: usize = 1_000;
/// Events per segment of the spool; the most held in memory when a
/// newest-first log is replayed.
const SEGMENT: usize = 16_384;
/// The most events the reorder window holds, whatever its length.
pub const MAX_HELD: usize = 100_000;

/// Whether `times` (in the order read) step back far more often than
/// forward: a newest-first log. Equal times say nothing.
pub fn looks_newest_first(times: &[Timestamp]) -> bool {
    let (mut back, mut forward) = (0usize, 0usize);
    for w in times.windows(2) {
        match w[1].cmp(&w[0]) {
            std::cmp::Ordering::Less => back += 1,
            std::cmp::Ordering::Greater => forward += 1,
            std::cmp::Ordering::Equal => {}
        }
    }
    back >= 2 && back > 4 * forward
}

/// Where the events come from once the order is known.
enum Phase {
    /// Still to look at the first events.
    Probe,
    /// Reading the source as it comes (after the probed events).
    Forward(VecDeque<Box<Event>>),
    /// Replaying the spool backwards, one segment at a time.
    Backward(Spool),
    /// The source is exhausted.
    Done,
}

/// A newest-first log written to a temporary file in segments, read back
/// last segment first, each segment reversed.
struct Spool {
    file: File,
    /// Each segment's start offset; the end of the last is `end`.
    starts: Vec<u64>,
    end: u64,
    current: Vec<Event>,
}

impl Spool {
    fn write<I: Iterator<Item = Box<Event>>>(events: I) -> Result<Spool, OrderError> {
        let mut file = tempfile::tempfile()?;
        let mut starts = Vec::new();
        let mut offset = 0u64;
        {
            let mut out = BufWriter::with_capacity(1 << 20, &mut file);
            let mut in_segment = 0usize;
            let mut line = Vec::new();
            for event in events {
                if in_segment == 0 {
                    starts.push(offset);
                }
                line.clear();
                serde_json::to_writer(&mut line, &event).map_err(std::io::Error::other)?;
                line.push(b'\n');
                out.write_all(&line)?;
                offset += line.len() as u64;
                in_segment = (in_segment + 1) % SEGMENT;
            }
            out.flush()?;
        }
        Ok(Spool {
            file,
            starts,
            end: offset,
            current: Vec::new(),
        })
    }

    /// The next event backwards, loading the segment before when needed.
    fn next(&mut self) -> Result<Option<Box<Event>>, OrderError> {
        if let Some(e) = self.current.pop() {
            return Ok(Some(Box::new(e)));
        }
        let Some(start) = self.starts.pop() else {
            return Ok(None);
        };
        self.file.seek(SeekFrom::Start(start))?;
        let len = self.end - start;
        let mut reader = BufReader::new(std::io::Read::take(&mut self.file, len));
        let mut line = String::new();
        while reader.read_line(&mut line)? > 0 {
            let event: Event =
                serde_json::from_str(line.trim_end_matches('\n')).map_err(std::io::Error::other)?;
            self.current.push(event);
            line.clear();
        }
        self.end = start;
        Ok(self.current.pop().map(Box::new))
    }
}

/// One source's events in time order; see the module's description. Events
/// are boxed while held so that ordering moves a pointer, not the event.
pub struct Ordered<I> {
    inner: I,
    order: Order,
    window: SignedDuration,
    phase: Phase,
    /// Events held for the window, sorted by time (ties in arrival order).
    held: VecDeque<Box<Event>>,
    /// The latest time seen.
    newest: Option<Timestamp>,
    /// The time of the event read last.
    previous: Option<Timestamp>,
    /// The time of the last event passed on.
    passed: Option<Timestamp>,
    stats: OrderStats,
}

impl<I> Ordered<I>
where
    I: Iterator<Item = (u64, Result<Event, Problem>)>,
{
    /// Orders the events of `inner` (its problems are dropped here: the
    /// source counts them), holding each for `window`.
    pub fn new(inner: I, order: Order, window: SignedDuration) -> Ordered<I> {
        Ordered {
            inner,
            order,
            window: window.abs(),
            phase: Phase::Probe,
            held: VecDeque::new(),
            newest: None,
            previous: None,
            passed: None,
            stats: OrderStats::default(),
        }
    }

    /// The source (for its own counts).
    pub fn inner(&self) -> &I {
        &self.inner
    }

    /// What ordering came to so far.
    pub fn stats(&self) -> &OrderStats {
        &self.stats
    }

    fn next_event(&mut self) -> Option<Box<Event>> {
        self.inner
            .by_ref()
            .find_map(|(_, outcome)| outcome.ok().map(Box::new))
    }

    /// Decides the order from the first events and sets the phase.
    fn probe(&mut self) -> Result<(), OrderError> {
        let mut first: VecDeque<Box<Event>> = VecDeque::new();
        let wanted = match self.order {
            Order::Auto => PROBE,
            Order::OldestFirst | Order::NewestFirst => 0,
        };
        while first.len() < wanted {
            match self.next_event() {
                Some(e) => first.push_back(e),
                None => break,
            }
        }
        let newest_first = match self.order {
            Order::Auto => {
                let times: Vec<Timestamp> = first.iter().map(|e| e.time).collect();
                looks_newest_first(&times)
            }
            Order::OldestFirst => false,
            Order::NewestFirst => true,
        };
        self.phase = if newest_first {
            self.stats.newest_first = true;
            let rest = std::iter::from_fn(|| self.next_event());
            let spool = Spool::write(first.into_iter().chain(rest))?;
            Phase::Backward(spool)
        } else {
            Phase::Forward(first)
        };
        Ok(())
    }

    /// The next event in the order read (after the probe).
    fn pull(&mut self) -> Result<Option<Box<Event>>, OrderError> {
        loop {
            match &mut self.phase {
                Phase::Probe => self.probe()?,
                Phase::Forward(first) => {
                    if let Some(e) = first.pop_front() {
                        return Ok(Some(e));
                    }
                    let next = self.next_event();
                    if next.is_none() {
                        self.phase = Phase::Done;
                    }
                    return Ok(next);
                }
                Phase::Backward(spool) => {
                    let next = spool.next()?;
                    if next.is_none() {
                        self.phase = Phase::Done;
                    }
                    return Ok(next);
                }
                Phase::Done => return Ok(None),
            }
        }
    }

    /// Takes `event` into the window, counting how it stands to the others.
    fn hold(&mut self, event: Box<Event>) {
        let t = event.time;
        let jump = self
            .previous
            .is_some_and(|p| t < p && p.duration_since(t) > self.window);
        if jump {
            self.stats.backward_jumps += 1;
        }
        self.previous = Some(t);
        if let Some(newest) = self.newest
            && t < newest
        {
            let back = newest.duration_since(t);
            self.stats.largest_step_back_secs =
                self.stats.largest_step_back_secs.max(back.as_secs());
        }
        if self.passed.is_some_and(|p| t < p) {
            // Later events were judged already.
            self.stats.late += 1;
            if self.stats.first_late_line.is_none() {
                self.stats.first_late_line = Some(event.raw.line);
            }
        } else if self.newest.is_some_and(|n| t < n) {
            self.stats.reordered += 1;
        }
        // After a jump back the window runs on the new timeline: one record
        // far in the future (or a clock that was ahead) must not leave every
        // later event released unordered. What was held from before the jump
        // is newer, and waits its turn by time.
        self.newest = if jump {
            Some(t)
        } else {
            Some(self.newest.map_or(t, |n| n.max(t)))
        };
        // Mostly in order: the place is found from the back.
        let at = self
            .held
            .iter()
            .rposition(|h| h.time <= t)
            .map_or(0, |i| i + 1);
        self.held.insert(at, event);
    }

    /// The oldest held event, if the window has passed it (or `all`).
    fn release(&mut self, all: bool) -> Option<Box<Event>> {
        let front = self.held.front()?;
        let due = all
            || self.held.len() > MAX_HELD
            || self
                .newest
                .is_some_and(|n| n.duration_since(front.time) >= self.window);
        if !due {
            return None;
        }
        let e = self.held.pop_front()?;
        self.passed = Some(self.passed.map_or(e.time, |p| p.max(e.time)));
        Some(e)
    }
}

impl<I> Iterator for Ordered<I>
where
    I: Iterator<Item = (u64, Result<Event, Problem>)>,
{
    type Item = Result<Box<Event>, OrderError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.release(false) {
                return Some(Ok(e));
            }
            match self.pull() {
                Ok(Some(e)) => self.hold(e),
                Ok(None) => return self.release(true).map(Ok),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Several ordered sources interleaved by time (ties go to the source named
/// first).
pub struct Merged<I> {
    sources: Vec<Ordered<I>>,
    heads: Vec<Option<Box<Event>>>,
    started: bool,
    /// An error was returned: the merge ends there.
    failed: bool,
}

impl<I> Merged<I>
where
    I: Iterator<Item = (u64, Result<Event, Problem>)>,
{
    /// Interleaves `sources`.
    pub fn new(sources: Vec<Ordered<I>>) -> Merged<I> {
        let heads = sources.iter().map(|_| None).collect();
        Merged {
            sources,
            heads,
            started: false,
            failed: false,
        }
    }

    /// The sources, in the order given (for their counts).
    pub fn sources(&self) -> &[Ordered<I>] {
        &self.sources
    }
}

impl<I> Iterator for Merged<I>
where
    I: Iterator<Item = (u64, Result<Event, Problem>)>,
{
    /// The event, with the position of its source.
    type Item = Result<(usize, Box<Event>), OrderError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if !self.started {
            self.started = true;
            for (i, s) in self.sources.iter_mut().enumerate() {
                match s.next() {
                    Some(Ok(e)) => self.heads[i] = Some(e),
                    Some(Err(e)) => {
                        self.failed = true;
                        return Some(Err(e));
                    }
                    None => {}
                }
            }
        }
        let i = self
            .heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|e| (e.time, i)))
            .min()?
            .1;
        let event = self.heads[i].take()?;
        match self.sources[i].next() {
            Some(Ok(e)) => self.heads[i] = Some(e),
            Some(Err(e)) => {
                // The merge stops at an error (a spool that cannot be read):
                // the caller reports it rather than judging half a source.
                self.failed = true;
                return Some(Err(e));
            }
            None => {}
        }
        Some(Ok((i, event)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;
    use crate::event::{Action, Actor, ActorKind, Outcome, RawRef, Source};

    fn event(secs: i64, line: u64) -> Event {
        Event {
            time: Timestamp::from_second(1_790_000_000 + secs).unwrap(),
            actor: Actor {
                name: "arjun".to_owned(),
                kind: ActorKind::GithubLogin,
                person: None,
            },
            action: Action::GitClone,
            resource: None,
            source_address: None,
            outcome: Outcome::Success,
            grant: None,
            serial: None,
            lossy: false,
            raw: RawRef {
                source: Source::Github,
                file: "audit.json".to_owned(),
                line,
                id: None,
            },
        }
    }

    fn source(secs: &[i64]) -> impl Iterator<Item = (u64, Result<Event, Problem>)> + use<> {
        let events: Vec<_> = secs
            .iter()
            .zip(1u64..)
            .map(|(&s, line)| (line, Ok(event(s, line))))
            .collect();
        events.into_iter()
    }

    fn times(events: &[Event]) -> Vec<i64> {
        events
            .iter()
            .map(|e| e.time.as_second() - 1_790_000_000)
            .collect()
    }

    fn ordered(secs: &[i64], order: Order, window_secs: i64) -> (Vec<Event>, OrderStats) {
        let mut o = Ordered::new(source(secs), order, SignedDuration::from_secs(window_secs));
        let out: Vec<Event> = o.by_ref().map(|e| *e.unwrap()).collect();
        (out, o.stats().clone())
    }

    #[test]
    fn a_newest_first_log_is_read_backwards_across_segments() {
        // More than the probe and than a spool segment, newest first, with
        // several events per second as an API page has them.
        let n = (SEGMENT * 2 + 500) as i64;
        let secs: Vec<i64> = (0..n).rev().map(|i| i / 3).collect();
        let (out, stats) = ordered(&secs, Order::Auto, 300);
        assert_eq!(out.len(), secs.len());
        assert!(stats.newest_first, "{stats:?}");
        assert!(stats.is_clean(), "{stats:?}");
        let got = times(&out);
        assert!(got.windows(2).all(|w| w[0] <= w[1]), "not ascending");
        // The raw references still name the line each record was on.
        assert_eq!(out[0].raw.line, secs.len() as u64);
        assert_eq!(out.last().unwrap().raw.line, 1);
    }

    #[test]
    fn an_oldest_first_log_with_small_disorder_is_put_right_and_counted() {
        let secs = [0, 10, 5, 20, 200, 150, 400, 390, 395, 1000];
        let (out, stats) = ordered(&secs, Order::Auto, 300);
        assert!(!stats.newest_first);
        assert_eq!(
            times(&out),
            vec![0, 5, 10, 20, 150, 200, 390, 395, 400, 1000]
        );
        assert_eq!(
            (stats.reordered, stats.late, stats.backward_jumps),
            (4, 0, 0)
        );
        assert_eq!(stats.largest_step_back_secs, 50);
    }

    #[test]
    fn a_clock_set_back_is_a_counted_jump_and_its_events_are_late() {
        // An hour of events every minute, then the clock goes back an hour.
        let mut secs: Vec<i64> = (0..60).map(|m| m * 60).collect();
        secs.extend((0..10).map(|m| m * 60 + 30));
        let (out, stats) = ordered(&secs, Order::OldestFirst, 300);
        assert_eq!(out.len(), 70);
        assert_eq!(stats.backward_jumps, 1, "{stats:?}");
        // Those within the window of the last events read are put in order;
        // the others had been judged before them.
        assert_eq!(stats.late + stats.reordered, 10, "{stats:?}");
        assert!(stats.late >= 5, "{stats:?}");
        assert_eq!(stats.largest_step_back_secs, 59 * 60 - 30);
        assert_eq!(stats.first_late_line, Some(61));
    }

    #[test]
    fn one_record_far_in_the_future_does_not_stop_the_rest_being_put_in_order() {
        // A record dated decades ahead, then small disorder: still put right.
        let secs = [0, 10, 2_000_000_000, 30, 20, 40, 35, 50];
        let (out, stats) = ordered(&secs, Order::OldestFirst, 300);
        assert_eq!(
            times(&out),
            vec![0, 10, 20, 30, 35, 40, 50, 2_000_000_000],
            "{stats:?}"
        );
        assert_eq!(stats.backward_jumps, 1, "{stats:?}");
        assert_eq!(stats.late, 0, "{stats:?}");
    }

    #[test]
    fn the_order_can_be_named_and_a_wrong_name_says_the_choices() {
        let secs = [30, 20, 10];
        let (out, stats) = ordered(&secs, Order::OldestFirst, 0);
        assert!(!stats.newest_first);
        assert_eq!(times(&out), vec![30, 20, 10]);
        assert_eq!(stats.late, 2);
        let (out, stats) = ordered(&secs, Order::NewestFirst, 0);
        assert!(stats.newest_first);
        assert_eq!(times(&out), vec![10, 20, 30]);
        let err = "backwards".parse::<Order>().unwrap_err();
        assert!(err.to_string().contains("oldest-first"), "{err}");
        assert_eq!("newest-first".parse::<Order>().unwrap(), Order::NewestFirst);
    }

    #[test]
    fn few_events_or_equal_times_are_not_taken_for_newest_first() {
        assert!(!looks_newest_first(&[]));
        let t = |s| Timestamp::from_second(s).unwrap();
        assert!(!looks_newest_first(&[t(5), t(4)]));
        assert!(!looks_newest_first(&[t(5), t(5), t(5), t(5)]));
        assert!(looks_newest_first(&[t(5), t(4), t(3)]));
        assert!(!looks_newest_first(&[t(1), t(3), t(2), t(4), t(6), t(5)]));
    }

    #[test]
    fn every_field_of_an_event_survives_the_spool() {
        // The spool writes events as JSON and reads them back: a field the
        // JSON leaves out must come back as it was.
        let mut events = vec![event(0, 1), event(1, 2), event(2, 3)];
        events[0].lossy = true;
        events[0].action = Action::SecurityChange {
            what: "protected_branch.update".to_owned(),
            change: "required approving reviews lowered from 2 to 0".to_owned(),
        };
        events[0].resource = Some(crate::event::Resource::Host("app-01".to_owned()));
        events[0].source_address = Some("2001:db8::1".parse().unwrap());
        events[0].grant = Some("req-1".to_owned());
        events[0].serial = Some(u64::MAX);
        events[0].raw.id = Some("doc-1".to_owned());
        events[1].action = Action::LoginFailed {
            method: "password".to_owned(),
        };
        events[1].outcome = Outcome::Failure;
        events[1].actor.person = Some("arjun".to_owned());
        let mut spool = Spool::write(events.clone().into_iter().map(Box::new)).unwrap();
        let mut back = Vec::new();
        while let Some(e) = spool.next().unwrap() {
            back.push(*e);
        }
        back.reverse();
        assert_eq!(back, events);
    }

    #[test]
    fn merged_sources_come_out_in_time_order() {
        let a = Ordered::new(
            source(&[0, 100, 200, 300]),
            Order::Auto,
            SignedDuration::ZERO,
        );
        let b = Ordered::new(source(&[400, 250, 50]), Order::Auto, SignedDuration::ZERO);
        let out: Vec<(usize, i64)> = Merged::new(vec![a, b])
            .map(Result::unwrap)
            .map(|(i, e)| (i, e.time.as_second() - 1_790_000_000))
            .collect();
        assert_eq!(
            out,
            vec![
                (0, 0),
                (1, 50),
                (0, 100),
                (0, 200),
                (1, 250),
                (0, 300),
                (1, 400)
            ]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the input, every event comes out once; when no event is
        /// further from its place than the window, the output is in order
        /// and nothing is late.
        #[test]
        fn every_event_comes_out_once_and_bounded_disorder_is_sorted(
            base in proptest::collection::vec(0i64..10_000, 0..400),
            jitter in proptest::collection::vec(0i64..120, 400),
        ) {
            let mut sorted = base.clone();
            sorted.sort_unstable();
            let secs: Vec<i64> = sorted.iter().zip(&jitter).map(|(s, j)| s + j).collect();
            let (out, stats) = ordered(&secs, Order::OldestFirst, 120);
            let mut got = times(&out);
            let mut want = secs.clone();
            prop_assert!(got.windows(2).all(|w| w[0] <= w[1]), "{got:?}");
            prop_assert_eq!(stats.late, 0);
            got.sort_unstable();
            want.sort_unstable();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn arbitrary_disorder_loses_nothing(secs in proptest::collection::vec(0i64..100_000, 0..300)) {
            let (out, _) = ordered(&secs, Order::Auto, 60);
            let mut got = times(&out);
            let mut want = secs.clone();
            got.sort_unstable();
            want.sort_unstable();
            prop_assert_eq!(got, want);
        }
    }
}
