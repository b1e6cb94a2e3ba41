//! The event loop of one area's pathway.
//!
//! Every random attribute of a participant is drawn when they are referred, in a fixed
//! order from purpose-specific streams, so two runs that differ only in staffing see
//! the same people with the same needs (common random numbers).
//!
//! Event order at equal times follows the engine's guarantee (scheduling order). The
//! daily tick at time `d` books the day's follow-ups, assessments (when coach hours
//! are limited) and MDT sessions; events at time `d` scheduled before the tick (for
//! example a plan due at exactly `d`) are handled first.

use std::cell::RefCell;
use std::collections::VecDeque;

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use super::dist::pick;
use super::metrics::{AreaRun, raw};
use super::{AreaParams, MAX_DISCIPLINES, N_ROUTES, N_STATUS, ROUTE_GP, Rng, TimeDist};
use crate::engine::{Calendar, EventQueue};

/// The random streams of one area in one replication, one for each process and one
/// for each MDT discipline, so that changing one part of the model (a discipline added,
/// a distribution that draws more numbers) changes no other part's draws.
#[derive(Debug, Clone)]
pub struct Streams {
    /// Arrival times.
    pub arrivals: Rng,
    /// Route, employment status and main barrier.
    pub attributes: Rng,
    /// Triage outcome and delay.
    pub triage: Rng,
    /// Patience while waiting.
    pub patience: Rng,
    /// Time on caseload and disengagement.
    pub caseload: Rng,
    /// Onward referral and its delay.
    pub onward: Rng,
    /// Outcome at completion.
    pub outcome: Rng,
    /// One stream per MDT discipline, in the order of [`AreaParams::mdt`].
    pub mdt: Vec<Rng>,
}

impl Streams {
    /// The streams of area `area` in replication `rep`, with one MDT stream for each
    /// discipline named in `disciplines` (keyed by the name, not the position).
    pub fn new(seed: u64, area: &str, rep: u64, disciplines: &[String]) -> Self {
        use crate::rng::{Purpose, discipline_stream, stream};
        Self {
            arrivals: stream(seed, area, rep, Purpose::Arrivals),
            attributes: stream(seed, area, rep, Purpose::Attributes),
            triage: stream(seed, area, rep, Purpose::Triage),
            patience: stream(seed, area, rep, Purpose::Patience),
            caseload: stream(seed, area, rep, Purpose::Caseload),
            onward: stream(seed, area, rep, Purpose::Onward),
            outcome: stream(seed, area, rep, Purpose::Outcome),
            mdt: disciplines
                .iter()
                .map(|d| discipline_stream(seed, area, rep, d))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    Triage(u32, u32),
    Abandon(u32, u32),
    PlanDue(u32, u32),
    Disengage(u32, u32),
    Tick(u32),
}

const FREE: u8 = 0;
const TRIAGE: u8 = 1;
const WAITING: u8 = 2;
const CASELOAD: u8 = 3;

const TRIAGE_OK: u8 = 0;
const TRIAGE_INELIGIBLE: u8 = 1;
const TRIAGE_NOT_ENGAGED: u8 = 2;

#[derive(Debug, Clone, Copy, Default)]
struct Person {
    generation: u32,
    state: u8,
    triage: u8,
    outcome: u8,
    mdt_outstanding: u8,
    awaiting_mdt: bool,
    mdt_waiting: u16,
    queued: f64,
    started: f64,
    patience: f64,
    caseload_time: f64,
    /// Fraction of the planned time at which the participant disengages; negative
    /// when they do not.
    disengage_frac: f64,
    onward_delay: f64,
    sessions: [u8; MAX_DISCIPLINES],
    dna: [u8; MAX_DISCIPLINES],
}

type Booking = (u32, u32);

/// Appointments booked for future days, in a ring of day buckets.
#[derive(Debug, Clone, Default)]
struct Diary {
    buckets: Vec<Vec<Booking>>,
    mask: usize,
}

impl Diary {
    fn reset(&mut self, max_ahead: usize) {
        let size = (max_ahead + 16).next_power_of_two();
        if self.buckets.len() != size {
            self.buckets = vec![Vec::new(); size];
            self.mask = size - 1;
        } else {
            self.buckets.iter_mut().for_each(Vec::clear);
        }
    }
    #[inline]
    fn book(&mut self, day: usize, b: Booking) {
        self.buckets[day & self.mask].push(b);
    }
    /// Moves the bookings of `day` into `out` (emptying the bucket, keeping capacity).
    #[inline]
    fn take(&mut self, day: usize, out: &mut Vec<Booking>) {
        out.append(&mut self.buckets[day & self.mask]);
    }
}

#[derive(Debug, Clone, Default)]
struct DisciplineState {
    waiting: VecDeque<(u32, u32, f64)>,
    n_waiting: u32,
    diary: Diary,
    backlog: Vec<Booking>,
    carry: f64,
}

/// Reusable state for simulating one area: allocate once per worker thread, call
/// [`AreaSimulator::run`] for each (area, replication).
#[derive(Debug)]
pub struct AreaSimulator {
    queue: EventQueue<Ev>,
    people: Vec<Person>,
    free: Vec<u32>,
    waiting: VecDeque<Booking>,
    n_waiting: u32,
    n_triage: u32,
    caseload: u32,
    followups: Diary,
    backlog: Vec<Booking>,
    scratch: Vec<Booking>,
    scratch2: Vec<Booking>,
    hours_carry: f64,
    mdt: Vec<DisciplineState>,
    /// Drop-out events not yet in the queue, by day: (time, reserved sequence number,
    /// person, generation). See [`AreaSimulator::schedule_abandon`].
    pending: Vec<Vec<(f64, u64, u32, u32)>>,
    /// Drop-out events due before this time go straight into the queue.
    pending_until: f64,
    /// Drop-outs that were not put into the queue because the person had stopped
    /// waiting, and that the queue would have handed out (as stale events) before the
    /// end: counted as events all the same.
    dropped_events: u64,
    last_t: f64,
    /// The day of the last tick: every event handed out after it and before the
    /// next falls on it, or at the very start of the next day (see
    /// [`AreaSimulator::day_of`]).
    today: usize,
    /// The start of the next day, `(today + 1) as f64`.
    tomorrow: f64,
    month: usize,
    total: usize,
    /// Offset in `run.raw` of the current month's accumulators.
    cur: usize,
    /// Offset in `run.raw` of the whole window's accumulators.
    tot: usize,
    warmup: f64,
    run: AreaRun,
}

impl Default for AreaSimulator {
    fn default() -> Self {
        Self {
            queue: EventQueue::new(),
            people: Vec::new(),
            free: Vec::new(),
            waiting: VecDeque::new(),
            n_waiting: 0,
            n_triage: 0,
            caseload: 0,
            followups: Diary::default(),
            backlog: Vec::new(),
            scratch: Vec::new(),
            scratch2: Vec::new(),
            hours_carry: 0.0,
            mdt: Vec::new(),
            pending: Vec::new(),
            pending_until: 0.0,
            dropped_events: 0,
            last_t: 0.0,
            today: 0,
            tomorrow: 1.0,
            month: 0,
            total: 0,
            cur: 0,
            tot: 0,
            warmup: 0.0,
            run: AreaRun::new(0, 0),
        }
    }
}

thread_local! {
    /// Simulators dropped on this thread, kept for the next [`AreaSimulator::new`]
    /// on it: a caller that makes a simulator for every few replications (a parallel
    /// iterator's `map_init` makes one per piece of work it splits off) then reuses
    /// grown buffers instead of allocating and growing them again. Only buffers carry
    /// over: [`AreaSimulator::run`] resets everything it reads.
    static SPARE: RefCell<Vec<AreaSimulator>> = const { RefCell::new(Vec::new()) };
}

/// Most simulators kept in [`SPARE`] per thread (a thread can hold more than one at
/// once when it works on a stolen piece of work while waiting). A worker thread
/// thus holds at most `1 + SPARES` simulators' buffers: the one running and those
/// kept.
pub const SPARES: usize = 1;

impl Drop for AreaSimulator {
    fn drop(&mut self) {
        // (`try_with` fails while the thread's spares are themselves dropped)
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut()
                && spare.len() < SPARES
            {
                spare.push(std::mem::take(self));
            }
        });
    }
}

