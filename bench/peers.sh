#!/usr/bin/env bash
# Installs the peer secret scanners that `palisade scan` is measured against, and builds
# the benchmark corpora. Idempotent: whatever is already in place is kept. Nothing is
# written inside the repository.
#
# Usage:
#   bench/peers.sh [tools|corpus|versions|all]      (default: tools)
#     tools     install ripsecrets, detect-secrets, trufflehog3 and Nosey Parker (and
#               gitleaks when a Debian package of it exists), then print their versions
#     corpus    build the corpora: $PALISADE_PEERS/corpus/tree, about 1 GB of distinct
#               files (vendored crate sources); corpus/tree-sample, every 10th file of
#               it (about 100 MB); and corpus/git.git, a mirror of git/git's full history
#     versions  print the versions of the installed peers
#     all       tools, then corpus
#
# Environment:
#   PALISADE_PEERS    where everything goes (default: ~/.cache/palisade-peers);
#                     binaries end up in $PALISADE_PEERS/bin
#   NOSEYPARKER_REPO  Nosey Parker's git repository, a URL or a local path
#                     (default: https://github.com/praetorian-inc/noseyparker)
#   NOSEYPARKER_REV   the commit to build (default: the one the shared rule fixtures
#                     come from)
#   GIT_HISTORY_REPO  the repository mirrored as the git-history corpus
#                     (default: https://github.com/git/git)
#
# Needs cargo, git, python3 with venv; Nosey Parker also needs cmake and the Boost
# headers, installed with apt-get when missing (as root). Builds run under `nice -n 19`;
# Nosey Parker's release build takes about 10 minutes on 2 cores.
set -euo pipefail

PALISADE_PEERS="${PALISADE_PEERS:-$HOME/.cache/palisade-peers}"
NOSEYPARKER_REPO="${NOSEYPARKER_REPO:-https://github.com/praetorian-inc/noseyparker}"
NOSEYPARKER_REV="${NOSEYPARKER_REV:-2e6e7f36ce36619852532bbe698d8cb7a26d2da7}"
GIT_HISTORY_REPO="${GIT_HISTORY_REPO:-https://github.com/git/git}"

RIPSECRETS_VERSION=0.1.11
DETECT_SECRETS_VERSION=1.5.0
TRUFFLEHOG3_VERSION=3.0.10

BIN="$PALISADE_PEERS/bin"
VENV="$PALISADE_PEERS/venv"
CORPUS="$PALISADE_PEERS/corpus"

log() { printf '==> %s\n' "$*" >&2; }

install_ripsecrets() {
    if [[ -x "$BIN/ripsecrets" ]] && "$BIN/ripsecrets" --version | grep -qF "$RIPSECRETS_VERSION"; then
        return
    fi
    log "installing ripsecrets $RIPSECRETS_VERSION"
    nice -n 19 cargo install --locked --root "$PALISADE_PEERS" --version "$RIPSECRETS_VERSION" ripsecrets
}

install_python_peers() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating $VENV"
        python3 -m venv "$VENV"
    fi
    local want=("detect-secrets==$DETECT_SECRETS_VERSION" "trufflehog3==$TRUFFLEHOG3_VERSION")
    if ! "$VENV/bin/pip" show -q detect-secrets trufflehog3 >/dev/null 2>&1 ||
        [[ "$("$VENV/bin/detect-secrets" --version)" != "$DETECT_SECRETS_VERSION" ]] ||
        [[ "$("$VENV/bin/trufflehog3" --version)" != *"$TRUFFLEHOG3_VERSION"* ]]; then
        log "installing ${want[*]}"
        nice -n 19 "$VENV/bin/pip" install --quiet "${want[@]}"
    fi
    ln -sf "$VENV/bin/detect-secrets" "$BIN/detect-secrets"
    ln -sf "$VENV/bin/trufflehog3" "$BIN/trufflehog3"
}

