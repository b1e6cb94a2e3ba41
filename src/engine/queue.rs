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
//! # Layout
//!
//! The queue has three levels, so that the heap it works in stays small however many
//! events are pending. Time is cut into unit-width slots (one day in the model):
//!
//! - the slot being processed: its events as they stood when it was loaded, sorted
//!   once (earliest at the end, so each is taken with `Vec::pop`), beside a small
//!   *near* heap for the events scheduled into it since;
//! - a ring of [`RING`] unsorted *buckets* for the following slots, one bucket a
//!   slot, each event scheduled with one `Vec::push`;
//! - a *far* heap for the few events further ahead than the ring reaches.
//!
//! Each event taken is the earlier of the sorted run's head and the near heap's top.
//! When both are empty, the next non-empty slot is loaded: its bucket becomes the
//! sorted run and its far events go to the near heap. Every event still leaves in
//! (time, sequence) order, so the order is exactly that of a single heap.
//!
//! The heaps are 4-ary over flat `Vec`s of compact 16-byte keys: the time mapped to
//! a `u64` whose integer order is the order of the times, and the sequence number.
//! Comparing two keys is one 128-bit integer comparison, with no branch. The payloads
//! live in a parallel array that the comparisons never touch. Past the last element
//! the key array is padded with keys greater than any real one, so every group of
//! four children is compared in full, without a bounds branch, and the smallest child
//! is chosen with conditional moves rather than unpredictable branches. Buffers are
//! kept across [`EventQueue::reset`], so a queue reused across replications does not
//! allocate per event once it has reached its high-water mark.

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

/// A heap key: the order-preserving bits of the time, then the sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    time: u64,
    seq: u64,
}

/// Greater than the key of any finite time.
const PAD: Key = Key {
    time: u64::MAX,
    seq: u64::MAX,
};

impl Key {
    #[inline(always)]
    fn wide(self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }

    #[inline(always)]
    fn before(self, other: Key) -> bool {
        self.wide() < other.wide()
    }
}

/// Maps a time to a `u64` with the same order (for every non-NaN value; `-0.0` is
/// first made `+0.0` so that the two zeros compare equal, as `f64` does).
#[inline(always)]
fn time_key(t: f64) -> u64 {
    let b = (t + 0.0).to_bits();
    if b >> 63 == 0 { b | (1 << 63) } else { !b }
}

