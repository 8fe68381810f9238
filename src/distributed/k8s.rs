//! `onslaught k8s`: the Kubernetes manifests of a distributed run. A ConfigMap holds the plan; an
//! Indexed Job runs one shard per pod (`JOB_COMPLETION_INDEX` is the shard), one pod per node,
//! all from one common start; results go to a shared volume, where pod 0 merges them once all
//! are there; a small pod keeps the volume reachable for `kubectl cp`. Text only: no cluster
//! access (docs/distributed.md).
use std::fmt::Write;

/// Everything the manifests depend on (the start time is fixed by the caller).
#[derive(Clone, Debug)]
pub struct Options {
    pub name: String,
    pub namespace: String,
    pub shards: u64,
    pub image: String,
    pub cores_per_shard: u32,
    pub memory: String,
    pub storage_class: Option<String>,
    /// The common start, ns since the Unix epoch.
    pub start_at_unix_ns: u64,
    /// The plan's file name (shown in comments) and text (into the ConfigMap).
    pub plan_name: String,
    pub plan_text: String,
    /// Warm-up plus duration plus grace of the plan, seconds: how long pod 0 waits for the others.
    pub run_s: u64,
    /// The plan profile every shard runs (`--profile`), if any.
    pub profile: Option<String>,
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

impl Options {
    fn start(&self) -> String {
        super::start::format_time(self.start_at_unix_ns)
    }
    /// Each run writes into its own directory of the shared volume.
    fn dir(&self) -> String {
        format!("/results/{}-{}", self.name, self.start_at_unix_ns / 1_000_000_000)
    }
    fn labels(&self, out: &mut String, indent: &str) {
        let _ = writeln!(
            out,
            "{indent}labels:\n{indent}  app.kubernetes.io/name: onslaught\n{indent}  onslaught/run: {}",
            q(&self.name)
        );
    }
    fn meta(&self, out: &mut String, name: &str) {
        let _ = writeln!(out, "metadata:\n  name: {}\n  namespace: {}", q(name), q(&self.namespace));
        self.labels(out, "  ");
    }
}

/// All the manifests, as one multi-document YAML stream.
pub fn manifests(o: &Options) -> String {
    let mut out = header(o);
    config_map(&mut out, o);
    out.push_str("---\n");
    volume(&mut out, o);
    out.push_str("---\n");
    job(&mut out, o);
    out.push_str("---\n");
    collector(&mut out, o);
    out
}

/// What to run and how to collect, as comments at the top.
fn header(o: &Options) -> String {
    let (ns, name, dir) = (&o.namespace, &o.name, o.dir());
    format!(
        "# onslaught k8s: {plan} as {n} shards (one pod per node, {c} whole cores each), common start {start}.\n\
         # Run:      kubectl apply -f THIS_FILE     (before {start}: pods must be running by then)\n\
         # Wait:     kubectl -n {ns} wait --for=condition=complete job/{name} --timeout={wait}s\n\
         # Collect:  kubectl -n {ns} cp {name}-collect:{dir} ./{name}-results\n\
         # Verdict:  onslaught merge ./{name}-results/shard-*.json --out merged.json --md merged.md   (exit code as `run`'s)\n\
         #           (pod 0 already wrote {dir}/merged.json and its exit code to {dir}/merged.exit)\n\
         # Clean up: kubectl -n {ns} delete job/{name} pod/{name}-collect configmap/{name}-plan pvc/{name}-results\n\
         # Clocks:   every node must keep time with NTP/chrony (a few ms); a shard that starts more than\n\
         #           {bound} ms late says so in its result and in the merged verdict.\n\
         # Memlock:  glommio (io_uring) needs a memlock limit of at least 512 KiB: each shard raises it\n\
         #           (`ulimit -l unlimited`, allowed by SYS_RESOURCE; IPC_LOCK for kernels before 5.12). If your\n\
         #           policy forbids these capabilities, raise the runtime's default (containerd/docker: memlock=-1).\n",
        plan = o.plan_name,
        n = o.shards,
        c = o.cores_per_shard,
        start = o.start(),
        wait = o.run_s + 900,
        bound = crate::report::shards::LATE_BOUND_MS,
    )
}

fn config_map(out: &mut String, o: &Options) {
    out.push_str("apiVersion: v1\nkind: ConfigMap\n");
    o.meta(out, &format!("{}-plan", o.name));
    out.push_str("data:\n");
    let literal = !o.plan_text.contains('\r')
        && !o.plan_text.starts_with([' ', '\t', '\n'])
        && !o.plan_text.contains("\n\t")
        && o.plan_text.ends_with('\n');
    if literal {
        out.push_str("  plan.yaml: |\n");
        for line in o.plan_text.lines() {
            let _ = writeln!(out, "{}", if line.is_empty() { String::new() } else { format!("    {line}") });
        }
    } else {
        let _ = writeln!(out, "  plan.yaml: {}", q(&o.plan_text));
    }
}

fn volume(out: &mut String, o: &Options) {
    out.push_str("apiVersion: v1\nkind: PersistentVolumeClaim\n");
    o.meta(out, &format!("{}-results", o.name));
    out.push_str("spec:\n  accessModes:\n    - ReadWriteMany\n  resources:\n    requests:\n      storage: 1Gi\n");
    if let Some(sc) = &o.storage_class {
        let _ = writeln!(out, "  storageClassName: {}", q(sc));
    }
}

/// The shard's shell script: run, then (pod 0) wait for every result and merge them.
fn script(o: &Options) -> String {
    let (n, dir) = (o.shards, o.dir());
    format!(
        "ulimit -l unlimited 2>/dev/null || ulimit -l \"$(ulimit -H -l)\"\n\
         mkdir -p {dir}\n\
         onslaught run /plan/plan.yaml{profile} --quiet --cores {c} --out {dir}/.shard-$JOB_COMPLETION_INDEX.json\n\
         code=$?\n\
         [ -f {dir}/.shard-$JOB_COMPLETION_INDEX.json ] && mv {dir}/.shard-$JOB_COMPLETION_INDEX.json {dir}/shard-$JOB_COMPLETION_INDEX.json\n\
         echo \"onslaught: shard $JOB_COMPLETION_INDEX/{n} exit $code (the verdict is the merge's)\"\n\
         [ \"$code\" -eq 2 ] && exit 2\n\
         [ \"$JOB_COMPLETION_INDEX\" = 0 ] || exit 0\n\
         i=0\n\
         while [ \"$(ls {dir}/shard-*.json 2>/dev/null | wc -l)\" -lt {n} ] && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done\n\
         onslaught merge {dir}/shard-*.json --out {dir}/merged.json --md {dir}/merged.md --junit {dir}/merged.xml\n\
         echo $? > {dir}/merged.exit\n",
        c = o.cores_per_shard,
        profile = o.profile.as_deref().map_or(String::new(), |p| format!(" --profile '{}'", p.replace('\'', "'\\''")))
    )
}

fn job(out: &mut String, o: &Options) {
    out.push_str("apiVersion: batch/v1\nkind: Job\n");
    o.meta(out, &o.name);
    let _ = write!(
        out,
        "spec:\n  completionMode: Indexed\n  completions: {n}\n  parallelism: {n}\n  backoffLimit: 0\n\
         \x20 ttlSecondsAfterFinished: 86400\n\
         \x20 podFailurePolicy:\n    rules:\n      - action: FailJob\n        onExitCodes:\n\
         \x20         containerName: shard\n          operator: In\n          values:\n            - 2\n\
         \x20 template:\n    metadata:\n",
        n = o.shards
    );
    o.labels(out, "      ");
    let _ = write!(
        out,
        "    spec:\n      restartPolicy: Never\n      affinity:\n        podAntiAffinity:\n\
         \x20         requiredDuringSchedulingIgnoredDuringExecution:\n            - topologyKey: kubernetes.io/hostname\n\
         \x20             labelSelector:\n                matchLabels:\n                  onslaught/run: {name}\n\
         \x20     containers:\n        - name: shard\n          image: {image}\n          command:\n            - /bin/sh\n            - -c\n\
         \x20         args:\n            - |\n{script}\
         \x20         env:\n            - name: ONSLAUGHT_SHARDS\n              value: {n}\n            - name: ONSLAUGHT_START_AT\n              value: {start}\n\
         \x20         resources:\n            requests:\n              cpu: {c}\n              memory: {mem}\n            limits:\n              cpu: {c}\n              memory: {mem}\n\
         \x20         securityContext:\n            capabilities:\n              add:\n                - IPC_LOCK\n                - SYS_RESOURCE\n\
         \x20         volumeMounts:\n            - name: plan\n              mountPath: /plan\n              readOnly: true\n            - name: results\n              mountPath: /results\n\
         \x20     volumes:\n        - name: plan\n          configMap:\n            name: {plan}\n        - name: results\n          persistentVolumeClaim:\n            claimName: {pvc}\n",
        name = q(&o.name),
        image = q(&o.image),
        script = script(o).lines().map(|l| format!("              {l}\n")).collect::<String>(),
        n = q(&o.shards.to_string()),
        start = q(&o.start()),
        c = q(&o.cores_per_shard.to_string()),
        mem = q(&o.memory),
        plan = q(&format!("{}-plan", o.name)),
        pvc = q(&format!("{}-results", o.name)),
    );
}

/// A pod that only holds the results volume, for `kubectl cp`.
fn collector(out: &mut String, o: &Options) {
    out.push_str("apiVersion: v1\nkind: Pod\n");
    o.meta(out, &format!("{}-collect", o.name));
    let _ = write!(
        out,
        "spec:\n  containers:\n    - name: results\n      image: {image}\n      command:\n        - /bin/sh\n        - -c\n        - \"while true; do sleep 3600; done\"\n\
         \x20     resources:\n        requests:\n          cpu: \"10m\"\n          memory: \"16Mi\"\n\
         \x20     volumeMounts:\n        - name: results\n          mountPath: /results\n\
         \x20 volumes:\n    - name: results\n      persistentVolumeClaim:\n        claimName: {pvc}\n",
        image = q(&o.image),
        pvc = q(&format!("{}-results", o.name)),
    );
}

/// `onslaught k8s` from its flags: the plan is checked first (an error is exit 2, nothing printed).
pub fn from_args(a: &super::args::K8sArgs) -> Result<Options, String> {
    if a.shards == 0 {
        return Err("--shards: give at least 1".into());
    }
    let dns = |s: &str| {
        !s.is_empty()
            && s.len() <= 52
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    for (flag, v) in [("--name", &a.name), ("--namespace", &a.namespace)] {
        if !dns(v) {
            return Err(format!(
                "{flag}: '{v}' is not a Kubernetes name: lower-case letters, digits and '-', at most 52"
            ));
        }
    }
    if a.cores_per_shard == 0 {
        return Err("--cores-per-shard: give at least 1 whole core".into());
    }
    let plan = crate::plan::load_profile(&a.plan, a.profile.as_deref(), &[], &[]).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        format!("{}\n{} error(s) in the plan; nothing was printed", lines.join("\n"), errs.len())
    })?;
    let start_at_unix_ns = match &a.start_at {
        Some(t) => super::start::parse_time(t).map_err(|e| format!("--start-at: {e}"))?,
        None => {
            let d = crate::units::parse_duration(&a.start_in).map_err(|e| format!("--start-in: {e}"))?;
            (super::start::wall_now_ns() + d).div_ceil(1_000_000_000) * 1_000_000_000
        }
    };
    let plan_text = std::fs::read_to_string(&a.plan).map_err(|e| format!("cannot read '{}': {e}", a.plan.display()))?;
    let load = &plan.load;
    let run_s = (load.warmup_ns + plan.measured_ns() + plan.target.timeout_ns).div_ceil(1_000_000_000);
    Ok(Options {
        name: a.name.clone(),
        namespace: a.namespace.clone(),
        shards: a.shards,
        image: a.image.clone(),
        cores_per_shard: a.cores_per_shard,
        memory: a.memory.clone(),
        storage_class: a.storage_class.clone(),
        start_at_unix_ns,
        plan_name: a.plan.file_name().map_or("plan.yaml".into(), |f| f.to_string_lossy().into_owned()),
        plan_text,
        run_s,
        profile: a.profile.clone(),
    })
}
