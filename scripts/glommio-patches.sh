#!/usr/bin/env bash
# vendor/glommio as a reviewable patch series: pristine crates.io glommio, minus the paths in
# vendor/glommio-patches/TRIM, plus vendor/glommio-patches/NNNN-*.patch applied in order.
#
#   scripts/glommio-patches.sh check       exit 0 iff vendor/glommio equals pristine + patches
#   scripts/glommio-patches.sh apply DIR   build pristine + patches into DIR (must not exist)
#   scripts/glommio-patches.sh new NAME    write what vendor/glommio has beyond the series as
#                                          the next numbered patch (then edit its message)
#
# The pristine crate comes from $GLOMMIO_CRATE, else cargo's download cache, else
# static.crates.io; its sha256 must match vendor/glommio-patches/UPSTREAM. See
# docs/architecture.md ("The vendored glommio") for moving to a newer glommio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/vendor/glommio-patches
version=$(sed -n 's/^version=//p' "$dir/UPSTREAM")
sha256=$(sed -n 's/^sha256=//p' "$dir/UPSTREAM")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch_crate() {
    local crate=$work/glommio-$version.crate cached
    cached=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/glommio-"$version".crate 2>/dev/null | head -1 || true)
    if [ -n "${GLOMMIO_CRATE:-}" ]; then cp "$GLOMMIO_CRATE" "$crate"
    elif [ -n "$cached" ]; then cp "$cached" "$crate"
    else curl -sSfL --retry 3 -o "$crate" "https://static.crates.io/crates/glommio/glommio-$version.crate"
    fi
    if ! echo "$sha256  $crate" | sha256sum -c --quiet - >/dev/null 2>&1; then
        echo "glommio-patches: glommio-$version.crate does not match the sha256 in $dir/UPSTREAM" >&2
        exit 2
    fi
    echo "$crate"
}

# pristine + TRIM + patches into $1
build_tree() {
    local out=$1 crate p
    crate=$(fetch_crate)
    mkdir -p "$out"
    tar xzf "$crate" -C "$out" --strip-components=1
    while read -r p; do
        [ -z "$p" ] || [[ $p == \#* ]] || rm -rf -- "${out:?}/$p"
    done < "$dir/TRIM"
    for p in "$dir"/[0-9][0-9][0-9][0-9]-*.patch; do
        [ -e "$p" ] || continue
        if ! git -C "$out" apply --whitespace=nowarn -p1 "$p" 2>"$work/apply.err"; then
            echo "glommio-patches: $(basename "$p") does not apply:" >&2
            cat "$work/apply.err" >&2
            exit 1
        fi
    done
}

# The tree checked: vendor/glommio, or $GLOMMIO_VENDORED (tests check a drifted copy).
vendored=${GLOMMIO_VENDORED:-$root/vendor/glommio}

compare() {
    diff -r -q -x target "$1" "$vendored"
}

case "${1:-}" in
check)
    build_tree "$work/tree"
    if ! out=$(compare "$work/tree"); then
        echo "glommio-patches: vendor/glommio has drifted from glommio $version + vendor/glommio-patches:" >&2
        echo "$out" >&2
        echo "Record a change as a patch: scripts/glommio-patches.sh new NAME" >&2
        exit 1
    fi
    n=$(ls "$dir"/[0-9][0-9][0-9][0-9]-*.patch | wc -l)
    echo "glommio-patches: vendor/glommio = glommio $version + $n patches"
    ;;
apply)
    [ -n "${2:-}" ] && [ ! -e "$2" ] || { echo "usage: $0 apply NEW_DIR" >&2; exit 2; }
    build_tree "$work/tree"
    cp -a "$work/tree" "$2"
    ;;
new)
    [ -n "${2:-}" ] || { echo "usage: $0 new NAME" >&2; exit 2; }
    build_tree "$work/a"
    last=$(ls "$dir"/[0-9][0-9][0-9][0-9]-*.patch | tail -1 | xargs basename | cut -c1-4)
    next=$(printf %04d $((10#$last + 1)))
    cp -a "$vendored" "$work/b" && rm -rf "$work/b/target"
    patch=$dir/$next-$2.patch
    {
        echo "Subject: [PATCH] $2"
        echo
        echo "WHY: what this changes, why, and the measurement that justified it."
        echo "---"
        (cd "$work" && git diff --no-index --no-prefix --src-prefix=a/ --dst-prefix=b/ a b || true) \
            | sed -e 's#^\(---\|+++\) \([ab]\)/[ab]/#\1 \2/#' -e 's#^diff --git a/a/\(.*\) b/b/#diff --git a/\1 b/#'
    } > "$patch"
    echo "wrote $patch: edit its message (the why and the measurement)"
    ;;
*)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