/// What simulating one area can hold in memory, for the estimate before a run
/// (`run::limits`): bytes in use at the peak, at most; the buffers' room grown
/// beyond what they use (at most as much again, as vectors double) is address space
/// that is never touched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Footprint {
    /// Bytes one referral can hold at once, at most: its person record and free-list
    /// place, its three events (triage, drop-out, end of plan) with their copies
    /// while their day is sorted, its drop-out waiting for its day, its place in the
    /// assessment list, its coach follow-up in the diary, the day's backlog and the
    /// day's list, and in each MDT discipline its place in the list, its booked
    /// session, the backlog and the day's list. Entries left stale in a list (a
    /// person who dropped out) are counted: each referral enters each list once.
    pub per_referral: usize,
    /// Bytes whatever the referrals: the diaries' and the queue's day buckets, the
    /// drop-outs' day lists and the accumulators.
    pub fixed: usize,
}

impl AreaSimulator {
    /// The footprint of simulating an area with parameters `p` over `n_months`.
    pub fn footprint(p: &AreaParams, cal: &Calendar) -> Footprint {
        use std::mem::size_of;
        let n_disc = p.n_disciplines();
        let booking = size_of::<Booking>();
        let per_referral = size_of::<Person>()
            + size_of::<u32>()
            + 3 * EventQueue::<Ev>::bytes_per_event()
            + size_of::<(f64, u64, u32, u32)>()
            + 4 * booking
            + n_disc * (size_of::<(u32, u32, f64)>() + 3 * booking);
        let gap = longest_closure(cal);
        let diary = |ahead: usize| (ahead + 16).next_power_of_two() * size_of::<Vec<Booking>>();
        let diaries = diary(p.coach.followup_interval_days as usize + gap)
            + p.mdt
                .iter()
                .take(n_disc)
                .map(|d| diary(d.spacing_days as usize + gap))
                .sum::<usize>();
        let fixed = EventQueue::<Ev>::fixed_bytes()
            + diaries
            + (p.horizon_days + 1) * size_of::<Vec<(f64, u64, u32, u32)>>()
            + AreaRun::bytes(cal.n_months(), n_disc)
            + size_of::<Self>();
        Footprint {
            per_referral,
            fixed,
        }
    }

    /// Bytes this simulator's buffers hold now (their capacity), for tests of
    /// [`AreaSimulator::footprint`].
    pub fn held_bytes(&self) -> usize {
        use std::mem::size_of;
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        fn diary(d: &Diary) -> usize {
            vec(&d.buckets) + d.buckets.iter().map(vec).sum::<usize>()
        }
        self.queue.held_bytes()
            + vec(&self.people)
            + vec(&self.free)
            + self.waiting.capacity() * size_of::<Booking>()
            + diary(&self.followups)
            + vec(&self.backlog)
            + vec(&self.scratch)
            + vec(&self.scratch2)
            + self
                .mdt
                .iter()
                .map(|m| {
                    m.waiting.capacity() * size_of::<(u32, u32, f64)>()
                        + diary(&m.diary)
                        + vec(&m.backlog)
                })
                .sum::<usize>()
            + vec(&self.pending)
            + self.pending.iter().map(vec).sum::<usize>()
            + self.run.held_bytes()
            + size_of::<Self>()
    }

