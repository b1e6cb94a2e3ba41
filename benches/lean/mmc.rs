//! A lean, hand-written M/M/c+M event loop: the yardstick the engine is measured
//! against (`benches/lean/pair.py`, and the `lean` group of `benches/engine.rs`).
//!
//! Customers arrive as a Poisson stream (rate `lambda` a day), are served first come
//! first served by `c` servers (exponential service, mean `1 / mu`) and abandon the
//! queue after an exponential patience (mean `1 / theta`; `theta == 0`: never). The
//! future events (the next arrival, the servers' departures) are in a
//! `std::collections::BinaryHeap` ordered by (time, sequence number); the queue is a
//! `VecDeque` with lazy reneging: a customer whose patience ran out is not an event,
//! it is skipped (and counted as abandoned at its deadline) when it reaches the head.
//!
//! The figures are those the validation checks and the engine reports in
//! `QueueStats`, over the same window: customers who arrive at or after the warm-up
//! and are resolved (served or abandoned) by the horizon; utilisation is the
//! busy-server time over the server time from the warm-up to the horizon.
//!
//! It draws from the engine's generator (Xoshiro256++) and exponential sampler
//! (`rand_distr::Exp1`), so the comparison measures the event loops, not the
//! generators; and only what it needs: an inter-arrival time for every arrival, a
//! patience for a customer who has to wait, a service time when service starts.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The queue and the run's window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Arrivals a day.
    pub lambda: f64,
    /// Service rate of one server, a day.
    pub mu: f64,
    /// Servers.
    pub servers: u32,
    /// Abandonment rate of a waiting customer, a day; 0: nobody abandons.
    pub theta: f64,
    /// End of the run, days.
    pub horizon: f64,
    /// Start of the measured window, days.
    pub warmup: f64,
}

/// What one run measured.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Arrivals over the whole run.
    pub arrivals: u64,
    /// Customers served (started service) over the whole run.
    pub starts: u64,
    /// Events taken from the heap.
    pub events: u64,
    /// Customers arrived in the window and resolved by the horizon.
    pub resolved: u64,
    /// Of those, how many abandoned.
    pub abandoned: u64,
    /// Their total time in queue (to service or to abandonment), days.
    pub wait_sum: f64,
    /// Busy-server time in the window, server-days.
    pub busy: f64,
    /// Server time in the window, server-days.
    pub capacity: f64,
}

impl Stats {
    /// Mean time in queue of the resolved customers, days.
    pub fn mean_wait(&self) -> f64 {
        self.wait_sum / self.resolved as f64
    }

    /// Fraction of the resolved customers who abandoned.
    pub fn p_abandon(&self) -> f64 {
        self.abandoned as f64 / self.resolved as f64
    }

    /// Mean fraction of servers busy.
    pub fn utilisation(&self) -> f64 {
        self.busy / self.capacity
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Arrival,
    Departure,
}

/// A future event; the heap is a max-heap, so the order is reversed.
#[derive(Debug, Clone, Copy)]
struct Event {
    time: f64,
    seq: u64,
    kind: Kind,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Event {}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .total_cmp(&self.time)
            .then(other.seq.cmp(&self.seq))
    }
}

/// Reusable buffers: one per thread, kept across runs.
#[derive(Debug, Default)]
pub struct Lean {
    heap: BinaryHeap<Event>,
    /// Waiting customers: (arrival time, deadline).
    queue: VecDeque<(f64, f64)>,
}

impl Lean {
    /// Buffers that grow on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// One run with the generator seeded with `seed`.
    pub fn run(&mut self, p: &Params, seed: u64) -> Stats {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut exp = move || -> f64 { Exp1.sample(&mut rng) };
        let (horizon, warmup) = (p.horizon, p.warmup);
        let c = p.servers;
        let (mean_gap, mean_service) = (1.0 / p.lambda, 1.0 / p.mu);
        let mean_patience = if p.theta > 0.0 {
            1.0 / p.theta
        } else {
            f64::INFINITY
        };
        let mut s = Stats {
            capacity: f64::from(c) * (horizon - warmup).max(0.0),
            ..Stats::default()
        };
        let heap = &mut self.heap;
        let queue = &mut self.queue;
        heap.clear();
        queue.clear();
        let mut seq = 0u64;
        let mut push = |heap: &mut BinaryHeap<Event>, time: f64, kind: Kind| {
            heap.push(Event { time, seq, kind });
            seq += 1;
        };
        push(heap, exp() * mean_gap, Kind::Arrival);
        let mut busy = 0u32;
        let mut last = 0.0f64;
        // a resolved customer: counted if it arrived in the window
        let record = |s: &mut Stats, arrived: f64, waited: f64, abandoned: bool| {
            if arrived >= warmup {
                s.resolved += 1;
                s.abandoned += u64::from(abandoned);
                s.wait_sum += waited;
            }
        };
        while let Some(e) = heap.pop() {
            let t = e.time;
            if t > horizon {
                break;
            }
            s.events += 1;
            if t > warmup {
                s.busy += f64::from(busy) * (t - last.max(warmup));
            }
            last = t;
            match e.kind {
                Kind::Arrival => {
                    s.arrivals += 1;
                    push(heap, t + exp() * mean_gap, Kind::Arrival);
                    if busy < c && queue.is_empty() {
                        busy += 1;
                        s.starts += 1;
                        record(&mut s, t, 0.0, false);
                        push(heap, t + exp() * mean_service, Kind::Departure);
                    } else {
                        queue.push_back((t, t + exp() * mean_patience));
                    }
                }
                Kind::Departure => {
                    busy -= 1;
                    while let Some((arrived, deadline)) = queue.pop_front() {
                        if deadline < t {
                            record(&mut s, arrived, deadline - arrived, true);
                            continue;
                        }
                        busy += 1;
                        s.starts += 1;
                        record(&mut s, arrived, t - arrived, false);
                        push(heap, t + exp() * mean_service, Kind::Departure);
                        break;
                    }
                }
            }
        }
        if horizon > warmup {
            s.busy += f64::from(busy) * (horizon - last.max(warmup));
        }
        // those still waiting whose patience ran out by the horizon
        for &(arrived, deadline) in queue.iter() {
            if deadline <= horizon {
                record(&mut s, arrived, deadline - arrived, true);
            }
        }
        s
    }
}
