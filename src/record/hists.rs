//! The merged histograms in HdrHistogram's V2 compressed form (the same bytes `.hlog` files and
//! the HdrHistogram tools use), base64 in JSON: totals, one set per completed interval, per
//! endpoint and per stage. Only these bytes are kept per interval, so memory grows by a few
//! hundred bytes per interval, never by a full histogram (docs/result-file.md).
use super::Histograms;
use super::histograms::new_hist;
use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use serde::{Deserialize, Serialize};

/// One histogram, V2 compressed ("HISTF..." once in base64). In JSON: the base64 text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Encoded(pub Vec<u8>);

impl Encoded {
    pub fn of(h: &Histogram<u64>) -> Encoded {
        let mut buf = Vec::new();
        // Only fails on an I/O error of the Vec (none) or counts above i64::MAX (impossible here).
        let _ = V2DeflateSerializer::new().serialize(h, &mut buf);
        Encoded(buf)
    }

    pub fn decode(&self) -> Result<Histogram<u64>, String> {
        if self.0.is_empty() {
            return Ok(new_hist());
        }
        Deserializer::new().deserialize(&mut &self.0[..]).map_err(|e| format!("bad histogram: {e:?}"))
    }

    pub fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.0)
    }
}

impl Serialize for Encoded {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.base64())
    }
}

impl<'de> Deserialize<'de> for Encoded {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Encoded, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map(Encoded)
            .map_err(|e| serde::de::Error::custom(format!("histogram is not base64: {e}")))
    }
}

/// The six distributions of the whole measured window.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TotalHists {
    pub latency: Encoded,
    pub service_time: Encoded,
    pub send_lag: Encoded,
    pub incomplete_censored: Encoded,
    pub connect_time: Encoded,
    pub tls_handshake: Encoded,
}

impl TotalHists {
    pub fn of(h: &Histograms) -> TotalHists {
        TotalHists {
            latency: Encoded::of(&h.latency),
            service_time: Encoded::of(&h.service),
            send_lag: Encoded::of(&h.send_lag),
            incomplete_censored: Encoded::of(&h.censored),
            connect_time: Encoded::of(&h.connect),
            tls_handshake: Encoded::of(&h.handshake),
        }
    }

    /// Back into the in-memory set (what `Report::hists` holds after a run).
    pub fn decode(&self) -> Result<Histograms, String> {
        let mut h = Histograms::new();
        h.latency = self.latency.decode()?;
        h.service = self.service_time.decode()?;
        h.send_lag = self.send_lag.decode()?;
        h.censored = self.incomplete_censored.decode()?;
        h.connect = self.connect_time.decode()?;
        h.handshake = self.tls_handshake.decode()?;
        Ok(h)
    }
}

/// One completed timeline interval: encoded the moment the merge completes it (src/merge.rs).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct IntervalHists {
    pub interval: u64,
    /// Seconds since t0 (the start of warm-up, as in the timeline).
    pub start_s: f64,
    pub length_s: f64,
    pub latency: Encoded,
    pub service_time: Encoded,
    pub send_lag: Encoded,
}

impl IntervalHists {
    pub fn of(interval: u64, interval_ns: u64, h: &Histograms) -> IntervalHists {
        IntervalHists {
            interval,
            start_s: (interval * interval_ns) as f64 / 1e9,
            length_s: interval_ns as f64 / 1e9,
            latency: Encoded::of(&h.latency),
            service_time: Encoded::of(&h.service),
            send_lag: Encoded::of(&h.send_lag),
        }
    }

    /// Bytes held in memory for this interval.
    pub fn size(&self) -> usize {
        self.latency.0.len() + self.service_time.0.len() + self.send_lag.0.len()
    }
}

/// A named latency histogram (an endpoint of a plan, a stage or a scenario); a scenario's also
/// keeps its service time and send lag (its percentile spectrum).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NamedHist {
    pub name: String,
    pub latency: Encoded,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_time: Option<Encoded>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_lag: Option<Encoded>,
}

/// Every histogram of a run, as the result file keeps them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct EncodedHists {
    /// Wall-clock start of the run (t0, warm-up included), seconds since the Unix epoch: the
    /// `.hlog` StartTime. 0 when unknown.
    pub start_unix_s: f64,
    pub total: TotalHists,
    pub intervals: Vec<IntervalHists>,
    pub endpoints: Vec<NamedHist>,
    /// Per load stage of a plan: pushed by whoever measures stages (`NamedHist::of`).
    pub stages: Vec<NamedHist>,
    /// Per scenario of a plan with `scenarios:` (latency from each request's intended time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<NamedHist>,
    /// A merged result (`onslaught merge`): each shard's own intervals (the `.hlog` tags them
    /// `shard-K`). Absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardHists>,
}

/// One shard's timeline histograms, kept beside the merged ones.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ShardHists {
    pub shard: u64,
    pub intervals: Vec<IntervalHists>,
}

impl NamedHist {
    pub fn of(name: &str, h: &Histogram<u64>) -> NamedHist {
        NamedHist { name: name.to_string(), latency: Encoded::of(h), service_time: None, send_lag: None }
    }

    /// A scenario's: latency, service time and send lag.
    pub fn spectrum(
        name: &str,
        latency: &Histogram<u64>,
        service: &Histogram<u64>,
        send_lag: &Histogram<u64>,
    ) -> NamedHist {
        NamedHist {
            service_time: Some(Encoded::of(service)),
            send_lag: Some(Encoded::of(send_lag)),
            ..NamedHist::of(name, latency)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_counts_exactly() {
        let mut hs = Histograms::new();
        for v in 1..=10_000u64 {
            hs.record_latency(v * 1_000);
            hs.record_send_lag(v * 7);
        }
        let e = TotalHists::of(&hs);
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains("\"HISTF"), "V2 compressed cookie in base64: {}", &json[..60]);
        let back: TotalHists = serde_json::from_str(&json).unwrap();
        let d = back.decode().unwrap();
        assert_eq!(d.latency, hs.latency);
        assert_eq!(d.send_lag, hs.send_lag);
        assert_eq!(d.latency.len(), 10_000);
        assert!(d.service.is_empty());
    }

    #[test]
    fn bad_base64_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<Encoded>("\"not base64!\"").is_err());
        assert!(Encoded(vec![1, 2, 3]).decode().is_err());
    }
}