/// The inverse of [`time_key`].
#[inline(always)]
fn key_time(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Slots (unit time intervals: days in the model) covered by the ring of buckets.
pub const RING: usize = 512;

/// A 4-ary min-heap of keys with payloads in a parallel array.
#[derive(Debug, Clone)]
struct Heap<E> {
    /// Heap-ordered keys; `keys[events.len()..]` is padding ([`PAD`]), at least
    /// four entries of it, so the children of any element exist.
    keys: Vec<Key>,
    /// Payloads, aligned with `keys`.
    events: Vec<E>,
}

impl<E: Copy> Heap<E> {
    fn new() -> Self {
        Self {
            keys: vec![PAD; 5],
            events: Vec::new(),
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.events.len()
    }

    fn clear(&mut self) {
        let n = self.events.len();
        self.keys[..n].fill(PAD);
        self.events.clear();
    }

    /// The smallest key, if any.
    #[inline]
    fn peek(&self) -> Option<Key> {
        (!self.events.is_empty()).then(|| self.keys[0])
    }

    #[inline]
    fn push(&mut self, key: Key, event: E) {
        let i = self.events.len();
        self.events.push(event);
        if self.keys.len() < i + 5 {
            self.keys.resize(i + 5, PAD);
        }
        self.sift_up(i, key, event);
    }

    #[inline]
    fn pop(&mut self) -> Option<(Key, E)> {
        let last_event = self.events.pop()?;
        let n = self.events.len();
        let top_key = self.keys[0];
        if n == 0 {
            self.keys[0] = PAD;
            return Some((top_key, last_event));
        }
        let top = self.events[0];
        let last_key = self.keys[n];
        self.keys[n] = PAD;
        self.sift_down(last_key, last_event);
        Some((top_key, top))
    }

    /// Places `(key, event)` at the hole `i` or above it.
    #[inline]
    fn sift_up(&mut self, mut i: usize, key: Key, event: E) {
        while i > 0 {
            let parent = (i - 1) / 4;
            let pk = self.keys[parent];
            if key.before(pk) {
                self.keys[i] = pk;
                self.events[i] = self.events[parent];
                i = parent;
            } else {
                break;
            }
        }
        self.keys[i] = key;
        self.events[i] = event;
    }

    /// Places `(key, event)` at the hole at the root or below it.
    #[inline]
    fn sift_down(&mut self, key: Key, event: E) {
        let n = self.events.len();
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            // the padding guarantees four keys here; padding never wins
            let g: &[Key; 4] = self.keys[first..first + 4]
                .try_into()
                .expect("four children");
            let (a, ka) = if g[1].before(g[0]) {
                (1, g[1])
            } else {
                (0, g[0])
            };
            let (b, kb) = if g[3].before(g[2]) {
                (3, g[3])
            } else {
                (2, g[2])
            };
            let (c, kc) = if kb.before(ka) { (b, kb) } else { (a, ka) };
            if kc.before(key) {
                let best = first + c;
                self.keys[i] = kc;
                self.events[i] = self.events[best];
                i = best;
            } else {
                break;
            }
        }
        self.keys[i] = key;
        self.events[i] = event;
    }
}

/// 2^53: whole numbers up to it are exact as `f64`.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// The slot of a time: its integer part (saturating; times before zero are slot 0).
#[inline(always)]
fn slot_of(t: f64) -> u64 {
    t as u64
}

/// The future event list and the simulation clock.
#[derive(Debug, Clone)]
pub struct EventQueue<E> {
    /// Events of the loaded slot that were in its bucket, sorted latest first.
    current: Vec<(Key, E)>,
    /// Room to sort a bucket into (see [`sort_slot`]).
    spare: Vec<(Key, E)>,
    /// Counts of a bucket's events by part of the day (see [`sort_slot`]).
    counts: Vec<u32>,
    /// Every other pending event before `loaded_until`.
    near: Heap<E>,
    /// Events of slots `loaded..loaded + RING`, slot `s` in bucket `s % RING`.
    buckets: Vec<Vec<(Key, E)>>,
    /// Events in the buckets.
    in_buckets: usize,
    /// Events of slots at or past the ring's reach when they were scheduled.
    far: Heap<E>,
    /// The first slot not yet loaded into the near heap.
    loaded: u64,
    /// `loaded` as a time: events before it go to the near heap.
    loaded_until: f64,
    /// `loaded + RING` as a time: events from `loaded_until` up to before it go
    /// to the buckets, later ones to the far heap.
    ring_until: f64,
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
            current: Vec::new(),
            spare: Vec::new(),
            counts: Vec::new(),
            near: Heap::new(),
            buckets: (0..RING).map(|_| Vec::new()).collect(),
            in_buckets: 0,
            far: Heap::new(),
            loaded: 0,
            loaded_until: 0.0,
            ring_until: RING as f64,
            next_seq: 0,
            now: 0.0,
        }
    }

    /// Most bytes one pending event can hold, for memory estimates: its entry where it
    /// waits (a bucket or a heap) and, once its day is loaded, a second entry in the
    /// day's sorted copy with the counting sort's counts (two per event at most).
    /// Buffers keep their capacity: this counts what is in use, not the room
    /// grown beyond it.
    pub const fn bytes_per_event() -> usize {
        2 * std::mem::size_of::<(Key, E)>() + 2 * std::mem::size_of::<u32>()
    }

    /// Bytes the queue holds whatever its events: the ring of day buckets and the
    /// heaps' padding.
    pub fn fixed_bytes() -> usize {
        use std::mem::size_of;
        size_of::<Self>() + RING * size_of::<Vec<(Key, E)>>() + 2 * 5 * size_of::<Key>()
    }

    /// Bytes the queue's buffers hold now (their capacity).
    pub fn held_bytes(&self) -> usize {
        use std::mem::size_of;
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        size_of::<Self>()
            + vec(&self.current)
            + vec(&self.spare)
            + vec(&self.counts)
            + vec(&self.buckets)
            + self.buckets.iter().map(vec).sum::<usize>()
            + vec(&self.near.keys)
            + vec(&self.near.events)
            + vec(&self.far.keys)
            + vec(&self.far.events)
    }

    /// Empties the queue and resets the clock to zero, keeping the allocation.
    pub fn reset(&mut self) {
        self.current.clear();
        self.near.clear();
        self.far.clear();
        if self.in_buckets > 0 {
            self.buckets.iter_mut().for_each(Vec::clear);
        }
        self.in_buckets = 0;
        self.loaded = 0;
        self.loaded_until = 0.0;
        self.ring_until = RING as f64;
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
        self.current.len() + self.near.len() + self.in_buckets + self.far.len()
    }

    /// True when no event is pending.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let seq = self.reserve();
        self.push_reserved(time, seq, event);
    }

    /// Takes the next sequence number without scheduling anything: for an event that
    /// the caller keeps outside the queue for now (see [`pop_before`](Self::pop_before))
    /// or schedules later with [`push_reserved`](Self::push_reserved). The event keeps
    /// its place in the order among events at the same time, as if it had been
    /// scheduled now.
    #[inline]
    pub fn reserve(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Schedules `event` at `time` with a sequence number taken earlier with
    /// [`reserve`](Self::reserve) (each used at most once). `time` must be finite and
    /// not in the past, and no event that comes after it in (time, sequence) order
    /// may have been taken yet (checked in debug builds).
    #[inline]
    pub fn push_reserved(&mut self, time: f64, seq: u64, event: E) {
        debug_assert!(
            time.is_finite() && time >= self.now && seq < self.next_seq,
            "bad event time {time} or sequence number {seq}"
        );
        let key = Key {
            time: time_key(time),
            seq,
        };
        if time < self.loaded_until {
            self.near.push(key, event);
            return;
        }
        // `loaded <= time < loaded + RING`: the slot (the integer part) is in the
        // ring. (Slots are whole numbers, so comparing the time with the ring's
        // end says the same as comparing its slot; and a time below 2^63 converts
        // to `i64` more cheaply than to `u64`.)
        if time < self.ring_until {
            let slot = time as i64 as u64;
            debug_assert_eq!(slot, slot_of(time));
            self.buckets[slot as usize % RING].push((key, event));
            self.in_buckets += 1;
        } else {
            self.far.push(key, event);
        }
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<f64> {
        let loaded = match (self.current.last(), self.near.peek()) {
            (Some(c), Some(h)) => Some(if c.0.before(h) { c.0 } else { h }),
            (c, h) => c.map(|c| c.0).or(h),
        };
        if let Some(k) = loaded {
            return Some(key_time(k.time));
        }
        let far = self.far.peek();
        let bucket_min = self.next_slot().and_then(|s| {
            self.buckets[s as usize % RING]
                .iter()
                .map(|e| e.0)
                .min_by_key(|k| k.wide())
        });
        match (bucket_min, far) {
            (Some(a), Some(b)) => Some(if a.before(b) { a } else { b }),
            (a, b) => a.or(b),
        }
        .map(|k| key_time(k.time))
    }

    /// Removes the next event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        self.take_before(PAD)
    }

    /// Removes the next event if it comes before `(time, seq)`, the time and reserved
    /// sequence number of an event the caller keeps outside the queue, and advances
    /// the clock to it. Otherwise the caller's event is next: the clock advances to
    /// `time` (which must not be in the past) and `None` is returned. An event source
    /// that never depends on the rest (arrivals, for example) can so be merged into
    /// the order without passing through the queue.
    #[inline]
    pub fn pop_before(&mut self, time: f64, seq: u64) -> Option<Scheduled<E>> {
        let other = Key {
            time: time_key(time),
            seq,
        };
        let next = self.take_before(other);
        if next.is_none() {
            debug_assert!(time >= self.now, "bad event time {time}");
            self.now = time;
        }
        next
    }

    /// Removes the next event if its key comes before `limit` (every event's does
    /// before [`PAD`]) and advances the clock to its time; `None`, the clock
    /// untouched, otherwise or when nothing is pending.
    #[inline(always)]
    fn take_before(&mut self, limit: Key) -> Option<Scheduled<E>> {
        let (key, event) = loop {
            let (next, from_current) = match (self.current.last(), self.near.peek()) {
                (Some(c), Some(h)) => {
                    if c.0.before(h) {
                        (c.0, true)
                    } else {
                        (h, false)
                    }
                }
                (Some(c), None) => (c.0, true),
                (None, Some(h)) => (h, false),
                (None, None) => {
                    if self.load_next() {
                        continue;
                    }
                    return None;
                }
            };
            if !next.before(limit) {
                return None;
            }
            break if from_current {
                self.current.pop().expect("checked")
            } else {
                self.near.pop().expect("checked")
            };
        };
        let time = key_time(key.time);
        self.now = time;
        Some(Scheduled {
            time,
            seq: key.seq,
            event,
        })
    }

    /// The first non-empty bucket's slot, scanning no further than the far heap's
    /// first slot; `None` when the buckets are empty.
    fn next_slot(&self) -> Option<u64> {
        if self.in_buckets == 0 {
            return None;
        }
        let limit = self
            .far
            .peek()
            .map_or(u64::MAX, |k| slot_of(key_time(k.time)));
        let mut s = self.loaded;
        while s < limit && self.buckets[s as usize % RING].is_empty() {
            s += 1;
        }
        Some(s)
    }

    /// Loads the next slot that has events, when the near heap and the sorted run
    /// are empty: its bucket becomes the sorted run, its far events go to the near
    /// heap. False when nothing is pending.
    #[cold]
    #[inline(never)]
    fn load_next(&mut self) -> bool {
        let far_slot = self.far.peek().map(|k| slot_of(key_time(k.time)));
        let slot = match (self.next_slot(), far_slot) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => return false,
        };
        if slot.wrapping_sub(self.loaded) < RING as u64 {
            // the bucket becomes the sorted run, the empty run the bucket
            let bucket = &mut self.buckets[slot as usize % RING];
            self.in_buckets -= bucket.len();
            std::mem::swap(bucket, &mut self.current);
            sort_slot(&mut self.current, &mut self.spare, &mut self.counts, slot);
        }
        while let Some(k) = self.far.peek() {
            if slot_of(key_time(k.time)) > slot {
                break;
            }
            let (k, e) = self.far.pop().expect("peeked");
            self.near.push(k, e);
        }
        self.loaded = slot + 1;
        self.loaded_until = self.loaded as f64;
        // (exact below 2^53; past it, later events go to the far heap)
        self.ring_until = ((self.loaded + RING as u64) as f64).min(EXACT);
        true
    }
}

