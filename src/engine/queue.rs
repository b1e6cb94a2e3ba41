//! A priority queue of future events with a total order.
//!
//! # Ordering guarantee
//!
//! Events leave the queue in increasing time; events scheduled for the same time leave
//! in the order they were scheduled (first in, first out), because every event carries
//! a sequence number taken from a counter when it is scheduled. The order therefore
//! never depends on the heap's internal layout, and a run is a pure function of its
//! inputs.
//!
//! The queue is a 4-ary min-heap over a flat `Vec`: it allocates only when it grows
//! past its previous high-water mark, so a queue reused across replications does not
//! allocate per event.

/// An event taken from the queue: when it happens and what it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scheduled<E> {
    /// Simulation time in days.
    pub time: f64,
    /// Sequence number: the order in which the event was scheduled.
    pub seq: u64,
    /// The event payload.
    pub event: E,
}

impl<E> Scheduled<E> {
    #[inline]
    fn before(&self, other: &Self) -> bool {
        // Times are finite (checked on insertion), so `<` is a total order on them.
        self.time < other.time || (self.time == other.time && self.seq < other.seq)
    }
}

/// Error returned when an event is scheduled at a time that is not finite or is in
/// the past.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BadTime {
    /// The rejected time.
    pub time: f64,
    /// The queue's current time.
    pub now: f64,
}

impl std::fmt::Display for BadTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "event scheduled at time {} before the current time {} (or not finite)",
            self.time, self.now
        )
    }
}

impl std::error::Error for BadTime {}

/// The future event list and the simulation clock.
#[derive(Debug, Clone)]
pub struct EventQueue<E> {
    heap: Vec<Scheduled<E>>,
    next_seq: u64,
    now: f64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue with the clock at zero.
    pub fn new() -> Self {
        Self {
            heap: Vec::new(),
            next_seq: 0,
            now: 0.0,
        }
    }

    /// Empties the queue and resets the clock to zero, keeping the allocation.
    pub fn reset(&mut self) {
        self.heap.clear();
        self.next_seq = 0;
        self.now = 0.0;
    }

    /// The current simulation time: the time of the last event taken.
    #[inline]
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Number of pending events.
    #[inline]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no event is pending.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Total number of events scheduled since the last reset.
    #[inline]
    pub fn scheduled_count(&self) -> u64 {
        self.next_seq
    }

    /// Schedules `event` at absolute time `time`, which must be finite and not before
    /// [`now`](Self::now).
    #[inline]
    pub fn schedule(&mut self, time: f64, event: E) -> Result<(), BadTime> {
        if !(time.is_finite() && time >= self.now) {
            return Err(BadTime {
                time,
                now: self.now,
            });
        }
        self.push(time, event);
        Ok(())
    }

    /// Schedules `event` at `time` when the caller has already guaranteed that `time`
    /// is finite and not in the past (checked in debug builds).
    #[inline]
    pub fn push(&mut self, time: f64, event: E) {
        debug_assert!(
            time.is_finite() && time >= self.now,
            "bad event time {time}"
        );
        let item = Scheduled {
            time,
            seq: self.next_seq,
            event,
        };
        self.next_seq += 1;
        self.heap.push(item);
        self.sift_up(self.heap.len() - 1);
    }

    /// The time of the next event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<f64> {
        self.heap.first().map(|s| s.time)
    }

    /// Removes the next event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        let last = self.heap.pop()?;
        let top = if self.heap.is_empty() {
            last
        } else {
            let top = std::mem::replace(&mut self.heap[0], last);
            self.sift_down(0);
            top
        };
        self.now = top.time;
        Some(top)
    }

    #[inline]
    fn sift_up(&mut self, mut i: usize) {
        let item = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / 4;
            if item.before(&self.heap[parent]) {
                self.heap[i] = self.heap[parent];
                i = parent;
            } else {
                break;
            }
        }
        self.heap[i] = item;
    }

    #[inline]
    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        let item = self.heap[i];
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let end = (first + 4).min(n);
            let mut best = first;
            for c in first + 1..end {
                if self.heap[c].before(&self.heap[best]) {
                    best = c;
                }
            }
            if self.heap[best].before(&item) {
                self.heap[i] = self.heap[best];
                i = best;
            } else {
                break;
            }
        }
        self.heap[i] = item;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order() {
        let mut q = EventQueue::new();
        for (i, t) in [5.0, 1.0, 3.0, 2.0, 4.0, 0.5].iter().enumerate() {
            q.schedule(*t, i).unwrap();
        }
        let times: Vec<f64> = std::iter::from_fn(|| q.pop().map(|s| s.time)).collect();
        assert_eq!(times, vec![0.5, 1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn same_time_events_leave_in_scheduling_order() {
        let mut q = EventQueue::new();
        for i in 0..100u32 {
            q.schedule(f64::from(i % 3), i).unwrap();
        }
        let mut last = (f64::NEG_INFINITY, 0u32);
        let mut first = true;
        while let Some(s) = q.pop() {
            if !first && s.time == last.0 {
                assert!(s.event > last.1, "FIFO broken at time {}", s.time);
            }
            first = false;
            last = (s.time, s.event);
        }
    }

    #[test]
    fn clock_advances_and_past_is_rejected() {
        let mut q = EventQueue::new();
        q.schedule(2.0, ()).unwrap();
        assert_eq!(q.pop().unwrap().time, 2.0);
        assert_eq!(q.now(), 2.0);
        assert!(q.schedule(1.0, ()).is_err());
        assert!(q.schedule(f64::NAN, ()).is_err());
        assert!(q.schedule(f64::INFINITY, ()).is_err());
        assert!(q.schedule(2.0, ()).is_ok());
    }

    #[test]
    fn every_pop_is_the_minimum_of_a_reference_set() {
        // xorshift, so the test needs no RNG crate
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut q = EventQueue::new();
        // reference: (time as ordered bits, seq); times are non-negative so the bit
        // pattern orders like the value
        let mut reference = std::collections::BTreeSet::new();
        let mut seq = 0u64;
        for _ in 0..20_000 {
            if next() % 3 != 0 || q.is_empty() {
                let t = q.now() + (next() % 50) as f64 * 0.5;
                q.schedule(t, seq).unwrap();
                reference.insert((t.to_bits(), seq));
                seq += 1;
            } else {
                let e = q.pop().unwrap();
                let min = reference.pop_first().unwrap();
                assert_eq!((e.time.to_bits(), e.event), min);
            }
        }
        while let Some(e) = q.pop() {
            assert_eq!(Some((e.time.to_bits(), e.event)), reference.pop_first());
        }
        assert!(reference.is_empty());
    }
}
