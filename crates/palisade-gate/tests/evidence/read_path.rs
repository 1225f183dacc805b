//! Evidence read from files by path, as `palisade gate --evidence` reads it: in
//! memory bounded whatever the file's size, with the digest of every byte.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use palisade_gate::evaluate::{evidence_kinds, read_given};
use palisade_gate::evidence::{EvidenceKind, MAX_WHOLE, digest, read_path};

use super::{read, tests_of};

fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn read_path_says_what_reading_the_bytes_says() {
    let dir = tempfile::tempdir().unwrap();
    let c = "a".repeat(40);
    let files: [(&str, Vec<u8>); 4] = [
        (
            "results.xml",
            b"\xEF\xBB\xBF\n<testsuite><testcase name=\"t\"/><testcase name=\"u\"><failure/></testcase></testsuite>".to_vec(),
        ),
        ("approvals.txt", format!("ana {c}\n").into_bytes()),
        ("merge_request.json", include_bytes!("gitlab/merge_request.json").to_vec()),
        ("broken.xml", b"<testsuite><testcase name=\"t\">".to_vec()),
    ];
    for (name, bytes) in files {
        let path = dir.path().join(name);
        write_file(&path, &bytes);
        let file = read_path(&path, None, &[]).unwrap();
        assert_eq!(file.digest, digest(&bytes), "{name}");
        match (file.read, read(None, &bytes)) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.source, path.to_str().unwrap());
                assert_eq!(
                    (a.kind, &a.digest, &a.commit),
                    (b.kind, &b.digest, &b.commit)
                );
                assert_eq!(format!("{:?}", a.facts), format!("{:?}", b.facts));
            }
            (Err(a), Err(b)) => assert_eq!((a.message, a.help), (b.message, b.help)),
            (a, b) => panic!("{name}: from the path {a:?}, from the bytes {b:?}"),
        }
    }
}

#[test]
fn a_junit_file_that_breaks_early_is_still_digested_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.xml");
    let mut bytes = b"<testsuite><testcase name=\"a\"></testsuite>\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 3 << 20));
    write_file(&path, &bytes);
    for kind in [None, Some(EvidenceKind::Junit)] {
        let file = read_path(&path, kind, &[]).unwrap();
        let error = file.read.unwrap_err();
        assert!(error.message.contains("malformed XML"), "{error}");
        assert_eq!(file.digest, digest(&bytes));
    }
}

#[test]
fn a_file_over_the_limit_of_json_evidence_is_refused_with_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reviews.json");
    // Sparse: no disk, and no memory unless the reader reads it whole.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_WHOLE + 1).unwrap();
    drop(file);
    let zeros = digest(&vec![0u8; (MAX_WHOLE + 1) as usize]);
    for (kind, named) in [
        (None, "evidence other than JUnit"),
        (Some(EvidenceKind::Reviews), "`reviews` evidence"),
    ] {
        let file = read_path(&path, kind, &[]).unwrap();
        let error = file.read.unwrap_err();
        assert_eq!(
            error.message,
            format!(
                "{named} is read whole, and this file is {} bytes, over the limit of 256 MiB",
                MAX_WHOLE + 1
            )
        );
        assert!(error.help.is_some());
        assert_eq!(file.digest, zeros);
    }
    // At the limit it is read (and is then no evidence of any kind).
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(MAX_WHOLE)
        .unwrap();
    let error = read_path(&path, Some(EvidenceKind::Approvals), &[])
        .unwrap()
        .read
        .unwrap_err();
    assert!(error.message.starts_with("line 1: "), "{error}");
}

#[test]
fn a_file_that_is_not_there_is_an_error_of_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let error = read_path(&dir.path().join("missing.xml"), None, &[]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    let spec = format!("junit:{}", dir.path().join("missing.xml").display());
    let error = read_given(&spec, &[]).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot read the evidence file "),
        "{error}"
    );
}