install_build_prerequisites() {
    local missing=()
    command -v cmake >/dev/null || missing+=(cmake)
    [[ -e /usr/include/boost/version.hpp ]] || missing+=(libboost-dev)
    if ((${#missing[@]})); then
        log "installing ${missing[*]} with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

install_noseyparker() {
    local src="$PALISADE_PEERS/noseyparker"
    local binary="$src/target/release/noseyparker-cli"
    local stamp="$src/target/release/.built-from"
    if [[ -x "$binary" && -f "$stamp" && "$(cat "$stamp")" == "$NOSEYPARKER_REV" ]]; then
        ln -sf "$binary" "$BIN/noseyparker"
        return
    fi
    install_build_prerequisites
    if [[ ! -d "$src/.git" ]]; then
        log "cloning Nosey Parker from $NOSEYPARKER_REPO"
        git clone --quiet "$NOSEYPARKER_REPO" "$src"
    fi
    if ! git -C "$src" cat-file -e "$NOSEYPARKER_REV^{commit}" 2>/dev/null; then
        git -C "$src" fetch --quiet origin
    fi
    git -C "$src" checkout --quiet --detach "$NOSEYPARKER_REV"
    log "building Nosey Parker at $NOSEYPARKER_REV (about 10 minutes on 2 cores)"
    (cd "$src" && nice -n 19 cargo build --release --locked -p noseyparker-cli \
        --no-default-features --features mimalloc)
    echo "$NOSEYPARKER_REV" >"$stamp"
    ln -sf "$binary" "$BIN/noseyparker"
}

install_gitleaks() {
    if command -v gitleaks >/dev/null; then
        return
    fi
    if apt-cache show gitleaks >/dev/null 2>&1; then
        log "installing gitleaks with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gitleaks
    else
        log "gitleaks: no Debian package available here; skipped"
    fi
}

print_versions() {
    local tool
    for tool in ripsecrets detect-secrets trufflehog3 noseyparker gitleaks; do
        printf '%-15s %s\n' "$tool" "$(peer_version "$tool")"
    done
}

# Prints the version of one peer, or "not installed".
peer_version() {
    case "$1" in
    ripsecrets) [[ -x "$BIN/ripsecrets" ]] && "$BIN/ripsecrets" --version | awk '{print $2}' ;;
    detect-secrets) [[ -x "$VENV/bin/detect-secrets" ]] && "$VENV/bin/detect-secrets" --version ;;
    trufflehog3) [[ -x "$VENV/bin/trufflehog3" ]] && "$VENV/bin/trufflehog3" --version | awk '{print $NF}' ;;
    noseyparker)
        # A development version, so the commit it was built from goes with it.
        [[ -x "$BIN/noseyparker" ]] && "$BIN/noseyparker" --version |
            awk 'NR == 1 {v = $2} /^ *Commit SHA:/ {c = substr($3, 1, 8)} END {print v "+" c}'
        ;;
    gitleaks) command -v gitleaks >/dev/null && gitleaks version ;;
    esac || echo "not installed"
}

