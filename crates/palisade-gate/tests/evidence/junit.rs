//! JUnit XML from pytest, cargo-nextest and jest-junit run here, Surefire's schema,
//! and broken, truncated and very large files.

use std::io::{BufReader, Write as _};
use std::process::Command;

use palisade_gate::evidence::{EvidenceKind, junit};
use proptest::prelude::*;

use super::{assert_names_place, read, run, tests_of, write};

fn junit(bytes: &[u8]) -> palisade_gate::evidence::Evidence {
    read(Some(EvidenceKind::Junit), bytes)
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(bytes)))
}

#[test]
fn pytest_results_are_counted_from_their_cases() {
    let Some(python) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "test_sample.py",
        "import pytest\n\
         def test_passes(): assert True\n\
         def test_fails(): assert 1 == 2\n\
         @pytest.mark.skip(reason='not today')\n\
         def test_skipped(): pass\n\
         @pytest.fixture\n\
         def broken(): raise RuntimeError('setup')\n\
         def test_errors(broken): pass\n",
    );
    run(Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--junitxml=junit.xml",
        ])
        .arg("test_sample.py")
        .current_dir(dir.path()));
    let bytes = std::fs::read(dir.path().join("junit.xml")).expect("pytest wrote junit.xml");
    let evidence = junit(&bytes);
    let t = tests_of(&evidence);
    assert_eq!(
        (t.tests, t.failures, t.errors, t.skipped),
        (3, 1, 1, 1),
        "{t:?}"
    );
    assert_eq!(
        t.failing,
        ["test_sample::test_fails", "test_sample::test_errors"]
    );
    assert!(t.notes.is_empty(), "pytest's counts agree: {:?}", t.notes);
    assert_eq!(evidence.commit, None);
}

#[test]
fn cargo_nextest_results_count_flaky_tests_as_passed() {
    let nextest = std::path::Path::new("/usr/local/bin/cargo-nextest");
    let on_path = Command::new("cargo")
        .args(["nextest", "--version"])
        .output();
    if !nextest.exists() && !on_path.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping: cargo-nextest is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"sample\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    // `flaky` fails on its first try only: the marker file outlives the try.
    write(
        root,
        "src/lib.rs",
        "#[cfg(test)]\nmod tests {\n\
         #[test] fn passes() {}\n\
         #[test] fn fails() { assert_eq!(1, 2); }\n\
         #[test] #[ignore] fn ignored() {}\n\
         #[test] fn flaky() {\n\
             let marker = std::path::Path::new(env!(\"CARGO_MANIFEST_DIR\")).join(\"tried\");\n\
             if !marker.exists() { std::fs::write(&marker, \"\").unwrap(); panic!(\"first try\"); }\n\
         }\n}\n",
    );
    write(
        root,
        ".config/nextest.toml",
        "[profile.default]\nretries = 1\n\n[profile.default.junit]\npath = \"junit.xml\"\n",
    );
    run(Command::new("cargo")
        .args(["nextest", "run", "--offline", "--no-fail-fast"])
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env_remove("RUSTFLAGS")
        .current_dir(root));
    let bytes = std::fs::read(root.join("target/nextest/default/junit.xml"))
        .expect("nextest wrote junit.xml");
    let evidence = junit(&bytes);
    let t = tests_of(&evidence);
    // nextest does not list the ignored test.
    assert_eq!(
        (t.tests, t.failures, t.errors, t.skipped),
        (3, 1, 0, 0),
        "{t:?}"
    );
    assert_eq!(t.flaky, 1, "{t:?}");
    assert_eq!(t.failing, ["sample::tests::fails"]);
    assert!(t.notes.is_empty(), "nextest's counts agree: {:?}", t.notes);
}