/// Sorts the events of slot `slot` (times in `[slot, slot + 1)`) latest first by
/// (time, sequence). A larger bucket is first spread over as many equal parts of the
/// day as it has events, latest part first (one counting pass and one copy into
/// `spare`), so that each part holds about one event; each part is then sorted on
/// its own. The parts follow the order of the times (the part of a time never
/// decreases as the time grows), so the result is the one order of the keys, as
/// sorting the whole would give, with far fewer comparisons and mispredicted
/// branches. Many events at the same time fall into one part, which is then sorted
/// as a whole.
fn sort_slot<E: Copy>(
    run: &mut Vec<(Key, E)>,
    spare: &mut Vec<(Key, E)>,
    counts: &mut Vec<u32>,
    slot: u64,
) {
    let n = run.len();
    if n < 16 {
        insertion_sort_latest_first(run);
        return;
    }
    let parts = n.next_power_of_two();
    let scale = parts as f64;
    let base = slot as f64;
    // the part of a time, counted from the end of the day
    let part = |k: Key| -> usize {
        let p = ((key_time(k.time) - base) * scale) as usize;
        parts - 1 - p.min(parts - 1)
    };
    counts.clear();
    counts.resize(parts + 1, 0);
    for e in run.iter() {
        counts[part(e.0) + 1] += 1;
    }
    for i in 1..=parts {
        counts[i] += counts[i - 1];
    }
    spare.clear();
    spare.resize(n, run[0]);
    // `counts[p]` is now the start of part p; advance it as the part fills
    for e in run.iter() {
        let p = part(e.0);
        spare[counts[p] as usize] = *e;
        counts[p] += 1;
    }
    // after the pass `counts[p]` is the end of part p, `counts[p - 1]` its start
    let mut start = 0;
    for &end in &counts[..parts] {
        let end = end as usize;
        if end - start > 1 {
            let group = &mut spare[start..end];
            if group.len() < 16 {
                insertion_sort_latest_first(group);
            } else {
                group.sort_unstable_by_key(|e| std::cmp::Reverse(e.0.wide()));
            }
        }
        start = end;
    }
    std::mem::swap(run, spare);
}