# The crates whose sources make up the tree corpus: popular crates whose dependency
# closure vendors to about 1 GB (Rust, generated bindings, vendored C libraries such as
# OpenSSL, SQLite, libgit2 and AWS-LC, and their test data).
corpus_manifest() {
    cat <<'EOF'
[package]
name = "palisade-bench-corpus"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
tokio = { version = "1", features = ["full"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
syn = { version = "2", features = ["full"] }
regex = "1"
clap = { version = "4", features = ["derive"] }
reqwest = { version = "0.12", features = ["json", "rustls-tls"] }
axum = "0.7"
tonic = "0.12"
rustls = "0.23"
ring = "0.17"
openssl = { version = "0.10", features = ["vendored"] }
git2 = { version = "0.19", features = ["vendored-libgit2", "vendored-openssl"] }
rusqlite = { version = "0.32", features = ["bundled"] }
aws-sdk-s3 = "1"
aws-sdk-ec2 = "1"
aws-sdk-iam = "1"
aws-sdk-dynamodb = "1"
windows = { version = "0.58", features = ["Win32_Foundation"] }
gix = "0.66"
wasmtime = "25"
datafusion = "42"
zstd = "0.13"
xz2 = "0.1"
icu = "1"
chrono-tz = "0.10"
actix-web = "4"
diesel = { version = "2", features = ["postgres", "mysql", "sqlite"] }
EOF
}

# Builds $CORPUS/tree: the vendored sources of corpus_manifest's dependency closure,
# with files whose content repeats an earlier file (in path order) removed, so that every
# file is distinct (some scanners skip blobs they have already seen). Crate versions
# resolve to the newest matching ones on the day it runs.
make_tree_corpus() {
    local tree="$CORPUS/tree"
    if [[ -f "$tree/.complete" ]]; then
        log "tree corpus already at $tree"
    else
        local project="$CORPUS/src-project"
        rm -rf "$tree" "$project"
        mkdir -p "$project/src"
        corpus_manifest >"$project/Cargo.toml"
        echo 'fn main() {}' >"$project/src/main.rs"
        log "vendoring the tree corpus into $tree"
        (
            cd "$project"
            export CARGO_HOME="$CORPUS/cargo-home"
            nice -n 19 cargo generate-lockfile --quiet
            nice -n 19 cargo vendor --quiet --versioned-dirs "$tree" >/dev/null
        )
        log "removing files that repeat an earlier file's content"
        nice -n 19 python3 - "$tree" <<'EOF'
import hashlib, os, sys
seen, removed = set(), 0
paths = sorted(os.path.join(root, name) for root, _, names in os.walk(sys.argv[1]) for name in names)
for path in paths:
    if os.path.islink(path):
        continue
    with open(path, "rb") as f:
        digest = hashlib.sha1(f.read()).digest()
    if digest in seen:
        os.remove(path)
        removed += 1
    else:
        seen.add(digest)
print(f"removed {removed} duplicate files", file=sys.stderr)
EOF
        date -u +%Y-%m-%dT%H:%M:%SZ >"$tree/.complete"
    fi
    printf 'tree corpus: %s: %s files, %s bytes\n' "$tree" \
        "$(find "$tree" -type f ! -name .complete | wc -l)" \
        "$(find "$tree" -type f ! -name .complete -printf '%s\n' | awk '{s += $1} END {print s}')"
}

# Copies every 10th file of $1 (in sorted path order) into $2, once.
every_tenth_file() {
    local from="$1" to="$2"
    [[ -f "$to/.complete" ]] && return
    log "copying every 10th file of $from into $to"
    rm -rf "$to"
    nice -n 19 python3 - "$from" "$to" <<'EOF'
import os, shutil, sys
source, target = sys.argv[1:]
paths = sorted(
    os.path.relpath(os.path.join(root, name), source)
    for root, _, names in os.walk(source)
    for name in names
    if name != ".complete"
)
for path in paths[::10]:
    os.makedirs(os.path.join(target, os.path.dirname(path)), exist_ok=True)
    shutil.copyfile(os.path.join(source, path), os.path.join(target, path))
EOF
    date -u +%Y-%m-%dT%H:%M:%SZ >"$to/.complete"
}

# Builds $CORPUS/tree-sample: every 10th file of the tree corpus, about 100 MB, for the
# peers too slow to scan the whole tree in 10 minutes; and $CORPUS/tree-sample-1pct,
# every 10th file of that, for the slowest (detect-secrets).
make_sample_corpus() {
    local sample="$CORPUS/tree-sample"
    every_tenth_file "$CORPUS/tree" "$sample"
    every_tenth_file "$sample" "$CORPUS/tree-sample-1pct"
    printf 'sample corpus: %s: %s files, %s bytes\n' "$sample" \
        "$(find "$sample" -type f ! -name .complete | wc -l)" \
        "$(find "$sample" -type f ! -name .complete -printf '%s\n' | awk '{s += $1} END {print s}')"
}

# Mirrors $GIT_HISTORY_REPO (all refs, full history) into $CORPUS/git.git.
make_git_corpus() {
    local mirror="$CORPUS/git.git"
    if [[ ! -f "$mirror/HEAD" ]]; then
        log "mirroring $GIT_HISTORY_REPO into $mirror"
        mkdir -p "$CORPUS"
        git clone --quiet --mirror "$GIT_HISTORY_REPO" "$mirror"
    fi
    printf 'git corpus: %s: %s commits (all refs), shallow: %s, %s\n' "$mirror" \
        "$(git -C "$mirror" rev-list --all --count)" \
        "$(git -C "$mirror" rev-parse --is-shallow-repository)" \
        "$(du -sh "$mirror" | cut -f1)"
}

install_tools() {
    install_ripsecrets
    install_python_peers
    install_noseyparker
    install_gitleaks
    print_versions
}

make_corpora() {
    make_tree_corpus
    make_sample_corpus
    make_git_corpus
}

main() {
    mkdir -p "$BIN"
    case "${1:-tools}" in
    tools) install_tools ;;
    corpus) make_corpora ;;
    versions) print_versions ;;
    all)
        install_tools
        make_corpora
        ;;
    *)
        echo "usage: $0 [tools|corpus|versions|all]" >&2
        exit 2
        ;;
    esac
}

main "$@"