    /// A simulator: one dropped earlier on this thread, buffers and all, when there is
    /// one; otherwise one with empty buffers.
    pub fn new() -> Self {
        SPARE
            .try_with(|spare| spare.try_borrow_mut().ok().and_then(|mut s| s.pop()))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Simulates one area for one replication and returns its accumulators. The
    /// buffers are reused by the next call.
    pub fn run(&mut self, p: &AreaParams, cal: &Calendar, s: &mut Streams) -> &AreaRun {
        let mut src = Live {
            clock: ArrivalClock::new(p),
            streams: s,
            known: Decided::new(p),
        };
        self.run_from(p, cal, &mut src)
    }

    /// The same run as [`AreaSimulator::run`] with the streams that `tape` was
    /// recorded from, its referrals replayed instead of drawn again: the same
    /// accumulators, bit for bit, when the tape [fits](Tape::fits) `p`.
    pub fn run_tape(&mut self, p: &AreaParams, cal: &Calendar, tape: &Tape) -> &AreaRun {
        debug_assert!(tape.fits(p), "the tape was recorded for other parameters");
        let mut src = Replay {
            tape: &tape.referrals,
            given: 0,
        };
        self.run_from(p, cal, &mut src)
    }

    fn run_from<S: ArrivalSource>(
        &mut self,
        p: &AreaParams,
        cal: &Calendar,
        src: &mut S,
    ) -> &AreaRun {
        self.reset(p, cal);
        let horizon = p.horizon_days;
        self.queue.push(0.0, Ev::Tick(0));
        // Arrivals do not depend on anything else, so the next one waits outside the
        // queue with the sequence number it would have had there, and is merged into
        // the order as the queue is read (`pop_before`): the same order, without a
        // push and a pop per referral.
        let mut arrival = src.next_time().map(|t| (t, self.queue.reserve()));
        let mut events = 0u64;
        loop {
            let next = match arrival {
                Some((ta, seq)) => self.queue.pop_before(ta, seq),
                None => self.queue.pop(),
            };
            let Some(e) = next else {
                let Some((ta, _)) = arrival else {
                    break;
                };
                events += 1;
                let r = src.referral(ta, p);
                self.arrival(&r, p, cal);
                arrival = src.next_time().map(|t| (t, self.queue.reserve()));
                continue;
            };
            events += 1;
            let t = e.time;
            match e.event {
                Ev::Tick(d) => {
                    if self.tick(d as usize, p, cal) {
                        break;
                    }
                }
                Ev::Triage(pid, g) => {
                    if self.valid(pid, g, TRIAGE) {
                        self.n_triage -= 1;
                        self.triage_done(pid, t, p, cal);
                    }
                }
                Ev::Abandon(pid, g) => {
                    if self.valid(pid, g, WAITING) {
                        self.abandon(pid, t);
                    }
                }
                Ev::PlanDue(pid, g) => {
                    if self.valid(pid, g, CASELOAD) {
                        if self.people[pid as usize].mdt_outstanding == 0 {
                            self.complete(pid, t, p, cal);
                        } else {
                            self.people[pid as usize].awaiting_mdt = true;
                        }
                    }
                }
                Ev::Disengage(pid, g) => {
                    if self.valid(pid, g, CASELOAD) {
                        self.count(raw::DISENGAGED, t);
                        self.ledger().disengaged += 1;
                        self.leave_caseload(pid, t, p, cal);
                    }
                }
            }
        }
        self.finish(horizon as f64, events + self.dropped_events);
        &self.run
    }

    fn reset(&mut self, p: &AreaParams, cal: &Calendar) {
        let n_months = cal.n_months();
        let n_disc = p.n_disciplines();
        self.run.reset(n_months, n_disc);
        self.queue.reset();
        self.people.clear();
        self.free.clear();
        self.waiting.clear();
        self.n_waiting = 0;
        self.n_triage = 0;
        self.caseload = 0;
        // a booking lands at most (interval + the longest run of non-working days)
        // ahead; the diary must not wrap within that
        let gap = longest_closure(cal);
        self.followups
            .reset(p.coach.followup_interval_days as usize + gap);
        self.backlog.clear();
        self.hours_carry = 0.0;
        self.mdt.resize_with(n_disc, DisciplineState::default);
        for (st, d) in self.mdt.iter_mut().zip(&p.mdt) {
            st.waiting.clear();
            st.n_waiting = 0;
            st.diary.reset(d.spacing_days as usize + gap);
            st.backlog.clear();
            st.carry = 0.0;
        }
        // one list a day up to the horizon; later drop-outs never happen
        self.pending.resize_with(p.horizon_days + 1, Vec::new);
        self.pending.iter_mut().for_each(Vec::clear);
        self.pending_until = 1.0;
        self.dropped_events = 0;
        self.last_t = 0.0;
        self.today = 0;
        self.tomorrow = 1.0;
        self.total = n_months;
        self.tot = n_months * self.run.stride();
        self.set_month(0);
        self.warmup = p.warmup_days;
        self.ledger().horizon_days = p.horizon_days as f64;
    }

    #[inline]
    fn ledger(&mut self) -> &mut super::metrics::Ledger {
        &mut self.run.ledger
    }

    /// Makes month `m` the current period.
    #[inline]
    fn set_month(&mut self, m: usize) {
        self.month = m;
        self.cur = m * self.run.stride();
    }

    /// The day of an event at time `t` handed out now, capped at the last day of
    /// the run: `(t as usize).min(horizon - 1)`, without converting `t` (the
    /// saturating conversion costs more than the rest of some events' handling).
    #[inline]
    fn day_of(&self, t: f64, p: &AreaParams) -> usize {
        let day = if t >= self.tomorrow {
            self.today + 1
        } else {
            self.today
        };
        let day = day.min(p.horizon_days - 1);
        debug_assert_eq!(day, (t as usize).min(p.horizon_days - 1), "event at {t}");
        day
    }

    #[inline]
    fn valid(&self, pid: u32, g: u32, state: u8) -> bool {
        let q = &self.people[pid as usize];
        q.generation == g && q.state == state
    }

    /// Adds `v` to raw field `f` of the current month and of the whole window, when
    /// `t` is inside the reporting window.
    #[inline]
    fn add(&mut self, f: usize, v: f64, t: f64) {
        if t >= self.warmup {
            let (c, w) = (self.cur + f, self.tot + f);
            let raw = &mut self.run.raw;
            raw[c] += v;
            raw[w] += v;
        }
    }

    /// Adds one to count field `f` ([`raw::COUNTS`], [`raw::D_COUNTS`]) of the
    /// current month, when `t` is inside the reporting window; the whole window's
    /// counts are summed from the months' at the end ([`AreaRun::total_counts`]).
    #[inline]
    fn count(&mut self, f: usize, t: f64) {
        debug_assert!(
            raw::COUNTS.contains(&f)
                || (f >= raw::FIXED
                    && raw::D_COUNTS.contains(&((f - raw::FIXED) % raw::PER_DISCIPLINE))),
            "raw field {f} is not a count"
        );
        if t >= self.warmup {
            self.run.raw[self.cur + f] += 1.0;
        }
    }

    /// Accumulates time-weighted quantities up to time `t`.
    #[inline]
    fn advance(&mut self, t: f64) {
        let dt = t - self.last_t;
        if dt <= 0.0 {
            return;
        }
        let caseload = f64::from(self.caseload);
        let queue = f64::from(self.n_waiting);
        let from = self.last_t.max(self.warmup);
        let (cur, tot) = (self.cur, self.tot);
        let run = &mut self.run;
        run.ledger.caseload_integral += caseload * dt;
        if t > from {
            let w = t - from;
            for off in [cur, tot] {
                run.raw[off + raw::CASELOAD_INT] += caseload * w;
                run.raw[off + raw::QUEUE_INT] += queue * w;
            }
            run.queue.busy_integral += caseload * w;
        }
        self.last_t = t;
    }

    fn alloc(&mut self) -> u32 {
        if let Some(pid) = self.free.pop() {
            pid
        } else {
            self.people.push(Person::default());
            u32::try_from(self.people.len() - 1).expect("fewer than 2^32 people alive")
        }
    }

    fn release(&mut self, pid: u32) {
        let q = &mut self.people[pid as usize];
        q.state = FREE;
        q.generation = q.generation.wrapping_add(1);
        self.free.push(pid);
    }

    fn arrival(&mut self, r: &Referral, p: &AreaParams, cal: &Calendar) {
        let (t, route, triage_delay) = (r.t, usize::from(r.route), r.triage_delay);
        let pid = self.alloc();
        let q = &mut self.people[pid as usize];
        let g = q.generation;
        *q = Person {
            generation: g,
            state: TRIAGE,
            triage: r.triage,
            outcome: r.outcome,
            mdt_outstanding: 0,
            awaiting_mdt: false,
            mdt_waiting: 0,
            queued: 0.0,
            started: 0.0,
            patience: r.patience,
            caseload_time: r.caseload_time,
            disengage_frac: r.disengage_frac,
            onward_delay: r.onward_delay,
            sessions: r.sessions,
            dna: r.dna,
        };
        self.count(raw::REFERRALS, t);
        self.count(raw::ROUTE0 + route.min(N_ROUTES - 1), t);
        self.ledger().referrals += 1;
        self.n_triage += 1;
        if triage_delay > 0.0 {
            self.queue.push(t + triage_delay, Ev::Triage(pid, g));
        } else {
            self.n_triage -= 1;
            self.triage_done(pid, t, p, cal);
        }
    }

    fn triage_done(&mut self, pid: u32, t: f64, p: &AreaParams, cal: &Calendar) {
        match self.people[pid as usize].triage {
            TRIAGE_INELIGIBLE => {
                self.count(raw::INELIGIBLE, t);
                self.ledger().ineligible += 1;
                self.release(pid);
            }
            TRIAGE_NOT_ENGAGED => {
                self.count(raw::NOT_ENGAGED, t);
                self.ledger().not_engaged += 1;
                self.release(pid);
            }
            _ => {
                self.advance(t);
                let q = &mut self.people[pid as usize];
                q.state = WAITING;
                q.queued = t;
                let (g, patience) = (q.generation, q.patience);
                // Assessed at once when a place is free and nobody is ahead (the
                // queueing-theory mode): they never wait, so no drop-out is scheduled.
                let at_once = !p.coach.hours_limited
                    && self.n_waiting == 0
                    && self.caseload < p.coach.places[self.day_of(t, p)];
                self.n_waiting += 1;
                if at_once {
                    // what `admit_instant` would do: the entries in the list are all
                    // stale (nobody else waits), so this person is the first it takes
                    self.waiting.clear();
                    self.start(pid, t, p, cal);
                    return;
                }
                self.waiting.push_back((pid, g));
                if patience.is_finite() {
                    self.schedule_abandon(t + patience, pid, g);
                }
                if !p.coach.hours_limited {
                    self.admit_instant(t, p, cal);
                }
            }
        }
    }

    /// Schedules the drop-out of person `pid` (generation `g`) at time `at`. Most
    /// people start before their patience runs out, which makes the event stale, so an
    /// event due after tomorrow waits in a list for its day (with the sequence number
    /// it takes now, so its place in the order is what it would have been) and goes
    /// into the queue at the tick before that day only if the person is still waiting
    /// ([`AreaSimulator::release_abandons`]).
    #[inline]
    fn schedule_abandon(&mut self, at: f64, pid: u32, g: u32) {
        let seq = self.queue.reserve();
        if at < self.pending_until {
            self.queue.push_reserved(at, seq, Ev::Abandon(pid, g));
        } else if let Some(list) = self.pending.get_mut(at as i64 as usize) {
            // (`at` is finite and positive here; through `i64`, the cheaper
            // conversion, a time past 2^63 still lands past the lists)
            list.push((at, seq, pid, g));
        }
        // (later than the horizon: never handed out)
    }

    /// At the tick of day `day - 1`: puts into the queue the drop-outs of day `day`
    /// whose person is still waiting. A stale one is left out, but counted as an event
    /// when it would have been handed out before the end (at or before the horizon:
    /// its sequence number is below that of the last tick, which is scheduled after
    /// this).
    fn release_abandons(&mut self, day: usize, horizon: usize) {
        self.pending_until = (day + 1) as f64;
        let Some(list) = self.pending.get_mut(day) else {
            return;
        };
        let mut list = std::mem::take(list);
        for &(at, seq, pid, g) in &list {
            if self.valid(pid, g, WAITING) {
                self.queue.push_reserved(at, seq, Ev::Abandon(pid, g));
            } else if at <= horizon as f64 {
                self.dropped_events += 1;
            }
        }
        list.clear();
        self.pending[day] = list;
    }

    fn abandon(&mut self, pid: u32, t: f64) {
        self.advance(t);
        self.n_waiting -= 1;
        let queued = self.people[pid as usize].queued;
        self.count(raw::DROPPED, t);
        let warm = self.warmup;
        let run = &mut self.run;
        run.ledger.dropped_waiting += 1;
        if queued >= warm {
            run.queue.resolved += 1;
            run.queue.abandoned += 1;
            run.queue.queue_time_sum += t - queued;
        }
        self.release(pid);
    }

    fn pop_waiter(&mut self) -> Option<u32> {
        while let Some((pid, g)) = self.waiting.pop_front() {
            if self.valid(pid, g, WAITING) {
                return Some(pid);
            }
        }
        None
    }

    /// Queueing-theory mode: assess at once while a caseload place is free.
    fn admit_instant(&mut self, t: f64, p: &AreaParams, cal: &Calendar) {
        if self.n_waiting == 0 {
            // (stale entries stay in the list until someone is next taken from it)
            return;
        }
        let day = self.day_of(t, p);
        while self.caseload < p.coach.places[day] {
            match self.pop_waiter() {
                Some(pid) => self.start(pid, t, p, cal),
                None => break,
            }
        }
    }

    fn start(&mut self, pid: u32, t: f64, p: &AreaParams, cal: &Calendar) {
        self.advance(t);
        self.n_waiting -= 1;
        self.caseload += 1;
        let q = &mut self.people[pid as usize];
        q.state = CASELOAD;
        q.started = t;
        let wait = t - q.queued;
        let queued = q.queued;
        let g = q.generation;
        let (frac, plan, onward) = (q.disengage_frac, q.caseload_time, q.onward_delay);
        let sessions = q.sessions;
        self.count(raw::STARTS, t);
        self.add(raw::WAIT_SUM, wait, t);
        let (m, total, warm) = (self.month, self.total, self.warmup);
        {
            let run = &mut self.run;
            run.ledger.starts += 1;
            if t >= warm {
                run.waits[m].record(wait);
                run.waits[total].record(wait);
            }
            if queued >= warm {
                run.queue.resolved += 1;
                run.queue.queue_time_sum += wait;
                run.queue.served_wait_sum += wait;
                if wait == 0.0 {
                    run.queue.immediate += 1;
                }
            }
        }
        if frac >= 0.0 {
            self.queue.push(t + frac * plan, Ev::Disengage(pid, g));
        } else {
            self.queue.push(t + plan.max(onward), Ev::PlanDue(pid, g));
        }
        let mut outstanding = 0u8;
        let mut mask = 0u16;
        for (k, d) in p.mdt.iter().enumerate().take(MAX_DISCIPLINES) {
            if sessions[k] > 0 {
                outstanding += 1;
                mask |= 1 << k;
                let st = &mut self.mdt[k];
                st.waiting.push_back((pid, g, t + d.referral_delay_days));
                st.n_waiting += 1;
                self.count(raw::FIXED + k * raw::PER_DISCIPLINE + raw::D_JOINS, t);
            }
        }
        let q = &mut self.people[pid as usize];
        q.mdt_outstanding = outstanding;
        q.mdt_waiting = mask;
        if p.coach.hours_limited {
            let day = t as usize + p.coach.followup_interval_days as usize;
            if let Some(d) = next_working_day(cal, day) {
                self.followups.book(d, (pid, g));
            }
        }
    }

    fn complete(&mut self, pid: u32, t: f64, p: &AreaParams, cal: &Calendar) {
        let outcome = self.people[pid as usize].outcome as usize;
        self.count(raw::COMPLETIONS, t);
        self.count(raw::OUTCOME0 + outcome, t);
        self.ledger().completions += 1;
        self.leave_caseload(pid, t, p, cal);
    }

    fn leave_caseload(&mut self, pid: u32, t: f64, p: &AreaParams, cal: &Calendar) {
        self.advance(t);
        self.caseload -= 1;
        let q = self.people[pid as usize];
        self.ledger().caseload_time_sum += t - q.started;
        let mut mask = q.mdt_waiting;
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            self.mdt[k].n_waiting -= 1;
            mask &= mask - 1;
        }
        self.release(pid);
        if !p.coach.hours_limited {
            self.admit_instant(t, p, cal);
        }
    }

