//! `make install` into a temporary prefix, then the C example built with nothing
//! but `pkg-config --cflags --libs qcos` (and the C++ example the same way), run
//! against qcos-server; then the static link: the C example linked with the
//! installed `libqcos.a` depends on no shared library beyond the C library. Prints
//! the stripped sizes of the static example and of `libqcos.so`.
//!
//! This is the suite's one release build (`make install` runs `cargo rustc
//! --profile release` in the shared target directory; later runs reuse it).
//! Needs make, pkg-config, cc, c++, readelf and strip: a missing tool fails the test
//! with the package to install (`apt-get install pkg-config`, ...).

mod common;
mod native;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use native::*;

fn soname_for(version: &str) -> String {
    let mut parts = version.split('.');
    let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
    if major == "0" {
        format!("libqcos.so.0.{minor}")
    } else {
        format!("libqcos.so.{major}")
    }
}

fn needed(elf: &Path) -> BTreeSet<String> {
    let out = Command::new("readelf")
        .arg("-d")
        .arg(elf)
        .output()
        .expect("run readelf");
    assert!(out.status.success(), "readelf -d {}", elf.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split('[').nth(1)?.trim_end_matches(']').to_string()))
        .collect()
}

fn pkg_config(prefix: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new("pkg-config")
        .args(args)
        .arg("qcos")
        .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
        .env_remove("PKG_CONFIG_LIBDIR")
        .env_remove("PKG_CONFIG_SYSROOT_DIR")
        .output()
        .expect("run pkg-config");
    assert!(
        out.status.success(),
        "pkg-config {args:?} qcos failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn compile(compiler: &str, args: &[String], what: &str) {
    let out = Command::new(compiler)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {compiler} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stripped_size(file: &Path, dir: &Path) -> u64 {
    let out = dir.join(format!(
        "{}.stripped",
        file.file_name().unwrap().to_string_lossy()
    ));
    let st = Command::new("strip")
        .arg("-o")
        .arg(&out)
        .arg(file)
        .status()
        .expect("run strip");
    assert!(st.success(), "strip {}", file.display());
    std::fs::metadata(&out).unwrap().len()
}

fn run_example(exe: &Path, server: &TestServer, bucket: &str, lib_dir: Option<&Path>) -> String {
    let mut cmd = Command::new(exe);
    isolate(&mut cmd, &cos_env(server, bucket));
    match lib_dir {
        Some(d) => cmd.env("LD_LIBRARY_PATH", d),
        None => cmd.env_remove("LD_LIBRARY_PATH"),
    };
    let out = run_with_deadline(&mut cmd, Duration::from_secs(120));
    assert_success(&exe.display().to_string(), &out);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("verified"), "{stdout}");
    stdout
}

#[test]
fn make_install_then_pkg_config_and_static_link() {
    for (tool, hint) in [
        ("make", "install it with `apt-get install make`"),
        ("pkg-config", "install it with `apt-get install pkg-config`"),
        ("readelf", "install binutils (`apt-get install binutils`)"),
        ("strip", "install binutils (`apt-get install binutils`)"),
    ] {
        if !have_tool(
            tool,
            "--version",
            hint,
            "the make install / pkg-config test",
        ) {
            return;
        }
    }

    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().join("prefix");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(manifest_dir())
        .arg("install")
        .arg(format!("PREFIX={}", prefix.display()))
        .arg(format!("CARGO={cargo}"))
        .env("CARGO_TARGET_DIR", common::pyenv::target_dir());
    let out = run_with_deadline(&mut make, Duration::from_secs(1800));
    assert_success("make install", &out);

    // What was installed.
    let version = env!("CARGO_PKG_VERSION");
    let soname = soname_for(version);
    let lib = prefix.join("lib");
    let real = lib.join(format!("libqcos.so.{version}"));
    for f in [
        lib.join("libqcos.a"),
        real.clone(),
        prefix.join("include/qcos.h"),
        prefix.join("include/qcos.hpp"),
        lib.join("pkgconfig/qcos.pc"),
    ] {
        assert!(f.is_file(), "{} not installed", f.display());
    }
    assert_eq!(
        std::fs::read_link(lib.join(&soname)).unwrap(),
        PathBuf::from(format!("libqcos.so.{version}"))
    );
    assert_eq!(
        std::fs::read_link(lib.join("libqcos.so")).unwrap(),
        PathBuf::from(&soname)
    );
    let dynamic = String::from_utf8_lossy(
        &Command::new("readelf")
            .arg("-d")
            .arg(&real)
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    assert!(
        dynamic.contains(&format!("Library soname: [{soname}]")),
        "no SONAME {soname} in:\n{dynamic}"
    );
    assert_eq!(
        pkg_config(&prefix, &["--modversion"]),
        vec![version.to_string()]
    );

    let server = start_server(true);
    let build = tmp.path().join("build");
    std::fs::create_dir(&build).unwrap();
    let flags = pkg_config(&prefix, &["--cflags", "--libs"]);

    // 1. The C example, with nothing but pkg-config's flags: links libqcos.so by soname.
    let c_dyn = build.join("quickstart-c");
    let mut args = vec![
        "-std=c11".to_string(),
        "-Wall".into(),
        "-Wextra".into(),
        "-Werror".into(),
        manifest_dir()
            .join("examples/c/quickstart.c")
            .display()
            .to_string(),
    ];
    args.extend(flags.iter().cloned());
    args.extend(["-o".into(), c_dyn.display().to_string()]);
    compile("cc", &args, "the C example with pkg-config");
    assert!(
        needed(&c_dyn).contains(&soname),
        "{:?} lacks {soname}",
        needed(&c_dyn)
    );
    run_example(&c_dyn, &server, "installc-1250000000", Some(&lib));

    // 2. The C++ example the same way, with the installed qcos.hpp.
    let cpp_dyn = build.join("quickstart-cpp");
    let mut args = vec![
        "-std=c++17".to_string(),
        "-Wall".into(),
        "-Wextra".into(),
        "-Werror".into(),
        manifest_dir()
            .join("examples/cpp/quickstart.cpp")
            .display()
            .to_string(),
    ];
    args.extend(flags.iter().cloned());
    args.extend(["-o".into(), cpp_dyn.display().to_string()]);
    compile("c++", &args, "the C++ example with pkg-config");
    run_example(&cpp_dyn, &server, "installcpp-1250000000", Some(&lib));

    // 3. Static: the installed archive plus pkg-config's private libraries, the
    //    unwinder from libgcc_eh (-static-libgcc), unused sections dropped.
    let c_static = build.join("quickstart-static");
    let mut args = vec!["-std=c11".to_string(), "-O2".into()];
    args.extend(pkg_config(&prefix, &["--cflags"]));
    args.push(
        manifest_dir()
            .join("examples/c/quickstart.c")
            .display()
            .to_string(),
    );
    args.push(lib.join("libqcos.a").display().to_string());
    args.extend(
        pkg_config(&prefix, &["--static", "--libs-only-l"])
            .into_iter()
            .filter(|l| l != "-lqcos"),
    );
    args.extend([
        "-static-libgcc".into(),
        "-Wl,--gc-sections".into(),
        "-Wl,--as-needed".into(),
        "-o".into(),
        c_static.display().to_string(),
    ]);
    compile("cc", &args, "the static C example");
    let deps = needed(&c_static);
    let beyond_libc: Vec<&String> = deps
        .iter()
        .filter(|d| !d.starts_with("libc.so") && !d.starts_with("ld-linux"))
        .collect();
    assert!(
        beyond_libc.is_empty(),
        "the statically linked example needs more than the C library: {deps:?}"
    );
    run_example(&c_static, &server, "installstatic-1250000000", None);

    let static_size = stripped_size(&c_static, &build);
    let so_size = stripped_size(&real, &build);
    eprintln!(
        "stripped sizes: static C example {static_size} bytes ({:.2} MiB), libqcos.so {so_size} bytes ({:.2} MiB)",
        static_size as f64 / 1048576.0,
        so_size as f64 / 1048576.0
    );
    // Keep them small: rustls + ring + the COS client fit in a few MiB.
    const LIMIT: u64 = 8 << 20;
    assert!(
        static_size < LIMIT,
        "static example grew to {static_size} bytes"
    );
    assert!(so_size < LIMIT, "libqcos.so grew to {so_size} bytes");

    // Uninstall removes everything it installed.
    let out = Command::new("make")
        .arg("-C")
        .arg(manifest_dir())
        .arg("uninstall")
        .arg(format!("PREFIX={}", prefix.display()))
        .output()
        .unwrap();
    assert_success("make uninstall", &out);
    assert!(!lib.join("libqcos.a").exists() && !lib.join("libqcos.so").exists());
    assert!(!prefix.join("include/qcos.h").exists());
}