#[test]
fn jest_junit_results_are_counted_from_their_cases() {
    let Some(modules) = palisade_test_support::tool("PALISADE_TEST_NODE_MODULES") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "package.json",
        "{\"name\": \"sample\", \"private\": true}\n",
    );
    write(
        root,
        "sum.test.js",
        "test('adds', () => { expect(1 + 1).toBe(2); });\n\
         test('fails', () => { expect(1 + 1).toBe(3); });\n\
         test.skip('skipped', () => {});\n\
         test.todo('later');\n\
         describe('group', () => { test('nested', () => {}); });\n",
    );
    run(Command::new("node")
        .arg(modules.join("jest/bin/jest.js"))
        .args(["--rootDir", ".", "--ci", "--reporters=default"])
        .arg(format!(
            "--reporters={}",
            modules.join("jest-junit").display()
        ))
        .env("NODE_PATH", &modules)
        .env("JEST_JUNIT_OUTPUT_DIR", root)
        .current_dir(root));
    let bytes = std::fs::read(root.join("junit.xml")).expect("jest-junit wrote junit.xml");
    let evidence = junit(&bytes);
    let t = tests_of(&evidence);
    // jest-junit writes the todo as a case without a result, so it counts as
    // passed; the suite's tests=4 is its five cases without the skipped one.
    assert_eq!(
        (t.tests, t.failures, t.errors, t.skipped),
        (4, 1, 0, 1),
        "{t:?}"
    );
    assert_eq!(t.failing, ["fails"]);
    assert!(
        t.notes.is_empty(),
        "jest-junit's counts agree: {:?}",
        t.notes
    );
}

/// A report as Surefire writes one: a lone `<testsuite>` following
/// `surefire-test-report.xsd` (properties first, then cases with `failure`,
/// `rerunFailure`, `flakyFailure`, `flakyError`, `skipped` and `error`).
const SUREFIRE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd" version="3.0" name="com.example.billing.InvoiceTest" time="1.204" tests="6" errors="1" skipped="1" failures="1">
  <properties>
    <property name="java.version" value="21.0.2"/>
    <property name="vcs.revision" value="9FCEB02D0AE598E95DC970B74767F19372D61AF8"/>
    <property name="user.dir" value="/builds/billing"/>
  </properties>
  <testcase name="totalsAddUp" classname="com.example.billing.InvoiceTest" time="0.012"/>
  <testcase name="roundsHalfEven" classname="com.example.billing.InvoiceTest" time="0.031">
    <failure message="expected: &lt;10.00&gt; but was: &lt;10.01&gt;" type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: expected: <10.00> but was: <10.01>
	at com.example.billing.InvoiceTest.roundsHalfEven(InvoiceTest.java:41)]]></failure>
    <rerunFailure message="expected: &lt;10.00&gt; but was: &lt;10.01&gt;" type="org.opentest4j.AssertionFailedError">
      <stackTrace><![CDATA[org.opentest4j.AssertionFailedError: expected: <10.00> but was: <10.01>]]></stackTrace>
    </rerunFailure>
  </testcase>
  <testcase name="retriesTheLedger" classname="com.example.billing.InvoiceTest" time="0.300">
    <flakyFailure message="timed out" type="java.util.concurrent.TimeoutException">
      <stackTrace><![CDATA[java.util.concurrent.TimeoutException: timed out]]></stackTrace>
      <system-out><![CDATA[first try]]></system-out>
    </flakyFailure>
  </testcase>
  <testcase name="reconnects" classname="com.example.billing.InvoiceTest" time="0.100">
    <flakyError message="connection reset" type="java.net.SocketException">
      <stackTrace><![CDATA[java.net.SocketException: connection reset]]></stackTrace>
    </flakyError>
  </testcase>
  <testcase name="exportsPdf" classname="com.example.billing.InvoiceTest" time="0">
    <skipped message="needs a font"/>
  </testcase>
  <testcase name="loadsRates" classname="com.example.billing.InvoiceTest" time="0.002">
    <error message="rates.csv" type="java.io.FileNotFoundException"><![CDATA[java.io.FileNotFoundException: rates.csv]]></error>
    <system-out><![CDATA[loading rates]]></system-out>
  </testcase>
</testsuite>
"#;