    /// The daily tick at the start of day `d`. Returns true at the end of the run.
    fn tick(&mut self, d: usize, p: &AreaParams, cal: &Calendar) -> bool {
        let t = d as f64;
        self.today = d;
        self.tomorrow = t + 1.0;
        self.advance(t);
        let horizon = p.horizon_days;
        if d == horizon || (d > 0 && cal.month_index(d) != self.month) {
            self.snapshot(self.month);
        }
        if d == horizon {
            return true;
        }
        self.set_month(cal.month_index(d));
        // capacity of the day inside the reporting window
        let w = ((t + 1.0).min(horizon as f64) - t.max(self.warmup)).max(0.0);
        let working = cal.is_working_day(d);
        if w > 0.0 {
            let mut cost = p.coach.fte[d] * p.coach.cost_per_fte_day;
            for dp in &p.mdt {
                cost += dp.fte[d] * dp.cost_per_fte_day;
            }
            let (m, total) = (self.month, self.total);
            let run = &mut self.run;
            let places = f64::from(p.coach.places[d]);
            run.queue.places_integral += places * w;
            for per in [m, total] {
                let r = run.period_mut(per);
                r[raw::DAYS] += w;
                r[raw::PLACES_INT] += places * w;
                r[raw::COACH_FTE_INT] += p.coach.fte[d] * w;
                r[raw::COST] += cost * w;
                if p.coach.hours_limited {
                    r[raw::HOURS_AVAIL] += p.coach.hours[d] * w;
                }
                for (k, dp) in p.mdt.iter().enumerate() {
                    let b = raw::FIXED + k * raw::PER_DISCIPLINE;
                    r[b + raw::D_SLOTS_AVAIL] += dp.slots[d] * w;
                    r[b + raw::D_FTE_INT] += dp.fte[d] * w;
                }
            }
        }
        if p.coach.hours_limited {
            if working {
                self.coach_day(d, p, cal);
            }
        } else {
            self.admit_instant(t, p, cal);
        }
        if working {
            for k in 0..p.mdt.len().min(MAX_DISCIPLINES) {
                self.mdt_day(k, d, p, cal);
            }
        }
        self.release_abandons(d + 1, horizon);
        self.queue.push(t + 1.0, Ev::Tick(d as u32 + 1));
        false
    }

