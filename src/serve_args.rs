//! Validation of `onslaught serve` flags into ServeOptions.
use crate::cli::ServeArgs;
use crate::serve::{ServeOptions, Stall, Workers};
use crate::units::{parse_duration, parse_rate};
use std::time::Duration;

pub fn options_from_args(a: &ServeArgs) -> Result<ServeOptions, String> {
    let listen =
        a.listen.parse().map_err(|_| format!("--listen: '{}' is not an address such as 127.0.0.1:8080", a.listen))?;
    let capacity = match &a.capacity {
        Some(c) => Some(parse_rate(c).map_err(|e| format!("--capacity: {e}"))?.per_sec()),
        None => None,
    };
    let stall = match (&a.stall, &a.every) {
        (Some(s), Some(e)) => {
            let length = parse_duration(s).map_err(|e| format!("--stall: {e}"))?;
            let every = parse_duration(e).map_err(|e| format!("--every: {e}"))?;
            if length == 0 || length >= every {
                return Err("--stall must be longer than 0 and shorter than --every".into());
            }
            let phase = match &a.stall_at {
                Some(p) => parse_duration(p).map_err(|e| format!("--stall-at: {e}"))?,
                None => every - length,
            };
            if phase + length > every {
                return Err("--stall-at plus --stall must fit inside --every".into());
            }
            Some(Stall {
                length: Duration::from_nanos(length),
                every: Duration::from_nanos(every),
                phase: Duration::from_nanos(phase),
            })
        }
        _ => None,
    };
    let fail_after = match &a.fail_after {
        Some(f) => Some(Duration::from_nanos(parse_duration(f).map_err(|e| format!("--fail-after: {e}"))?)),
        None => None,
    };
    let workers = match (&a.workers, &a.service_time) {
        (Some(n), Some(t)) => {
            let count = n
                .parse()
                .ok()
                .filter(|n: &usize| *n > 0)
                .ok_or_else(|| format!("--workers: '{n}' is not a positive number of workers"))?;
            let service = parse_duration(t).map_err(|e| format!("--service-time: {e}"))?;
            if service == 0 {
                return Err("--service-time: must be longer than 0 (e.g. 10ms)".into());
            }
            if capacity.is_some() {
                return Err("--workers sets the capacity (workers / service time): drop --capacity".into());
            }
            Some(Workers { count, service: Duration::from_nanos(service) })
        }
        _ => None,
    };
    Ok(ServeOptions { listen, cores: a.cores, capacity, workers, stall, fail_after })
}
