//! What send lag can and cannot do to a verdict (MEASUREMENT.md §2). Latency runs from the
//! intended time, so the generator's lateness only ever adds to it: it can turn a pass into a
//! miss, never a miss into a pass. This file owns the host timer's summary (the floor under send
//! lag), the two tests the verdict asks of the lag ("could it account for this latency miss?",
//! "is it small beside the latency?") and the sentences that report them. Pure.
use super::{Dist, SloRow};
use crate::slo::spec::Metric;
use crate::units::fmt_ns;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Send lag is small beside the latency it inflates when its p99 is at most this share of the
/// latency p99: the latency figures are then right to within about a tenth.
pub const SMALL_SHARE: f64 = 0.1;

/// Send lag p99 within this of the host timer's p99 is the host's own lateness, not the wait's.
pub const HOST_MARGIN_NS: u64 = 100_000;

/// The host timer probe, summarised (engine::timer_probe): how late this host woke a thread
/// sleeping to an absolute instant every `period_ns`, on each executor's CPU (before the load:
/// on its own thread; during the run: on a thread beside it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostTimer {
    /// Sleeps measured, all executors together (0: no probe, e.g. a report from before it).
    pub samples: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
    /// The gap between sleeps, ns: the executors' own pace (0 in a report from before it).
    pub period_ns: u64,
}

impl HostTimer {
    /// Nearest-rank percentiles (`ceil(q·N)`, MEASUREMENT.md §1) of the probe's samples.
    pub fn of(samples: &[u64]) -> HostTimer {
        let mut v = samples.to_vec();
        v.sort_unstable();
        let at = |q: f64| {
            let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1));
            v.get(rank - 1).copied().unwrap_or(0)
        };
        HostTimer {
            samples: v.len() as u64,
            p50_ns: at(0.5),
            p99_ns: at(0.99),
            max_ns: v.last().copied().unwrap_or(0),
            period_ns: 0,
        }
    }

    /// The same from a histogram of samples (the watch during the run).
    pub fn of_hist(h: &Histogram<u64>) -> HostTimer {
        if h.is_empty() {
            return HostTimer::default();
        }
        let at = |q: f64| h.value_at_quantile(q);
        HostTimer { samples: h.len(), p50_ns: at(0.5), p99_ns: at(0.99), max_ns: h.max(), period_ns: 0 }
    }

    pub fn every(self, period_ns: u64) -> HostTimer {
        HostTimer { period_ns, ..self }
    }
}

/// The host timer that bounds send lag: as sampled during the run where it was (same minutes,
/// same pace as the slots), else the probe before the load.
pub fn floor<'a>(before: &'a HostTimer, during: &'a HostTimer) -> (&'a HostTimer, &'static str) {
    if during.samples > 0 { (during, "during the run") } else { (before, "before the load") }
}

fn summary(h: &HostTimer, when: &str) -> String {
    let every = if h.period_ns > 0 { format!(" every {}", fmt_ns(h.period_ns)) } else { String::new() };
    format!(
        "late by up to {} at p99 (p50 {}, max {}, {} sleeps{every} {when})",
        fmt_ns(h.p99_ns),
        fmt_ns(h.p50_ns),
        fmt_ns(h.max_ns),
        h.samples
    )
}

/// "send lag p99 310us; this host wakes timers late by up to 290us at p99 (p50 60us, max 1.2ms,
/// 300 sleeps every 5ms before the load); during the run late by up to ...": the line every
/// writer prints beside the send lag.
pub fn line(lag: &Dist, before: &HostTimer, during: &HostTimer) -> String {
    let head = format!("send lag p99 {}", fmt_ns(lag.p("p99")));
    if before.samples == 0 {
        return format!("{head}; host timer not probed");
    }
    let mut s = format!("{head}; this host wakes timers {}", summary(before, "before the load"));
    if during.samples > 0 {
        s += &format!("; {}", summary(during, "during the run, beside the executors"));
    }
    s
}