    fn snapshot(&mut self, m: usize) {
        let waiting = f64::from(self.n_waiting + self.n_triage);
        let caseload = f64::from(self.caseload);
        let mdt_waiting: [f64; MAX_DISCIPLINES] =
            std::array::from_fn(|k| self.mdt.get(k).map_or(0.0, |s| f64::from(s.n_waiting)));
        let n = self.mdt.len();
        let total = self.total;
        let run = &mut self.run;
        for per in [m, total] {
            let r = run.period_mut(per);
            r[raw::WAITING_END] = waiting;
            r[raw::CASELOAD_END] = caseload;
            for (k, w) in mdt_waiting.iter().enumerate().take(n) {
                r[raw::FIXED + k * raw::PER_DISCIPLINE + raw::D_WAITING_END] = *w;
            }
        }
    }

    /// A working day of the coach team when contact hours are limited: follow-ups
    /// first (late ones before today's), then assessments while hours and caseload
    /// places last. A contact is booked only if its hours fit in what is left; a
    /// remainder too small for one more carries to the next working day.
    fn coach_day(&mut self, d: usize, p: &AreaParams, cal: &Calendar) {
        let t = d as f64;
        let c = &p.coach;
        let mut budget = c.hours[d] + self.hours_carry;
        let mut used = 0.0;
        let mut todo = std::mem::take(&mut self.scratch);
        todo.clear();
        todo.append(&mut self.backlog);
        self.followups.take(d, &mut todo);
        let next = next_working_day(cal, d + c.followup_interval_days as usize);
        for &(pid, g) in &todo {
            if !self.valid(pid, g, CASELOAD) {
                continue;
            }
            if budget >= c.followup_hours - EPS {
                budget -= c.followup_hours;
                used += c.followup_hours;
                if let Some(nd) = next {
                    self.followups.book(nd, (pid, g));
                }
            } else {
                self.backlog.push((pid, g));
            }
        }
        self.scratch = todo;
        while budget >= c.assessment_hours - EPS && self.caseload < c.places[d] {
            match self.pop_waiter() {
                Some(pid) => {
                    self.start(pid, t, p, cal);
                    budget -= c.assessment_hours;
                    used += c.assessment_hours;
                }
                None => break,
            }
        }
        // hours left over that are too few for one more contact carry to the next
        // working day; anything beyond is lost (no overdraft, no banking)
        self.hours_carry = budget.clamp(0.0, c.assessment_hours.max(c.followup_hours));
        self.add(raw::HOURS_USED, used, t);
    }

