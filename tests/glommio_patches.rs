//! vendor/glommio is pristine crates.io glommio plus vendor/glommio-patches, nothing else:
//! scripts/glommio-patches.sh rebuilds that tree and compares (CI runs this on every change).
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(vendored: &Path) -> Output {
    Command::new("bash")
        .arg(root().join("scripts/glommio-patches.sh"))
        .arg("check")
        .env("GLOMMIO_VENDORED", vendored)
        .output()
        .expect("bash runs scripts/glommio-patches.sh")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn vendored_glommio_equals_pristine_plus_patches() {
    let out = check(&root().join("vendor/glommio"));
    let said = text(&out);
    assert!(out.status.success(), "the vendored glommio has drifted from its patch series:\n{said}");
    let patches = std::fs::read_dir(root().join("vendor/glommio-patches"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".patch"))
        .count();
    assert!(said.contains(&format!("glommio 0.9.0 + {patches} patches")), "{said}");
}

#[test]
fn a_drifted_vendored_glommio_fails_the_check_naming_the_file() {
    let copy = std::env::temp_dir().join(format!("onslaught-glommio-drift-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let cp = Command::new("cp").arg("-a").arg(root().join("vendor/glommio")).arg(&copy).status().unwrap();
    assert!(cp.success());
    let _ = std::fs::remove_dir_all(copy.join("target"));
    let nop = copy.join("src/nop.rs");
    let mut s = std::fs::read_to_string(&nop).unwrap();
    s.push_str("// an unrecorded change\n");
    std::fs::write(&nop, s).unwrap();
    let out = check(&copy);
    let said = text(&out);
    let _ = std::fs::remove_dir_all(&copy);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("has drifted") && said.contains("src/nop.rs"), "{said}");
}
