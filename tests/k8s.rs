//! `onslaught k8s`: the manifests for `--shards 4` against a golden file (tests/golden/
//! k8s-shards4.yaml; UPDATE_GOLDEN=1 rewrites it), and a schema check of every object: kubectl
//! is not available offline, so each YAML document is parsed and the fields the Kubernetes API
//! requires (and the ones the method depends on) are checked with their types.
use serde_yaml::Value;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_onslaught");

fn manifests() -> String {
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s-plan.yaml");
    let o = Command::new(BIN)
        .args(["k8s", plan.to_str().unwrap(), "--shards", "4", "--image", "ghcr.io/example/onslaught:0.1.0"])
        .args(["--start-at", "2026-01-31T12:00:00Z", "--namespace", "load", "--cores-per-shard", "8"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn k8s_manifests_match_the_golden_file() {
    let got = manifests();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/k8s-shards4.yaml");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        assert_eq!(w, g, "k8s-shards4.yaml differs at line {} (UPDATE_GOLDEN=1 regenerates it on purpose)", i + 1);
    }
    assert_eq!(want.lines().count(), got.lines().count());
}

fn docs(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
}

fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[k],
    })
}

fn string(v: &Value, path: &str) -> String {
    at(v, path).as_str().unwrap_or_else(|| panic!("{path}: a string is required, got {:?}", at(v, path))).to_string()
}

fn int(v: &Value, path: &str) -> i64 {
    at(v, path).as_i64().unwrap_or_else(|| panic!("{path}: an integer is required, got {:?}", at(v, path)))
}

fn list<'a>(v: &'a Value, path: &str) -> &'a Vec<Value> {
    at(v, path).as_sequence().unwrap_or_else(|| panic!("{path}: a list is required"))
}