/// Whether the lag is small beside the latency it inflates (p99 against p99, `SMALL_SHARE`).
pub fn small(lag: &Dist, latency: &Dist) -> bool {
    lag.p("p99") as f64 <= SMALL_SHARE * latency.p("p99") as f64
}

/// The distribution key of a latency quantile: "p99" → "p99", "max" → "p100".
fn key(quantile: &str) -> &str {
    if quantile == "max" { "p100" } else { quantile }
}

/// A failed latency criterion the send lag could account for: the reason line saying so, or None
/// when the miss is the target's. Over the whole run the test is exact in one direction: latency
/// is service time plus lag for every request, so if the service time alone misses the
/// threshold, no lag could have caused the miss. When the service time meets it, only the lag
/// pushed the latency over. Endpoint and stage scopes keep no service time of their own: there
/// the miss is compared with the run's send lag at the same percentile.
pub fn accounts_for(row: &SloRow, service: &Dist, lag: &Dist) -> Option<String> {
    let actual = row.actual?;
    let Metric::Latency(quantile) = row.metric else { return None };
    if row.pass {
        return None;
    }
    let k = key(quantile);
    let miss_ns = ((actual - row.threshold) * 1e9).max(0.0).round() as u64;
    let lag_ns = lag.p(k);
    let why = if row.scope == "total" {
        let s = service.p(k);
        (s as f64 <= row.threshold * 1e9 && service.count > 0)
            .then(|| format!("service time {quantile} {} is within it", fmt_ns(s)))?
    } else {
        (miss_ns <= lag_ns).then(|| "the run's send lag at that percentile is at least the miss".to_string())?
    };
    Some(format!(
        "inconclusive: {} misses by {} while send lag {} was {} ({why}): the generator's lateness could account for the miss, so the run says nothing about the target on this criterion",
        row.reason(),
        fmt_ns(miss_ns),
        quantile,
        fmt_ns(lag_ns)
    ))
}

