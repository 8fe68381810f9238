//! Property tests of the exact merge: whatever way samples are split over shards and intervals,
//! the merged percentiles are those of one histogram holding every sample.
use super::*;
use crate::record::hists::IntervalHists;
use crate::report::RunConfig;

/// xorshift64*: a fixed sequence per seed (no crate, reproducible).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A latency-like value: mostly 0.1-2 ms, a tail to 2 s.
    fn latency(&mut self) -> u64 {
        let r = self.next();
        if r.is_multiple_of(50) { 1_000_000 + r % 2_000_000_000 } else { 100_000 + r % 1_900_000 }
    }
}

fn config(cores: usize) -> RunConfig {
    RunConfig {
        url: "http://10.0.0.1/".into(),
        method: "GET".into(),
        target_rate: None,
        connections: 4,
        cores,
        duration_s: 3.0,
        warmup_s: 0.0,
        timeout_s: 10.0,
        max_send_lag_ms: 1e9,
        max_error_rate: 0.01,
        tls_insecure: false,
        plan: None,
        profile: None,
        labels: Vec::new(),
        users: None,
        stages: Vec::new(),
        scenarios: Vec::new(),
        label_checks: Vec::new(),
    }
}

/// A shard's Report as `run --out` would leave it: its samples in `intervals` (by index).
fn shard(k: u64, n: u64, intervals: &[Vec<u64>]) -> Shard {
    let mut m = Merged {
        totals: Counters::default(),
        hists: Histograms::new(),
        per_core: vec![Counters::default()],
        timeline: Vec::new(),
        labels: Vec::new(),
        stages: Vec::new(),
        scenarios: Vec::new(),
        intervals: Vec::new(),
    };
    for (i, samples) in intervals.iter().enumerate() {
        let mut h = Histograms::new();
        for v in samples {
            h.record_latency(*v);
            h.record_send_lag(v / 100);
        }
        let n = samples.len() as u64;
        m.totals.intended += n;
        m.totals.sent += n;
        m.totals.ok += n;
        m.totals.status[200] += n;
        m.hists.add(&h);
        m.timeline.push(TimelineRow {
            interval: i as u64,
            start_s: i as f64,
            sent: n,
            ok: n,
            completed: n,
            ..Default::default()
        });
        m.intervals.push(IntervalHists::of(i as u64, 1_000_000_000, &h));
    }
    let mut report = Report::build(m, config(1), RunEnd { interrupted: false, window_s: 3.0 });
    report.distributed = Some(Distributed {
        plan_digest: "d".into(),
        shards: n,
        shard: Some(k),
        start_at_unix_ns: Some(1),
        ..Distributed::default()
    });
    // Through the file format, as merge reads it.
    let mut bytes = Vec::new();
    crate::report::result::write(&report, &mut bytes).unwrap();
    Shard {
        path: format!("shard-{k}.json"),
        report: crate::report::result::parse(&String::from_utf8(bytes).unwrap()).unwrap(),
    }
}

#[test]
fn merged_percentiles_equal_one_histogram_of_every_sample() {
    for seed in 1..=12u64 {
        let mut rng = Rng(seed * 0x9e37_79b9_7f4a_7c15);
        let n = 1 + seed % 5;
        let intervals = 3;
        let mut all = Histograms::new();
        let mut per_interval = vec![Histograms::new(); intervals];
        let mut split = vec![vec![Vec::new(); intervals]; n as usize];
        for _ in 0..(500 + rng.next() % 3_000) {
            let v = rng.latency();
            let (k, i) = ((rng.next() % n) as usize, (rng.next() % intervals as u64) as usize);
            split[k][i].push(v);
            all.record_latency(v);
            per_interval[i].record_latency(v);
        }
        let shards: Vec<Shard> = (0..n).map(|k| shard(k, n, &split[k as usize])).collect();
        let (shards, missing) = check(shards, false).unwrap();
        let r = merge(&shards, missing).unwrap();
        assert_eq!(r.hists.latency, all.latency, "seed {seed}: the merged histogram is the one histogram");
        let one = crate::report::Dist::of(&all.latency);
        assert_eq!(r.latency.percentiles, one.percentiles, "seed {seed}");
        assert_eq!((r.latency.count, r.latency.max_ns), (one.count, one.max_ns));
        assert_eq!(r.counts.intended, all.latency.len());
        assert!(r.counts.conserved);
        for (row, h) in r.timeline.iter().zip(&per_interval) {
            assert_eq!(row.latency_p99_ns, percentile(&h.latency, 0.99), "seed {seed} interval {}", row.interval);
            assert_eq!(row.sent, h.latency.len());
        }
        assert_eq!(r.histograms.shards.len(), n as usize);
        assert_eq!(r.config.cores, n as usize, "every shard's core, side by side");
        assert_eq!(r.timeline[0].health.core_busy.len(), n as usize);
    }
}

