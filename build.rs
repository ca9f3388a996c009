//! Generates the C header with cbindgen into `OUT_DIR/qcos.h` (build scripts must not
//! write into the source tree). `include/qcos.h` is the committed copy: the test
//! `tests/header.rs` compares the two and, with `QCOS_UPDATE_HEADER=1`, refreshes it.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("qcos.h");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let v = |name: &str| -> u32 {
        env::var(name)
            .expect(name)
            .parse()
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let (major, minor, patch) = (
        v("CARGO_PKG_VERSION_MAJOR"),
        v("CARGO_PKG_VERSION_MINOR"),
        v("CARGO_PKG_VERSION_PATCH"),
    );
    config.after_includes = Some(format!(
        "\n/* The version of this header; compare with qcos_version_number() at run time. */\n\
         #define QCOS_VERSION \"{version}\"\n\
         #define QCOS_VERSION_MAJOR {major}\n\
         #define QCOS_VERSION_MINOR {minor}\n\
         #define QCOS_VERSION_PATCH {patch}\n\
         /* QCOS_VERSION_MAJOR * 1000000 + QCOS_VERSION_MINOR * 1000 + QCOS_VERSION_PATCH */\n\
         #define QCOS_VERSION_NUMBER {number}\n",
        version = env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION"),
        number = major * 1_000_000 + minor * 1_000 + patch,
    ));

    match cbindgen::Builder::new()
        // Parse src/lib.rs and the modules it declares, without running `cargo
        // metadata` from inside the build.
        .with_src(crate_dir.join("src/lib.rs"))
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(&out);
        }
        Err(e) => panic!("cbindgen could not generate the C header: {e}"),
    }
}