/// Where a timer-bound lag came from, against the host's own timer (`floor`): the host (a noisy
/// VM) when the lag is within `HOST_MARGIN_NS` of its p99, else onslaught's side of the wait.
pub fn host_cause(lag: &Dist, before: &HostTimer, during: &HostTimer) -> String {
    let l = lag.p("p99");
    let (host, when) = floor(before, during);
    if host.samples == 0 {
        return "the host timer was not probed".into();
    }
    if l <= host.p99_ns + HOST_MARGIN_NS {
        format!(
            "this host woke timers late by up to {} at p99 itself ({when}): the host is the cause (a noisy or shared machine), not the target",
            fmt_ns(host.p99_ns)
        )
    } else {
        format!(
            "this host woke timers late by up to {} at p99 ({when}), so {} of it came from elsewhere (other processes on the generator's CPUs, power saving)",
            fmt_ns(host.p99_ns),
            fmt_ns(l - host.p99_ns)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::histograms::new_hist;

    fn dist(values: &[u64]) -> Dist {
        let mut h = new_hist();
        for v in values {
            h.record(*v).unwrap();
        }
        Dist::of(&h)
    }

    fn row(scope: &str, metric: &str, threshold_s: f64, actual_s: f64) -> SloRow {
        SloRow {
            scope: scope.into(),
            metric: Metric::from_name(metric).expect("a metric name"),
            criterion: format!("{metric} <= {threshold_s}s"),
            threshold: threshold_s,
            actual: Some(actual_s),
            pass: actual_s <= threshold_s,
        }
    }

    #[test]
    fn host_timer_uses_nearest_rank() {
        let samples: Vec<u64> = (1..=200).map(|i| i * 1_000).collect();
        let h = HostTimer::of(&samples);
        assert_eq!((h.samples, h.p50_ns, h.p99_ns, h.max_ns, h.period_ns), (200, 100_000, 198_000, 200_000, 0));
        assert_eq!(HostTimer::of(&[]), HostTimer::default());
    }

    #[test]
    fn a_miss_the_service_time_alone_meets_is_the_lags() {
        // Latency p99 2.1 ms = service ~1.2 ms + lag ~0.9 ms; the SLO says 2 ms.
        let service = dist(&[1_200_000; 100]);
        let lag = dist(&[900_000; 100]);
        let why = accounts_for(&row("total", "p99", 0.002, 0.0021), &service, &lag).expect("inconclusive");
        assert!(why.starts_with("inconclusive:") && why.contains("p99"), "{why}");
        let lag_text = format!("send lag p99 was {}", fmt_ns(lag.p("p99")));
        assert!(why.contains(&lag_text) && why.contains("misses by 100.00us"), "{why}");
    }

    #[test]
    fn a_target_slower_than_the_threshold_fails_whatever_the_lag() {
        let service = dist(&[300_000_000; 100]);
        let lag = dist(&[900_000; 100]);
        assert_eq!(accounts_for(&row("total", "p99", 0.002, 0.301), &service, &lag), None);
        // A pass is never inconclusive, nor is a criterion that is not latency.
        assert_eq!(accounts_for(&row("total", "p99", 0.5, 0.301), &service, &lag), None);
        assert_eq!(accounts_for(&row("total", "error_rate", 0.01, 0.5), &service, &lag), None);
    }

    #[test]
    fn other_scopes_compare_the_miss_with_the_lag() {
        let (service, lag) = (dist(&[1_000]), dist(&[500_000; 10]));
        assert!(accounts_for(&row("endpoint:login", "p95", 0.010, 0.0104), &service, &lag).is_some());
        assert!(accounts_for(&row("endpoint:login", "p95", 0.010, 0.0110), &service, &lag).is_none());
    }

    #[test]
    fn small_is_a_tenth_of_the_latency_p99() {
        let lat = dist(&[10_000_000; 100]);
        assert!(small(&dist(&[900_000; 100]), &lat));
        assert!(!small(&dist(&[1_200_000; 100]), &lat));
    }

    #[test]
    fn the_host_is_named_when_the_lag_is_its_own() {
        let host = HostTimer { samples: 300, p50_ns: 60_000, p99_ns: 290_000, max_ns: 800_000, period_ns: 1_000_000 };
        let none = HostTimer::default();
        assert!(host_cause(&dist(&[350_000; 10]), &host, &none).contains("the host is the cause"));
        let far = host_cause(&dist(&[4_000_000; 10]), &host, &none);
        assert!(far.contains("came from elsewhere") && far.contains("3.71ms"), "{far}");
        let lag = dist(&[310_000; 10]);
        let l = line(&lag, &host, &none);
        assert!(l.starts_with(&format!("send lag p99 {};", fmt_ns(lag.p("p99")))), "{l}");
        assert!(
            l.contains(
                "late by up to 290.00us at p99 (p50 60.00us, max 800.00us, 300 sleeps every 1.00ms before the load)"
            ),
            "{l}"
        );
    }

    #[test]
    fn the_host_timer_during_the_run_is_the_floor_when_it_was_sampled() {
        // Before the load the host looked quiet; during the run it woke threads 4 ms late at p99.
        let before = HostTimer { samples: 300, p50_ns: 40_000, p99_ns: 70_000, max_ns: 900_000, period_ns: 1_000_000 };
        let mut h = crate::record::histograms::new_hist();
        for i in 0..600u64 {
            h.record(if i % 50 == 0 { 4_000_000 } else { 45_000 }).unwrap();
        }
        let during = HostTimer::of_hist(&h).every(5_000_000);
        assert_eq!((during.samples, during.max_ns / 1_000), (600, 4_001));
        assert!(during.p99_ns >= 3_990_000, "{during:?}");
        let lag = dist(&[4_050_000; 10]);
        let why = host_cause(&lag, &before, &during);
        assert!(why.contains("the host is the cause") && why.contains("during the run"), "{why}");
        // Only the probe before the load: the same lag is not the host's.
        assert!(host_cause(&lag, &before, &HostTimer::default()).contains("came from elsewhere"));
        let l = line(&lag, &before, &during);
        assert!(l.contains("300 sleeps every 1.00ms before the load); late by up to"), "{l}");
        assert!(l.contains("600 sleeps every 5.00ms during the run, beside the executors)"), "{l}");
    }
}