#[test]
fn an_unknown_kind_is_an_error_that_lists_the_kinds() {
    let error = read_given("foo:/tmp/x.xml", &[]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let message = error.to_string();
    assert!(message.contains("unknown evidence kind `foo`"), "{message}");
    assert!(message.contains(&evidence_kinds()), "{message}");
    let error = read_given("merge-request:mr.json", &[]).unwrap_err();
    assert!(error.to_string().contains("`merge-request`"), "{error}");
}

#[test]
fn a_colon_in_a_path_is_not_a_kind() {
    let dir = tempfile::tempdir().unwrap();
    let c = "b".repeat(40);
    // Text before the colon with a `/` or an upper-case letter is a path.
    let path = dir.path().join("approvals:v2.txt");
    write_file(&path, format!("ana {c}\n").as_bytes());
    let given = read_given(path.to_str().unwrap(), &[]).unwrap();
    assert_eq!(given.declared, None);
    assert_eq!(given.read.unwrap().kind, EvidenceKind::Approvals);
    // A file whose whole name looks like `kind:path` is read as that file.
    let name = format!("approvalz:read-path-test-{}.txt", std::process::id());
    let _remove = Remove(Path::new(&name));
    write_file(Path::new(&name), format!("bo {c}\n").as_bytes());
    let given = read_given(&name, &[]).unwrap();
    assert_eq!(given.source, name);
    assert_eq!(given.read.unwrap().kind, EvidenceKind::Approvals);
}

/// Removes a file when dropped.
struct Remove<'a>(&'a Path);

impl Drop for Remove<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}

/// The file the memory test's child reads.
const BIG_FILE: &str = "PALISADE_TEST_BIG_EVIDENCE";

/// Reading a JUnit file many times larger than the memory it may take: in a
/// child process, so that its peak resident memory is the reading's alone.
#[cfg(target_os = "linux")]
#[test]
fn a_large_junit_file_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xml");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let output = "x".repeat(16 << 10);
    writeln!(
        out,
        "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"big\">"
    )
    .unwrap();
    let cases = 8_000u64;
    for i in 0..cases {
        let failure = if i % 1000 == 0 {
            "<failure message=\"boom\"/>"
        } else {
            ""
        };
        writeln!(
            out,
            "<testcase classname=\"big\" name=\"case_{i}\">{failure}<system-out>{output}</system-out></testcase>"
        )
        .unwrap();
    }
    writeln!(out, "</testsuite></testsuites>").unwrap();
    out.flush().unwrap();
    drop(out);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 120 << 20, "{size} bytes");

    // The test's name in this binary: its module path without the crate.
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    let child_test = format!("{module}::read_the_big_file");
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            child_test.as_str(),
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(BIG_FILE, &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&child.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("read: ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("the child said nothing of its reading: {stdout}"));
    let fields: Vec<u64> = line.split(' ').map(|f| f.parse().unwrap()).collect();
    let [tests, failures, peak_kib] = fields[..] else {
        panic!("{line}")
    };
    assert_eq!((tests, failures), (cases, cases / 1000));
    // The file is over 120 MiB; reading it whole would take at least that.
    assert!(
        peak_kib < 64 << 10,
        "reading {} MiB took {} MiB at its peak",
        size >> 20,
        peak_kib >> 10
    );
}

/// The child of [`a_large_junit_file_is_read_in_bounded_memory`]: reads the file
/// as `--evidence` does and prints the counts and its peak resident memory.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "run by a_large_junit_file_is_read_in_bounded_memory"]
fn read_the_big_file() {
    let Some(path) = std::env::var_os(BIG_FILE) else {
        return;
    };
    let given = read_given(path.to_str().unwrap(), &[]).unwrap();
    let evidence = given.read.unwrap();
    assert_eq!(given.digest, evidence.digest);
    let t = tests_of(&evidence);
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .unwrap()
        .trim()
        .parse::<u64>()
        .unwrap();
    println!("read: {} {} {peak}", t.tests, t.failures);
}