    /// A working day of one MDT discipline: booked sessions first, then first
    /// sessions from the waiting list while slots last.
    fn mdt_day(&mut self, k: usize, d: usize, p: &AreaParams, cal: &Calendar) {
        let t = d as f64;
        let dp = &p.mdt[k];
        let b = raw::FIXED + k * raw::PER_DISCIPLINE;
        let st = &mut self.mdt[k];
        let mut budget = dp.slots[d] + st.carry;
        let mut todo = std::mem::take(&mut self.scratch2);
        todo.clear();
        todo.append(&mut st.backlog);
        st.diary.take(d, &mut todo);
        let next = next_working_day(cal, d + dp.spacing_days as usize);
        for &(pid, g) in &todo {
            if !self.valid(pid, g, CASELOAD) {
                continue;
            }
            if budget >= 1.0 - EPS {
                budget -= 1.0;
                self.session(k, pid, g, t, next, p, cal);
            } else {
                self.mdt[k].backlog.push((pid, g));
            }
        }
        self.scratch2 = todo;
        while budget >= 1.0 - EPS {
            let Some(&(pid, g, ready)) = self.mdt[k].waiting.front() else {
                break;
            };
            if ready > t {
                break;
            }
            self.mdt[k].waiting.pop_front();
            if !self.valid(pid, g, CASELOAD) {
                continue;
            }
            budget -= 1.0;
            let wait = t - ready;
            self.mdt[k].n_waiting -= 1;
            self.people[pid as usize].mdt_waiting &= !(1 << k);
            self.count(b + raw::D_FIRSTS, t);
            self.add(b + raw::D_WAIT_SUM, wait, t);
            if t >= self.warmup {
                let periods = self.total + 1;
                let (m, total) = (self.month, self.total);
                let run = &mut self.run;
                run.mdt_waits[k * periods + m].record(wait);
                run.mdt_waits[k * periods + total].record(wait);
            }
            self.session(k, pid, g, t, next, p, cal);
        }
        // a part-slot left over carries to the next working day
        self.mdt[k].carry = budget.clamp(0.0, 1.0);
    }

    /// One booked MDT session on day `t` (a slot is used either way).
    #[allow(clippy::too_many_arguments)]
    fn session(
        &mut self,
        k: usize,
        pid: u32,
        g: u32,
        t: f64,
        next: Option<usize>,
        p: &AreaParams,
        cal: &Calendar,
    ) {
        let b = raw::FIXED + k * raw::PER_DISCIPLINE;
        self.count(b + raw::D_SLOTS_USED, t);
        let q = &mut self.people[pid as usize];
        if q.dna[k] > 0 {
            q.dna[k] -= 1;
            self.count(b + raw::D_DNA, t);
            if let Some(nd) = next {
                self.mdt[k].diary.book(nd, (pid, g));
            }
            return;
        }
        q.sessions[k] -= 1;
        let done = q.sessions[k] == 0;
        self.count(b + raw::D_ATTENDED, t);
        if done {
            self.count(b + raw::D_COURSES_DONE, t);
            let q = &mut self.people[pid as usize];
            q.mdt_outstanding -= 1;
            if q.mdt_outstanding == 0 && q.awaiting_mdt {
                self.complete(pid, t, p, cal);
            }
        } else if let Some(nd) = next {
            self.mdt[k].diary.book(nd, (pid, g));
        }
    }

    fn finish(&mut self, horizon: f64, events: u64) {
        self.advance(horizon);
        self.run.total_counts();
        let mut on_caseload_time = 0.0;
        for q in &self.people {
            if q.state == CASELOAD {
                on_caseload_time += horizon - q.started;
            }
        }
        let (n_triage, n_waiting, caseload) = (self.n_triage, self.n_waiting, self.caseload);
        let l = self.ledger();
        l.caseload_time_sum += on_caseload_time;
        l.in_triage_at_end = u64::from(n_triage);
        l.waiting_at_end = u64::from(n_waiting);
        l.caseload_at_end = u64::from(caseload);
        l.events = events;
    }
}

/// Most sessions in one MDT course (the scenario layer rejects longer courses).
pub const MAX_SESSIONS: f64 = 100.0;

/// Sessions in a course drawn as `x`: `x.round().clamp(1.0, MAX_SESSIONS) as u8`,
/// with the rounding done inline (not by a library call) for the usual values.
#[inline]
fn course_length(x: f64) -> u8 {
    // below 2^52 the integer part converts exactly and the fraction `x - t` is exact
    let r = if (0.0..4_503_599_627_370_496.0).contains(&x) {
        let t = (x as u64) as f64;
        if x - t >= 0.5 { t + 1.0 } else { t }
    } else {
        x.round()
    };
    r.clamp(1.0, MAX_SESSIONS) as u8
}

/// Tolerance for comparing capacity budgets.
const EPS: f64 = 1e-9;

/// The longest run of consecutive non-working days in the calendar.
fn longest_closure(cal: &Calendar) -> usize {
    let (mut run, mut longest) = (0usize, 0usize);
    for d in 0..cal.n_days() {
        if cal.is_working_day(d) {
            run = 0;
        } else {
            run += 1;
            longest = longest.max(run);
        }
    }
    longest
}

/// The first working day on or after `day`, if inside the calendar.
#[inline]
fn next_working_day(cal: &Calendar, mut day: usize) -> Option<usize> {
    let n = cal.n_days();
    while day < n {
        if cal.is_working_day(day) {
            return Some(day);
        }
        day += 1;
    }
    None
}

/// Everything drawn for one referral when it arrives, in the order the streams are
/// used: its arrival time, route, triage outcome and delay, patience, time on
/// caseload, disengagement, onward delay, outcome and MDT needs. None of it depends
/// on staffing.
#[derive(Debug, Clone, Copy)]
pub struct Referral {
    t: f64,
    route: u8,
    triage: u8,
    outcome: u8,
    triage_delay: f64,
    patience: f64,
    caseload_time: f64,
    /// Fraction of the planned time at which they disengage; negative when they
    /// do not.
    disengage_frac: f64,
    /// Onward delay; 0 without an onward referral.
    onward_delay: f64,
    sessions: [u8; MAX_DISCIPLINES],
    dna: [u8; MAX_DISCIPLINES],
}

/// What [`draw`] takes from a stream that the parameters decide whatever the random
/// numbers: a mix with all its weight on one category, a probability of 0 or 1, a
/// fixed delay. A stream all of whose values are so decided is not drawn from at
/// all: nothing else reads it, so no value of the run changes (in the queueing
/// reductions, four of the streams of a referral).
#[derive(Debug, Clone, Copy)]
struct Decided {
    /// Route, employment status and main barrier (the attributes stream).
    attributes: Option<(usize, usize, usize)>,
    /// The triage outcome, its delay drawing nothing (the triage stream).
    triage: Option<u8>,
    /// No onward referral, and its delay draws nothing (the onward stream).
    no_onward: bool,
    /// The outcome of someone who passes triage, by employment status (the outcome
    /// stream).
    outcome: Option<[usize; N_STATUS]>,
}

