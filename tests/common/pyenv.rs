//! A Python virtual environment holding the official COS Python SDK
//! (`cos-python-sdk-v5`, pinned), for the interop tests.
//!
//! The venv lives in `<target>/interop-venv` and is created once: the first test that
//! needs it takes a lock (`<target>/interop-venv.lock`, made with `create_dir`, which is
//! atomic), builds the venv with `python3 -m venv` + `pip install`, and writes a marker
//! file (`qcos-interop-ready`, written to a temporary name and renamed) as the last step.
//! Other test binaries running at the same time wait on the lock and then find the
//! marker. A lock left by a killed process is detected (its owner pid is gone) and
//! broken; a venv without the marker is half-built and is rebuilt.
//!
//! If the SDK cannot be installed (no `python3`, no `venv` module, no network to PyPI)
//! the tests that need it FAIL with a message saying so; they never skip.
//!
//! Environment: `QCOS_PYTHON` overrides the base interpreter (default `python3`), and
//! pip's own variables (`PIP_INDEX_URL`, proxies, ...) apply to the install.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// The official SDK package on PyPI and the exact version the interop tests pin.
pub const SDK_PACKAGE: &str = "cos-python-sdk-v5";
pub const SDK_VERSION: &str = "1.9.44";

const READY_MARKER: &str = "qcos-interop-ready";
/// How long a test waits for another process that is building the venv.
const LOCK_WAIT: Duration = Duration::from_secs(20 * 60);

/// The Cargo target directory of the running test binary.
pub fn target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        let p = PathBuf::from(d);
        if p.is_absolute() {
            return p;
        }
    }
    // A test binary is `<target>/[<triple>/]<profile>/deps/<name>-<hash>`.
    if let Ok(exe) = std::env::current_exe() {
        if let Some(deps) = exe
            .parent()
            .filter(|d| d.file_name().is_some_and(|n| n == "deps"))
        {
            if let Some(target) = deps.parent().and_then(Path::parent) {
                return target.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// Directory of the Python scripts the interop tests run (`tests/interop`).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("interop")
}

/// The venv's interpreter, creating the venv first if needed. Panics (failing the
/// test) with an explanation when it cannot be created.
pub fn venv_python() -> &'static Path {
    static PY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PY.get_or_init(|| ensure_venv(&target_dir().join("interop-venv"))) {
        Ok(p) => p,
        Err(e) => panic!(
            "INTEROP SETUP FAILED: could not provide {SDK_PACKAGE}=={SDK_VERSION} in a venv.\n\
             These tests run the official COS Python SDK for real and need `python3` with the \
             `venv` module and access to PyPI (set QCOS_PYTHON to choose the interpreter).\n{e}"
        ),
    }
}

fn interpreter_in(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

fn marker_text() -> String {
    format!("{SDK_PACKAGE}=={SDK_VERSION}\n")
}

fn is_ready(venv: &Path) -> bool {
    interpreter_in(venv).exists()
        && fs::read_to_string(venv.join(READY_MARKER)).is_ok_and(|s| s == marker_text())
}

fn ensure_venv(venv: &Path) -> Result<PathBuf, String> {
    let py = interpreter_in(venv);
    if is_ready(venv) {
        return Ok(py);
    }
    let parent = venv
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", venv.display()))?;
    fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let _lock = DirLock::acquire(&venv.with_extension("lock"))?;
    if is_ready(venv) {
        // Another process built it while we waited.
        return Ok(py);
    }
    if venv.exists() {
        // Half-built by a process that died: start over.
        fs::remove_dir_all(venv)
            .map_err(|e| format!("cannot remove stale {}: {e}", venv.display()))?;
    }
    let base = std::env::var("QCOS_PYTHON").unwrap_or_else(|_| {
        if cfg!(windows) {
            "python".into()
        } else {
            "python3".into()
        }
    });
    run_setup_step(
        Command::new(&base).arg("-m").arg("venv").arg(venv),
        &format!("`{base} -m venv {}`", venv.display()),
    )?;
    let spec = format!("{SDK_PACKAGE}=={SDK_VERSION}");
    run_setup_step(
        Command::new(&py).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            &spec,
        ]),
        &format!("`pip install {spec}` (from PyPI)"),
    )?;
    let out = run_setup_step(
        Command::new(&py).args([
            "-c",
            "import importlib.metadata as m, qcloud_cos; print(m.version('cos-python-sdk-v5'))",
        ]),
        "importing qcloud_cos in the venv",
    )?;
    let got = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if got != SDK_VERSION {
        return Err(format!(
            "the venv holds {SDK_PACKAGE} {got:?}, expected {SDK_VERSION}"
        ));
    }
    let tmp = venv.join(format!("{READY_MARKER}.tmp"));
    fs::write(&tmp, marker_text())
        .and_then(|()| fs::rename(&tmp, venv.join(READY_MARKER)))
        .map_err(|e| format!("cannot write the ready marker in {}: {e}", venv.display()))?;
    Ok(py)
}