#[test]
fn surefire_reports_count_reruns_and_flakes_and_name_their_commit() {
    let evidence = junit(SUREFIRE.as_bytes());
    let t = tests_of(&evidence);
    assert_eq!(
        (t.tests, t.failures, t.errors, t.skipped),
        (5, 1, 1, 1),
        "{t:?}"
    );
    assert_eq!(t.flaky, 2);
    assert_eq!(
        t.failing,
        [
            "com.example.billing.InvoiceTest::roundsHalfEven",
            "com.example.billing.InvoiceTest::loadsRates"
        ]
    );
    assert!(t.notes.is_empty(), "{:?}", t.notes);
    assert_eq!(
        evidence.commit.as_deref(),
        Some("9fceb02d0ae598e95dc970b74767f19372d61af8")
    );
    assert_eq!(
        evidence.digest,
        palisade_gate::evidence::digest(SUREFIRE.as_bytes())
    );
}

#[test]
fn nested_suites_add_up_and_a_wrong_total_is_noted_not_believed() {
    let xml = br#"<testsuites tests="9" failures="0">
  <testsuite name="outer" tests="3" failures="1">
    <testsuite name="inner" tests="2" failures="1">
      <testcase name="a"/><testcase name="b"><failure/></testcase>
    </testsuite>
    <testcase name="c"/>
  </testsuite>
</testsuites>"#;
    let t = tests_of(&junit(xml)).clone();
    assert_eq!((t.tests, t.failures), (3, 1));
    assert_eq!(t.failing, ["inner::b"]);
    assert_eq!(
        t.notes,
        [
            "the suite at line 1 declares tests=9 but its cases say 3, failures=0 but its cases say 1"
        ]
    );
}

#[test]
fn commit_properties_must_be_whole_and_agree() {
    let short = br#"<testsuite><properties><property name="git_commit" value="9fceb02"/></properties></testsuite>"#;
    let error = read(Some(EvidenceKind::Junit), short).unwrap_err();
    assert!(error.message.starts_with("line 1 (byte "), "{error}");
    assert!(error.message.contains("not a full commit id"), "{error}");

    let two = format!(
        "<testsuites>\n<properties><property name=\"commit\" value=\"{}\"/></properties>\n\
         <testsuite><properties><property name=\"commit\" value=\"{}\"/></properties></testsuite>\n</testsuites>",
        "a".repeat(40),
        "b".repeat(40)
    );
    let error = read(Some(EvidenceKind::Junit), two.as_bytes()).unwrap_err();
    assert!(error.message.starts_with("line 3 "), "{error}");
    assert!(error.message.contains("line 2 says"), "{error}");
}

#[test]
fn malformed_xml_is_an_error_at_its_line() {
    let cases: &[(&[u8], &str, &str)] = &[
        (
            b"<testsuites>\n  <testsuite>\n  </testsuites>",
            "line 3 ",
            "malformed XML",
        ),
        (
            b"<testsuites>\n<testsuite name=\"a\">\n<testcase name=\"x\">",
            "line 3 ",
            "truncated",
        ),
        (
            b"<testsuite>\n<testcase name=\"x\" name=\"y\"/>\n</testsuite>",
            "line 2 ",
            "attribute",
        ),
        (b"<html><body/></html>", "line 1 ", "not JUnit XML"),
        (b"<testsuite/>\n<testsuite/>", "line 2 ", "second root"),
        (b"", "line 1 ", "empty"),
        (
            b"<testsuite>\n<testcase name=\"&bogus;\"/>\n</testsuite>",
            "line 2 ",
            "attribute name",
        ),
        (
            b"<testsuite>\n</testsuite>\ntrailing",
            "line 2 ",
            "outside the root",
        ),
    ];
    for (xml, line, what) in cases {
        let error = read(Some(EvidenceKind::Junit), xml).unwrap_err();
        assert!(
            error.message.starts_with(line) && error.message.contains(what),
            "{:?}: {error}",
            String::from_utf8_lossy(xml)
        );
    }
}