impl Decided {
    fn new(p: &AreaParams) -> Self {
        // `u < x` for a uniform `u` in [0, 1): always when x >= 1, never when x <= 0
        // (or NaN), otherwise it depends on `u`
        let always = |x: f64| x >= 1.0;
        let never = |x: f64| x.is_nan() || x <= 0.0;
        let route = if p.gp_share.iter().all(|&x| always(x)) {
            Some(ROUTE_GP)
        } else if p.gp_share.iter().all(|&x| never(x)) {
            fixed_pick(&p.other_route_cum)
        } else {
            None
        };
        let attributes = match (route, fixed_pick(&p.status_cum), fixed_pick(&p.barrier_cum)) {
            (Some(r), Some(s), Some(b)) => Some((r, s, b)),
            _ => None,
        };
        let no_draw = |d: &TimeDist| matches!(d, TimeDist::Fixed(_) | TimeDist::Never);
        let engage = &p.never_engage;
        let triage = if !no_draw(&p.triage_delay) {
            None
        } else if always(p.ineligible) {
            Some(TRIAGE_INELIGIBLE)
        } else if !never(p.ineligible) {
            None
        } else if engage.iter().all(|&x| always(x)) {
            Some(TRIAGE_NOT_ENGAGED)
        } else if engage.iter().all(|&x| never(x)) {
            Some(TRIAGE_OK)
        } else {
            None
        };
        let mut outcome = [0; N_STATUS];
        let mut all = true;
        for (o, cum) in outcome.iter_mut().zip(&p.outcome_cum) {
            match fixed_pick(cum) {
                Some(k) => *o = k,
                None => all = false,
            }
        }
        Self {
            attributes,
            triage,
            no_onward: never(p.onward_prob) && no_draw(&p.onward_delay),
            outcome: all.then_some(outcome),
        }
    }
}

/// The index [`pick`] returns from `cumulative` for every uniform in [0, 1), if it
/// returns one index for all (the first entry above the uniform, else the last).
fn fixed_pick<const N: usize>(cumulative: &[f64; N]) -> Option<usize> {
    for (i, &c) in cumulative.iter().enumerate() {
        if c >= 1.0 {
            // above every uniform, and no entry before it is above any
            return Some(i);
        }
        if c > 0.0 {
            // above some uniforms and not others
            return None;
        }
    }
    Some(N - 1)
}

/// Draws the referral arriving at `t`, on day `day` (below the horizon), from the
/// streams (each attribute from its own stream, in a fixed order within it), but
/// nothing from a stream whose values `known` holds.
fn draw(t: f64, day: usize, p: &AreaParams, s: &mut Streams, known: &Decided) -> Referral {
    debug_assert_eq!(day, (t as usize).min(p.horizon_days - 1));
    // each attribute from its own stream, in a fixed order within it
    let (route, status, barrier) = match known.attributes {
        Some(decided) => decided,
        None => {
            let a = &mut s.attributes;
            let u: f64 = a.random();
            let route = if u < p.gp_share[day] {
                ROUTE_GP
            } else {
                pick(&p.other_route_cum, a)
            };
            let status = pick(&p.status_cum, a);
            let barrier = pick(&p.barrier_cum, a);
            (route, status, barrier)
        }
    };
    let tr = &mut s.triage;
    let triage = match known.triage {
        Some(decided) => decided,
        None => {
            let inel: f64 = tr.random();
            let eng: f64 = tr.random();
            if inel < p.ineligible {
                TRIAGE_INELIGIBLE
            } else if eng < p.never_engage[route] {
                TRIAGE_NOT_ENGAGED
            } else {
                TRIAGE_OK
            }
        }
    };
    let triage_delay = p.triage_delay.sample(tr).max(0.0);
    // A value nobody will read is skipped: its random numbers are drawn all the
    // same (`TimeDist::skip`), so every stream stays where it would have been.
    // Patience, the onward delay and the outcome are read only for someone who
    // passes triage, the onward delay only with an onward referral.
    let ok = triage == TRIAGE_OK;
    let patience = if ok {
        p.patience.sample(&mut s.patience)
    } else {
        p.patience.skip(&mut s.patience);
        0.0
    };
    let cs = &mut s.caseload;
    let caseload_time = p.caseload_time.sample(cs).max(0.0);
    let dis: f64 = cs.random();
    let frac: f64 = cs.random();
    let onward_delay = if known.no_onward {
        0.0
    } else {
        let onw: f64 = s.onward.random();
        if ok && onw < p.onward_prob {
            p.onward_delay.sample(&mut s.onward).max(0.0)
        } else {
            p.onward_delay.skip(&mut s.onward);
            0.0
        }
    };
    let outcome = match known.outcome {
        Some(decided) => {
            if ok {
                decided[status]
            } else {
                0
            }
        }
        None => {
            if ok {
                pick(&p.outcome_cum[status], &mut s.outcome)
            } else {
                let _: f64 = s.outcome.random();
                0
            }
        }
    };
    // MDT: needs, course lengths, did-not-attends, each discipline from its own
    // stream
    let mut sessions = [0u8; MAX_DISCIPLINES];
    let mut dna = [0u8; MAX_DISCIPLINES];
    for (k, (d, m)) in p
        .mdt
        .iter()
        .zip(s.mdt.iter_mut())
        .enumerate()
        .take(MAX_DISCIPLINES)
    {
        let u: f64 = m.random();
        if u < d.need[barrier][status] {
            let n = course_length(d.sessions.sample(m));
            sessions[k] = n;
            let mut missed = 0u8;
            for _ in 0..n {
                while missed < 100 && m.random::<f64>() < d.dna_rate {
                    missed += 1;
                }
            }
            dna[k] = missed;
        }
    }
    Referral {
        t,
        route: route as u8,
        triage,
        outcome: outcome as u8,
        triage_delay,
        patience,
        caseload_time,
        disengage_frac: if dis < p.disengage_prob { frac } else { -1.0 },
        onward_delay,
        sessions,
        dna,
    }
}

/// Every referral of one area in one replication, in arrival order, with
/// everything drawn for it: what [`AreaSimulator::run`] draws, recorded once so that
/// runs that differ only in what the draws do not depend on (staffing: FTE, caseload
/// caps, contact hours) replay it with [`AreaSimulator::run_tape`] instead of drawing
/// it again. Common random numbers make those runs see the same people; the tape
/// makes them pay for drawing them once.
#[derive(Debug, Clone)]
pub struct Tape {
    referrals: Vec<Referral>,
    signature: Vec<u64>,
}

impl Tape {
    /// Draws every referral of a run with parameters `p` from the streams `s`
    /// (consumed as the run would consume them).
    pub fn record(p: &AreaParams, s: &mut Streams) -> Self {
        let mut clock = ArrivalClock::new(p);
        let known = Decided::new(p);
        let mut referrals = Vec::new();
        while let Some(t) = clock.next(&mut s.arrivals) {
            referrals.push(draw(t, clock.day(), p, s, &known));
        }
        referrals.shrink_to_fit();
        Self {
            referrals,
            signature: signature(p),
        }
    }

    /// Whether a run with parameters `p` draws exactly this tape: every parameter
    /// that the drawing reads is the same as when it was recorded.
    pub fn fits(&self, p: &AreaParams) -> bool {
        self.signature == signature(p)
    }

    /// Memory the tape holds, bytes.
    pub fn bytes(&self) -> usize {
        self.referrals.len() * std::mem::size_of::<Referral>() + self.signature.len() * 8
    }

    /// Referrals on the tape.
    pub fn len(&self) -> usize {
        self.referrals.len()
    }

