//! JUnit XML: one test case per SLO criterion (a `failure` with threshold and actual when it
//! fails), one for the run's validity, and, when no SLOs were given, one for the run's error-rate
//! limit, so CI systems show a load test like any other test suite.
use super::fmt::{pct, xml};
use super::markdown::{slo_metric, slo_threshold};
use super::{Report, Status, fmt::slo_actual};
use std::io::{self, Write};

struct Case {
    class: String,
    name: String,
    /// (type, message, body) when it failed.
    failure: Option<(&'static str, String, String)>,
}

pub fn write(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let cases = cases(r);
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let time = format!("{:.3}", r.window_s.max(0.0));
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<testsuites name=\"onslaught\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time}\">",
        cases.len()
    )?;
    writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time}\">",
        xml(&format!("onslaught {} {}", r.config.method, r.config.url)),
        cases.len()
    )?;
    writeln!(out, "    <properties>")?;
    for (k, v) in properties(r) {
        writeln!(out, "      <property name=\"{k}\" value=\"{}\"/>", xml(&v))?;
    }
    writeln!(out, "    </properties>")?;
    for c in &cases {
        let open = format!("    <testcase classname=\"{}\" name=\"{}\" time=\"{time}\"", xml(&c.class), xml(&c.name));
        match &c.failure {
            None => writeln!(out, "{open}/>")?,
            Some((kind, msg, body)) => {
                writeln!(out, "{open}>")?;
                writeln!(out, "      <failure type=\"{kind}\" message=\"{}\">{}</failure>", xml(msg), xml(body))?;
                writeln!(out, "    </testcase>")?;
            }
        }
    }
    writeln!(out, "  </testsuite>\n</testsuites>")
}

fn cases(r: &Report) -> Vec<Case> {
    let mut v: Vec<Case> = r
        .slo
        .iter()
        .map(|s| Case {
            class: format!("onslaught.slo.{}", s.scope),
            name: s.criterion.clone(),
            failure: (!s.pass).then(|| {
                let msg = format!("{}: actual {}, threshold {}", slo_metric(s), slo_actual(s), slo_threshold(s));
                ("slo", msg.clone(), msg)
            }),
        })
        .collect();
    if r.slo.is_empty() {
        let limit = r.config.max_error_rate;
        let ok = r.counts.intended > 0 && r.rates.error_rate <= limit;
        let msg = format!("error rate: actual {}, threshold <= {}", pct(r.rates.error_rate), pct(limit));
        v.push(Case {
            class: "onslaught.run".into(),
            name: format!("error rate <= {}", pct(limit)),
            failure: (!ok).then(|| ("slo", msg.clone(), msg)),
        });
    }
    let vd = &r.verdict;
    let valid = !(vd.generator_bound
        || vd.target_rate_missed
        || vd.too_many_incomplete
        || r.interrupted
        || r.counts.intended == 0);
    v.push(Case {
        class: "onslaught.run".into(),
        name: "run validity".into(),
        failure: (!valid).then(|| {
            let kind = if vd.status == Status::Interrupted { "interrupted" } else { "invalid" };
            (
                "invalid",
                format!("run {kind}: {}", vd.reasons.first().cloned().unwrap_or_default()),
                vd.reasons.join("\n"),
            )
        }),
    });
    v
}

fn properties(r: &Report) -> Vec<(&'static str, String)> {
    let c = &r.config;
    vec![
        ("tool", r.tool.clone()),
        ("target", format!("{} {}", c.method, c.url)),
        ("target_rate", c.target_rate.map_or("closed loop".into(), |t| format!("{t} req/s"))),
        ("achieved_rps", format!("{:.1}", r.rates.achieved_rps)),
        ("latency_p99_ns", r.latency.p("p99").to_string()),
        ("error_rate", pct(r.rates.error_rate)),
        ("exit_code", r.verdict.exit_code.to_string()),
    ]
}
