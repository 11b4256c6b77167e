//! The `edgestate-lsm` command-line tool, run as a user would.

use std::io::Write;
use std::process::{Command, Stdio};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn cli(
    args: &[&str],
    stdin: Option<&str>,
) -> Result<(bool, String, String), Box<dyn std::error::Error>> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_edgestate-lsm"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())?;
    }
    drop(child.stdin.take());
    let out = child.wait_with_output()?;
    Ok((
        out.status.success(),
        String::from_utf8(out.stdout)?,
        String::from_utf8(out.stderr)?,
    ))
}

#[test]
fn put_get_delete_scan_load_verify_and_dump_sst_work_from_the_command_line() -> TestResult {
    let dir = std::env::temp_dir().join(format!("edgestate-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = format!("--db={}", dir.display());
    assert!(cli(&[&db, "put", "alpha", "1"], None)?.0);
    assert_eq!(cli(&[&db, "get", "alpha"], None)?.1, "1\n");
    let lines: String = (0..1000).map(|i| format!("k{i:04}\tv{i}\n")).collect();
    let (ok, out, _) = cli(&[&db, "load"], Some(&lines))?;
    assert!(ok && out.contains("loaded 1000 entries"), "{out}");
    assert!(cli(&[&db, "delete", "k0001"], None)?.0);
    let (_, scan, _) = cli(&[&db, "scan", "--from=k0000", "--to=k0003"], None)?;
    assert_eq!(scan, "k0000\tv0\nk0002\tv2\n");
    let (_, hex, _) = cli(&[&db, "--hex", "scan", "--from=616C", "--to=616D"], None)?;
    assert_eq!(hex, "616C706861\t31\n");
    let (ok, verify, _) = cli(&[&db, "verify"], None)?;
    assert!(ok && verify.starts_with("OK: "), "{verify}");
    let sst = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sst"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .ok_or("load should have flushed a table")?;
    let (ok, dump, _) = cli(&["dump-sst", &sst.display().to_string()], None)?;
    assert!(
        ok && dump.lines().count() >= 1000,
        "{}",
        dump.lines().count()
    );
    let (ok, _, err) = cli(&[&db, "get", "missing"], None)?;
    assert!(!ok && err.contains("NotFound"));
    let (ok, _, err) = cli(&[&db, "frobnicate"], None)?;
    assert!(!ok && err.contains("usage"));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