    /// True when nobody is referred.
    pub fn is_empty(&self) -> bool {
        self.referrals.is_empty()
    }
}

/// The bits of every parameter that [`ArrivalClock`] and [`draw`] read, so that two
/// parameter sets with the same signature draw the same referrals from the same
/// streams. Keep in step with `draw`.
fn signature(p: &AreaParams) -> Vec<u64> {
    let mut v: Vec<u64> = Vec::with_capacity(2 * p.horizon_days + 200);
    let mut f = |x: f64| v.push(x.to_bits());
    f(p.horizon_days as f64);
    let n = p.horizon_days.min(p.referral_rate.len());
    p.referral_rate[..n].iter().for_each(|&x| f(x));
    f(n as f64);
    p.gp_share.iter().for_each(|&x| f(x));
    f(p.gp_share.len() as f64);
    p.other_route_cum.iter().for_each(|&x| f(x));
    p.status_cum.iter().for_each(|&x| f(x));
    p.barrier_cum.iter().for_each(|&x| f(x));
    f(p.ineligible);
    p.never_engage.iter().for_each(|&x| f(x));
    f(p.disengage_prob);
    f(p.onward_prob);
    p.outcome_cum.iter().flatten().for_each(|&x| f(x));
    f(p.mdt.len() as f64);
    for d in &p.mdt {
        d.need.iter().flatten().for_each(|&x| f(x));
        f(d.dna_rate);
    }
    let mut text = format!(
        "{:?}|{:?}|{:?}|{:?}",
        p.triage_delay, p.patience, p.caseload_time, p.onward_delay
    );
    for d in &p.mdt {
        text.push_str(&format!("|{:?}", d.sessions));
    }
    v.extend(text.bytes().map(u64::from));
    v
}

/// Where a run's referrals come from: drawn as it goes, or replayed from a tape.
trait ArrivalSource {
    /// The time of the next referral, if any.
    fn next_time(&mut self) -> Option<f64>;
    /// The referral whose time [`ArrivalSource::next_time`] gave last, arriving at `t`.
    fn referral(&mut self, t: f64, p: &AreaParams) -> Referral;
}

struct Live<'a, 's> {
    clock: ArrivalClock<'a>,
    streams: &'s mut Streams,
    known: Decided,
}

impl ArrivalSource for Live<'_, '_> {
    #[inline]
    fn next_time(&mut self) -> Option<f64> {
        self.clock.next(&mut self.streams.arrivals)
    }

    #[inline]
    fn referral(&mut self, t: f64, p: &AreaParams) -> Referral {
        draw(t, self.clock.day(), p, self.streams, &self.known)
    }
}

struct Replay<'t> {
    tape: &'t [Referral],
    given: usize,
}

impl ArrivalSource for Replay<'_> {
    #[inline]
    fn next_time(&mut self) -> Option<f64> {
        let r = self.tape.get(self.given)?;
        self.given += 1;
        Some(r.t)
    }

    #[inline]
    fn referral(&mut self, _t: f64, _p: &AreaParams) -> Referral {
        self.tape[self.given - 1]
    }
}

/// Generates arrival times of a Poisson process whose rate is constant within each
/// day, exactly, by inverting the integrated rate: each arrival consumes one Exp(1)
/// draw of integrated rate.
struct ArrivalClock<'a> {
    rate: &'a [f64],
    t: f64,
    /// The day `t` falls on (`t as usize`, kept rather than converted again).
    day: usize,
    /// The end of that day, `(day + 1) as f64`.
    end: f64,
}

impl<'a> ArrivalClock<'a> {
    fn new(p: &'a AreaParams) -> Self {
        Self {
            rate: &p.referral_rate[..p.horizon_days.min(p.referral_rate.len())],
            t: 0.0,
            day: 0,
            end: 1.0,
        }
    }

    /// The day of the last arrival [`ArrivalClock::next`] gave: below the horizon.
    #[inline]
    fn day(&self) -> usize {
        self.day
    }

    #[inline]
    fn next(&mut self, rng: &mut Rng) -> Option<f64> {
        let mut e: f64 = Exp1.sample(rng);
        let mut t = self.t;
        while let Some(&r) = self.rate.get(self.day) {
            let end = self.end;
            let room = r * (end - t);
            if e < room {
                t += e / r;
                // guard against rounding onto the day boundary
                if t >= end {
                    t = end - f64::EPSILON * end;
                }
                self.t = t;
                debug_assert_eq!(self.day, t as usize);
                return Some(t);
            }
            e -= room;
            self.day += 1;
            self.end = (self.day + 1) as f64;
            t = end;
        }
        self.t = self.rate.len() as f64;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_pick_is_what_pick_gives_for_every_uniform() {
        use rand::SeedableRng;
        let cases: [[f64; 4]; 9] = [
            [0.0, 0.0, 0.0, 1.0],
            [1.0, 1.0, 1.0, 1.0],
            [0.0, 1.0, 1.0, 1.0],
            [0.0, 0.0, 0.0, 0.0],
            [f64::NAN, 0.0, 2.0, 2.0],
            [0.0, 1e-300, 1.0, 1.0],
            [0.0, 0.5, 1.0, 1.0],
            [0.0, 0.0, 0.0, 0.9999999999999999],
            [-1.0, 0.0, 1.0, 1.0],
        ];
        let decided = [
            Some(3),
            Some(0),
            Some(1),
            Some(3),
            Some(2),
            None,
            None,
            None,
            Some(2),
        ];
        let mut rng = Rng::seed_from_u64(5);
        for (cum, want) in cases.iter().zip(decided) {
            assert_eq!(fixed_pick(cum), want, "{cum:?}");
            if let Some(k) = want {
                // the ends of [0, 1) and uniforms between
                for u in [0.0, 1.0 - f64::EPSILON / 2.0] {
                    let first = cum.iter().position(|c| u < *c).unwrap_or(3);
                    assert_eq!(first, k, "{cum:?} at {u}");
                }
                for _ in 0..1000 {
                    assert_eq!(pick(cum, &mut rng), k, "{cum:?}");
                }
            }
        }
    }

    #[test]
    fn course_length_rounds_as_the_library_does() {
        let mut xs = vec![
            -1.0,
            -0.0,
            0.0,
            0.49999999999999994,
            0.5,
            1.0,
            1.4999999999999998,
            1.5,
            2.5,
            3.5,
            99.49999999999999,
            99.5,
            100.5,
            255.5,
            1e20,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut x = 0.0;
        while x < 120.0 {
            xs.push(x);
            xs.push(x + 0.5);
            xs.push(f64::from_bits((x + 0.5).to_bits() - 1));
            x += 0.37;
        }
        for x in xs {
            let want = x.round().clamp(1.0, MAX_SESSIONS) as u8;
            assert_eq!(course_length(x), want, "{x}");
        }
    }
}