/// A JUnit file of `cases` cases, every hundredth failing and every 250th skipped,
/// each with a line of captured output.
fn large_junit(out: &mut impl std::io::Write, cases: u64) {
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>").unwrap();
    writeln!(out, "<testsuites>\n<testsuite name=\"big\">").unwrap();
    for i in 0..cases {
        write!(
            out,
            "<testcase classname=\"big.Module{}\" name=\"case_{i}\" time=\"0.001\">",
            i % 97
        )
        .unwrap();
        if i % 100 == 0 {
            write!(
                out,
                "<failure message=\"boom\">assertion failed at step {i}</failure>"
            )
            .unwrap();
        } else if i % 250 == 1 {
            write!(out, "<skipped/>").unwrap();
        }
        writeln!(out, "<system-out>captured output of case {i}, a line long enough to weigh</system-out></testcase>").unwrap();
    }
    writeln!(out, "</testsuite>\n</testsuites>").unwrap();
}

#[test]
fn a_fifty_megabyte_file_streams_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xml");
    let cases = 320_000;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    large_junit(&mut file, cases);
    file.flush().unwrap();
    drop(file);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 50_000_000, "{size} bytes");
    let input = BufReader::new(std::fs::File::open(&path).unwrap());
    let evidence = junit::read_from("big.xml", input).unwrap();
    let t = tests_of(&evidence);
    assert_eq!(t.failures, cases.div_ceil(100));
    assert_eq!(
        t.skipped,
        (0..cases).filter(|i| i % 250 == 1).count() as u64
    );
    assert_eq!(t.tests, cases - t.skipped);
    assert_eq!(t.failing.len(), palisade_gate::evidence::LISTED);
    // Streaming digests the same bytes a caller holding the whole file would.
    assert_eq!(
        evidence.digest,
        palisade_gate::evidence::digest(&std::fs::read(&path).unwrap())
    );
}

/// Reads the file `PALISADE_JUNIT_FILE` names, for measuring by hand:
/// `PALISADE_JUNIT_FILE=big.xml /usr/bin/time -v target/debug/deps/evidence-* --ignored --exact junit::read_a_file_by_hand`.
#[test]
#[ignore = "measures a file made by hand"]
fn read_a_file_by_hand() {
    let Some(path) = std::env::var_os("PALISADE_JUNIT_FILE") else {
        return;
    };
    if std::env::var_os("PALISADE_JUNIT_WRITE").is_some() {
        let cases: u64 = std::env::var("PALISADE_JUNIT_WRITE")
            .unwrap()
            .parse()
            .unwrap();
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        large_junit(&mut file, cases);
        file.flush().unwrap();
        return;
    }
    let start = std::time::Instant::now();
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(&path).unwrap());
    let evidence = junit::read_from("by-hand", input).unwrap();
    eprintln!("{:?} in {:.2?}", tests_of(&evidence), start.elapsed());
}

#[test]
fn one_giant_text_is_refused_rather_than_buffered() {
    let mut xml = b"<testsuite><testcase name=\"a\"><system-out>".to_vec();
    xml.resize(xml.len() + junit::MAX_EVENT as usize + (1 << 20), b'x');
    xml.extend_from_slice(b"</system-out></testcase></testsuite>");
    let error = read(Some(EvidenceKind::Junit), &xml).unwrap_err();
    assert!(error.message.contains("longer than 64 MiB"), "{error}");
    assert_names_place(&error);
}

#[test]
fn deep_nesting_is_refused() {
    let xml = format!("<testsuite>{}", "<a>".repeat(junit::MAX_DEPTH + 5));
    let error = read(Some(EvidenceKind::Junit), xml.as_bytes()).unwrap_err();
    assert!(error.message.contains("nested deeper"), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = read(Some(EvidenceKind::Junit), &bytes) {
            assert_names_place(&e);
        }
    }

    #[test]
    fn truncated_reports_are_errors_that_name_a_place(cut in 0..SUREFIRE.trim_end().len()) {
        let bytes = &SUREFIRE.as_bytes()[..cut];
        let error = read(Some(EvidenceKind::Junit), bytes).unwrap_err();
        assert_names_place(&error);
    }

    #[test]
    fn mutated_reports_never_panic(at in 0..SUREFIRE.len(), byte in any::<u8>()) {
        let mut bytes = SUREFIRE.as_bytes().to_vec();
        bytes[at] = byte;
        if let Err(e) = read(Some(EvidenceKind::Junit), &bytes) {
            assert_names_place(&e);
        }
    }
}