#[test]
fn a_generator_bound_shard_makes_the_merged_run_invalid_and_is_named() {
    let samples = vec![vec![1_000_000u64; 50]; 3];
    let mut shards: Vec<Shard> = (0..3).map(|k| shard(k, 3, &samples)).collect();
    let bound = &mut shards[1].report.verdict;
    bound.generator_bound = true;
    bound.reasons.push("generator-bound: send lag p99 9.00 ms > 1.00 ms, ...".into());
    let (shards, missing) = check(shards, false).unwrap();
    let mut r = merge(&shards, missing).unwrap();
    judge(&mut r, crate::slo::SloSet::default()).unwrap();
    assert_eq!(r.verdict.status, Status::Invalid);
    assert!(r.verdict.generator_bound);
    assert!(
        r.verdict.reasons.iter().any(|l| l.starts_with("shard 1/3 (shard-1.json): generator-bound")),
        "{:?}",
        r.verdict.reasons
    );
    let members = &r.distributed.as_ref().unwrap().members;
    assert_eq!(members.iter().map(|m| m.generator_bound).collect::<Vec<_>>(), [false, true, false]);
}

#[test]
fn slos_are_judged_on_the_merged_result_only() {
    // Shard 0 alone would fail p99 <= 5ms (all its samples are 8 ms); merged, 1% of the samples
    // are 8 ms and p99 passes.
    let slow = vec![vec![8_000_000u64; 3]; 1];
    let fast = vec![vec![1_000_000u64; 297]; 1];
    let mut a = shard(0, 2, &slow);
    a.report.distributed.as_mut().unwrap().slo =
        crate::report::shards::SloSpec::of(&crate::slo::parse::flags(&["p99=5ms".to_string()]).unwrap());
    let b = shard(1, 2, &fast);
    let (shards, missing) = check(vec![b, a], false).unwrap();
    let mut r = merge(&shards, missing).unwrap();
    judge(&mut r, crate::slo::SloSet::default()).unwrap();
    assert_eq!(r.slo.len(), 1);
    assert!(r.slo[0].pass, "{:?}", r.slo[0]);
    assert_eq!(r.verdict.status, Status::Pass, "{:?}", r.verdict.reasons);
    judge(&mut r, crate::slo::parse::flags(&["p50=500us".to_string()]).unwrap()).unwrap();
    assert_eq!(r.verdict.status, Status::Failed);
}

#[test]
fn circuit_breakers_are_replayed_on_the_merged_timeline() {
    // p99 <= 500us with abort_on_fail over 2 s: every merged interval breaches it (1 ms samples).
    let samples = vec![vec![1_000_000u64; 40]; 3];
    let mut a = shard(0, 2, &samples);
    let set = crate::slo::parse::flags(&["p99=500us".to_string(), "abort_on_fail=2s".to_string()]).unwrap();
    a.report.distributed.as_mut().unwrap().slo = crate::report::shards::SloSpec::of(&set);
    let (shards, missing) = check(vec![a, shard(1, 2, &samples)], false).unwrap();
    let mut r = merge(&shards, missing).unwrap();
    judge(&mut r, crate::slo::SloSet::default()).unwrap();
    assert_eq!(r.verdict.status, Status::Interrupted, "{:?}", r.verdict.reasons);
    assert_eq!(r.verdict.exit_code, 4);
    let why = r.aborted.as_deref().unwrap_or_default();
    assert!(why.starts_with("aborted by abort_on_fail") && why.contains("judged on the merged timeline"), "{why}");
}

#[test]
fn a_late_shard_is_named_in_the_merged_verdict() {
    let samples = vec![vec![1_000_000u64; 40]; 3];
    let mut late = shard(1, 2, &samples);
    late.report.distributed.as_mut().unwrap().clock = Some(crate::report::shards::ShardClock {
        late_ms: 412.0,
        late: true,
        late_bound_ms: crate::report::shards::LATE_BOUND_MS,
        ..Default::default()
    });
    let (shards, missing) = check(vec![shard(0, 2, &samples), late], false).unwrap();
    let mut r = merge(&shards, missing).unwrap();
    judge(&mut r, crate::slo::SloSet::default()).unwrap();
    let want = "shard 1/2 started 412 ms after the common start (bound 20 ms)";
    assert!(r.verdict.reasons.iter().any(|l| l.starts_with(want)), "{:?}", r.verdict.reasons);
    assert_eq!(r.verdict.status, Status::Pass, "said, not invalidated: its latencies count from the schedule");
}