fn run_setup_step(cmd: &mut Command, what: &str) -> Result<Output, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what} could not be started: {e}"))?;
    if out.status.success() {
        return Ok(out);
    }
    Err(format!(
        "{what} failed ({}).\n--- stdout (tail) ---\n{}\n--- stderr (tail) ---\n{}",
        out.status,
        tail(&out.stdout, 40),
        tail(&out.stderr, 40)
    ))
}

fn tail(bytes: &[u8], lines: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

/// A cross-process lock: the directory exists while someone holds it.
struct DirLock {
    path: PathBuf,
}

impl DirLock {
    fn acquire(path: &Path) -> Result<DirLock, String> {
        let started = Instant::now();
        loop {
            match fs::create_dir(path) {
                Ok(()) => {
                    // Best effort: lets waiters detect a holder that died.
                    let _ = fs::write(path.join("owner"), std::process::id().to_string());
                    return Ok(DirLock {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if lock_is_stale(path) {
                        let _ = fs::remove_dir_all(path);
                        continue;
                    }
                    if started.elapsed() > LOCK_WAIT {
                        return Err(format!(
                            "waited {:?} for {} (another test process building the venv); \
                             remove it if no such process is running",
                            LOCK_WAIT,
                            path.display()
                        ));
                    }
                    thread::sleep(Duration::from_millis(250));
                }
                Err(e) => return Err(format!("cannot create lock {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

fn lock_is_stale(path: &Path) -> bool {
    let pid = fs::read_to_string(path.join("owner"))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    match pid {
        // On Linux a live process has /proc/<pid>.
        Some(pid) if Path::new("/proc/self").exists() => {
            !Path::new("/proc").join(pid.to_string()).exists()
        }
        // Owner unknown (not yet written, or no /proc): stale only when very old.
        _ => fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > LOCK_WAIT),
    }
}

/// Run `tests/interop/<script>` with the venv's interpreter, feeding `stdin`, and
/// return its stdout. The child gets no proxy settings (its traffic must stay on
/// loopback). Panics with the script's stderr when it exits non-zero, and kills it
/// after `timeout`.
pub fn run_script(script: &str, args: &[&str], stdin: &[u8], timeout: Duration) -> String {
    let py = venv_python();
    let path = scripts_dir().join(script);
    let mut cmd = Command::new(py);
    cmd.arg(&path).args(args);
    for v in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONNOUSERSITE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} {}: {e}", py.display(), path.display()));

    let mut child_in = child.stdin.take().expect("stdin is piped");
    let input = stdin.to_vec();
    let writer = thread::spawn(move || {
        // A script that exits early closes its stdin; that shows up as its own error.
        let _ = child_in.write_all(&input);
    });
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let out_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for {}: {e}", path.display()),
        }
    };
    let _ = writer.join();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    match status {
        Some(s) if s.success() => String::from_utf8(stdout)
            .unwrap_or_else(|e| panic!("{} wrote non-UTF-8 output: {e}", path.display())),
        Some(s) => panic!(
            "{} failed ({s}).\n--- stdout ---\n{}\n--- stderr ---\n{}",
            path.display(),
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ),
        None => panic!(
            "{} did not finish within {timeout:?} and was killed.\n--- stdout ---\n{}\n--- stderr ---\n{}",
            path.display(),
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ),
    }
}

/// Encode a string as a JSON string literal (for handing inputs to the scripts).
pub fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A venv `<target>/<name>` holding exactly `packages` (pip requirement specs, e.g.
/// `"pytest==8.3.4"`), built once with the same lock and ready-marker protocol as the
/// interop venv. Returns its interpreter, or an explanation of what failed (callers
/// turn it into a test failure, never a skip).
pub fn venv_with_packages(name: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let venv = target_dir().join(name);
    let py = interpreter_in(&venv);
    let marker = format!("{}\n", packages.join("\n"));
    let ready = |v: &Path| {
        interpreter_in(v).exists()
            && fs::read_to_string(v.join(READY_MARKER)).is_ok_and(|s| s == marker)
    };
    if ready(&venv) {
        return Ok(py);
    }
    fs::create_dir_all(target_dir())
        .map_err(|e| format!("cannot create {}: {e}", target_dir().display()))?;
    let _lock = DirLock::acquire(&venv.with_extension("lock"))?;
    if ready(&venv) {
        return Ok(py);
    }
    if venv.exists() {
        fs::remove_dir_all(&venv)
            .map_err(|e| format!("cannot remove stale {}: {e}", venv.display()))?;
    }
    let base = std::env::var("QCOS_PYTHON").unwrap_or_else(|_| "python3".into());
    run_setup_step(
        Command::new(&base).arg("-m").arg("venv").arg(&venv),
        &format!("`{base} -m venv {}`", venv.display()),
    )?;
    let mut pip = Command::new(&py);
    pip.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
    ])
    .args(packages);
    run_setup_step(&mut pip, &format!("`pip install {}`", packages.join(" ")))?;
    let tmp = venv.join(format!("{READY_MARKER}.tmp"));
    fs::write(&tmp, &marker)
        .and_then(|()| fs::rename(&tmp, venv.join(READY_MARKER)))
        .map_err(|e| format!("cannot write the ready marker in {}: {e}", venv.display()))?;
    Ok(py)
}