/// Sorts a few events latest first by (time, sequence).
#[inline]
fn insertion_sort_latest_first<E: Copy>(v: &mut [(Key, E)]) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1].0.before(x.0) {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64, so the tests need no RNG crate.
    fn xorshift(mut s: u64) -> impl FnMut() -> u64 {
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

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
    fn time_keys_order_like_times_and_round_trip() {
        let ts = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1.0 + f64::EPSILON,
            3.5e7,
            f64::MAX,
            f64::INFINITY,
        ];
        for w in ts.windows(2) {
            assert!(time_key(w[0]) <= time_key(w[1]), "{} vs {}", w[0], w[1]);
            assert_eq!(time_key(w[0]) == time_key(w[1]), w[0] == w[1]);
        }
        for t in ts {
            assert_eq!(key_time(time_key(t)), t + 0.0);
        }
        assert!(time_key(f64::MAX) < PAD.time);
    }

    #[test]
    fn reuse_after_reset_and_peek() {
        let mut q = EventQueue::new();
        for round in 0..3 {
            for i in 0..(10 + round * 7) {
                q.schedule(f64::from(i * 37 % 11), i).unwrap();
            }
            assert_eq!(q.peek_time(), Some(0.0));
            let mut last = (f64::NEG_INFINITY, 0u64);
            while let Some(e) = q.pop() {
                assert!((e.time, e.seq) > last);
                last = (e.time, e.seq);
            }
            assert_eq!(q.peek_time(), None);
            q.reset();
            assert_eq!(q.now(), 0.0);
            assert_eq!(q.scheduled_count(), 0);
        }
    }

    #[test]
    fn near_buckets_and_far_events_leave_in_order() {
        // times spread over the near heap, the ring and beyond it, with ties, jumps
        // over empty slots and far events that come within the ring's reach
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        let mut q = EventQueue::new();
        let mut reference = std::collections::BTreeSet::new();
        let mut seq = 0u64;
        for round in 0..3 {
            for _ in 0..30_000 {
                if next() % 5 < 3 || q.is_empty() {
                    let ahead = match next() % 8 {
                        0 => 0.0,
                        1 => (next() % 4) as f64 * 0.25,
                        2 => 1.0,
                        3 => (next() % 100_000) as f64 * 0.01,
                        4 => (next() % 3 * RING as u64) as f64 + 0.5,
                        5 => (next() % 10) as f64 * 1e9,
                        _ => (next() % 2_000) as f64 / 7.0,
                    };
                    let t = q.now() + ahead;
                    q.schedule(t, seq).unwrap();
                    reference.insert((t.to_bits(), seq));
                    seq += 1;
                } else {
                    let want = reference.pop_first().unwrap();
                    assert_eq!(q.peek_time().map(f64::to_bits), Some(want.0));
                    let e = q.pop().unwrap();
                    assert_eq!((e.time.to_bits(), e.event), want, "round {round}");
                }
                assert_eq!(q.len(), reference.len());
            }
            while let Some(e) = q.pop() {
                assert_eq!(Some((e.time.to_bits(), e.event)), reference.pop_first());
            }
            assert!(reference.is_empty());
            q.reset();
        }
    }

    #[test]
    fn a_slot_sorts_as_a_whole_sort_would() {
        // sizes on both sides of the thresholds, times spread over the day, bunched
        // in one part of it or equal, sequence numbers in any order
        let mut next = xorshift(0xD1B5_4A32_D192_ED03u64);
        let (mut spare, mut counts) = (Vec::new(), Vec::new());
        for round in 0..600u64 {
            let slot = round % 7 * 1000 + round % 3;
            let n = (next() % 200) as usize;
            let mut run: Vec<(Key, u64)> = (0..n)
                .map(|i| {
                    let frac = match round % 4 {
                        0 => (next() % 1_000_000) as f64 / 1e6,
                        1 => (next() % 1_000) as f64 / 1e9,
                        2 => (next() % 3) as f64 * 0.25,
                        _ => 0.0,
                    };
                    let seq = if round % 2 == 0 {
                        i as u64
                    } else {
                        next() % 10_000
                    };
                    let key = Key {
                        time: time_key(slot as f64 + frac),
                        seq,
                    };
                    (key, seq)
                })
                .collect();
            let mut want = run.clone();
            want.sort_unstable_by_key(|e| std::cmp::Reverse(e.0.wide()));
            sort_slot(&mut run, &mut spare, &mut counts, slot);
            assert_eq!(run, want, "round {round}, {n} events");
        }
    }

    #[test]
    fn reserved_and_outside_events_keep_their_place_in_the_order() {
        // a reference set holds every event, whether in the queue, kept outside it
        // (one at a time, merged with `pop_before`) or held back with a reserved
        // sequence number and pushed later; the merged order must be the reference's
        let mut next = xorshift(0x6C8E_9CF5_7093_2BD5u64);
        let mut q = EventQueue::new();
        let mut reference = std::collections::BTreeSet::new();
        let mut outside: Option<(f64, u64)> = None;
        let mut held: Vec<(f64, u64)> = Vec::new();
        let mut taken = 0;
        while taken < 40_000 {
            match next() % 6 {
                0 | 1 => {
                    // ties on whole days are frequent, to exercise the sequence order
                    let ahead = if next() % 2 == 0 {
                        (next() % 4) as f64
                    } else {
                        (next() % 10_000) as f64 * 0.01
                    };
                    let t = q.now() + ahead;
                    let seq = q.reserve();
                    if next() % 3 == 0 {
                        held.push((t, seq));
                    } else {
                        q.push_reserved(t, seq, seq);
                    }
                    reference.insert((t.to_bits(), seq));
                }
                2 if outside.is_none() => {
                    let t = q.now() + (next() % 8) as f64 * 0.5;
                    outside = Some((t, q.reserve()));
                    reference.insert((t.to_bits(), outside.unwrap().1));
                }
                3 if !held.is_empty() => {
                    // a held event goes in before anything after it is taken
                    let (t, seq) = held.swap_remove((next() % held.len() as u64) as usize);
                    q.push_reserved(t, seq, seq);
                }
                _ => {
                    let first = reference.first().copied();
                    if let Some(&(t, seq)) =
                        held.iter().find(|h| Some((h.0.to_bits(), h.1)) == first)
                    {
                        // the earliest event is held: it must go in now
                        held.retain(|h| h.1 != seq);
                        q.push_reserved(t, seq, seq);
                    }
                    let got = match outside {
                        Some((t, seq)) => match q.pop_before(t, seq) {
                            Some(e) => Some((e.time.to_bits(), e.event)),
                            None => {
                                outside = None;
                                assert_eq!(q.now(), t);
                                Some((t.to_bits(), seq))
                            }
                        },
                        None => q.pop().map(|e| (e.time.to_bits(), e.event)),
                    };
                    assert_eq!(got, reference.pop_first());
                    taken += 1;
                }
            }
        }
    }

    #[test]
    fn every_pop_is_the_minimum_of_a_reference_set() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15u64);
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