/// Every object: apiVersion, kind, metadata.name (a DNS-1123 name), namespace, string labels.
fn object(v: &Value) -> (String, String) {
    let (api, kind, name) = (string(v, "apiVersion"), string(v, "kind"), string(v, "metadata.name"));
    let dns = |s: &str| {
        !s.is_empty() && s.len() <= 63 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    assert!(dns(&name), "{kind} name {name}");
    assert_eq!(string(v, "metadata.namespace"), "load");
    for (k, val) in at(v, "metadata.labels").as_mapping().expect("labels") {
        assert!(k.is_string() && val.is_string(), "{kind} labels are strings: {k:?}: {val:?}");
    }
    (format!("{api}/{kind}"), name)
}

/// A container: name, image, command/args lists of strings, resources as quantities (strings).
fn container(c: &Value) {
    string(c, "name");
    string(c, "image");
    for key in ["command", "args"] {
        if !at(c, key).is_null() {
            assert!(list(c, key).iter().all(Value::is_string), "{key}: strings");
        }
    }
    for m in list(c, "volumeMounts") {
        assert!(string(m, "mountPath").starts_with('/'));
        string(m, "name");
    }
}

fn job(j: &Value, shards: i64) {
    assert_eq!(string(j, "spec.completionMode"), "Indexed");
    assert_eq!(int(j, "spec.completions"), shards);
    assert_eq!(int(j, "spec.parallelism"), shards);
    assert_eq!(int(j, "spec.backoffLimit"), 0);
    let rule = &list(j, "spec.podFailurePolicy.rules")[0];
    assert_eq!(string(rule, "action"), "FailJob");
    assert_eq!(list(rule, "onExitCodes.values")[0].as_i64(), Some(2), "a usage error fails the Job at once");
    let pod = at(j, "spec.template.spec");
    assert_eq!(string(pod, "restartPolicy"), "Never", "podFailurePolicy needs restartPolicy Never");
    let anti = &list(pod, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution")[0];
    assert_eq!(string(anti, "topologyKey"), "kubernetes.io/hostname", "one shard per node");
    let selected = at(anti, "labelSelector.matchLabels");
    for (k, val) in selected.as_mapping().unwrap() {
        assert_eq!(&at(j, "spec.template.metadata.labels")[k.as_str().unwrap()], val, "the selector matches the pods");
    }
    let c = &list(pod, "containers")[0];
    container(c);
    let (req, lim) = (string(c, "resources.requests.cpu"), string(c, "resources.limits.cpu"));
    assert!(req.parse::<u32>().is_ok_and(|n| n > 0), "whole cores: {req}");
    assert_eq!(req, lim, "requests = limits: Guaranteed QoS, exclusive cores with the static CPU manager");
    assert_eq!(string(c, "resources.requests.memory"), string(c, "resources.limits.memory"));
    let caps = list(c, "securityContext.capabilities.add");
    for cap in ["IPC_LOCK", "SYS_RESOURCE"] {
        assert!(caps.iter().any(|x| x.as_str() == Some(cap)), "memlock: {cap}");
    }
    let env: Vec<(String, String)> = list(c, "env").iter().map(|e| (string(e, "name"), string(e, "value"))).collect();
    assert!(env.contains(&("ONSLAUGHT_SHARDS".into(), shards.to_string())), "{env:?}");
    let start = &env.iter().find(|(k, _)| k == "ONSLAUGHT_START_AT").expect("a common start").1;
    assert_eq!(start, "2026-01-31T12:00:00.000Z");
    let script = string(c, "args.0");
    assert!(script.contains("onslaught run /plan/plan.yaml") && script.contains("onslaught merge"), "{script}");
    assert!(script.starts_with("ulimit -l unlimited"), "glommio needs 512 KiB of memlock: {script}");
    let volumes: Vec<String> = list(pod, "volumes").iter().map(|v| string(v, "name")).collect();
    for m in list(c, "volumeMounts") {
        assert!(volumes.contains(&string(m, "name")), "every mount has its volume");
    }
}

#[test]
fn k8s_manifests_are_valid_kubernetes_objects() {
    let all = docs(&manifests());
    let kinds: Vec<(String, String)> = all.iter().map(object).collect();
    let names: Vec<&str> = kinds.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["v1/ConfigMap", "v1/PersistentVolumeClaim", "batch/v1/Job", "v1/Pod"]);
    let (cm, pvc, j, pod) = (&all[0], &all[1], &all[2], &all[3]);
    let plan = cm["data"]["plan.yaml"].as_str().expect("data[plan.yaml]: a string").to_string();
    let fixture = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s-plan.yaml"));
    assert_eq!(plan, fixture.unwrap(), "the ConfigMap holds the plan byte for byte");
    assert_eq!(list(pvc, "spec.accessModes")[0].as_str(), Some("ReadWriteMany"), "shared by every shard");
    string(pvc, "spec.resources.requests.storage");
    job(j, 4);
    let claim = |v: &Value, path: &str| {
        list(v, path).iter().find_map(|v| v["persistentVolumeClaim"]["claimName"].as_str().map(String::from))
    };
    assert_eq!(claim(j, "spec.template.spec.volumes"), Some(kinds[1].1.clone()));
    assert_eq!(claim(pod, "spec.volumes"), Some(kinds[1].1.clone()), "the collector mounts the results");
    assert_eq!(at(j, "spec.template.spec.volumes.0.configMap.name").as_str(), Some(kinds[0].1.as_str()));
    container(&list(pod, "spec.containers")[0]);
}

#[test]
fn k8s_refuses_a_bad_plan_and_bad_names_with_exit_2() {
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s-plan.yaml");
    let p = plan.to_str().unwrap();
    for (args, want) in [
        (
            vec!["k8s", p, "--shards", "4", "--image", "x", "--name", "Load_Test"],
            "--name: 'Load_Test' is not a Kubernetes name",
        ),
        (vec!["k8s", "/nonexistent.yaml", "--shards", "4", "--image", "x"], "nonexistent.yaml"),
        (vec!["k8s", p, "--shards", "0", "--image", "x"], "--shards: give at least 1"),
        (
            vec!["k8s", p, "--shards", "2", "--image", "x", "--profile", "soak"],
            "--profile `soak`: the plan defines no such profile",
        ),
    ] {
        let o = Command::new(BIN).args(&args).output().unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains(want) && o.stdout.is_empty(), "{e}");
    }
}

/// `--profile NAME` is checked against the plan and passed to every shard's run.
#[test]
fn k8s_profile_reaches_every_shard_command() {
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/platform.yaml");
    let o = Command::new(BIN)
        .args(["k8s", plan.to_str().unwrap(), "--shards", "2", "--image", "x", "--profile", "spike"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("onslaught run /plan/plan.yaml --profile 'spike' --quiet"), "{text}");
}
