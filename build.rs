//! Link-time settings of the cdylib.
//!
//! ELF targets are linked with `-z nodelete`: `dlclose` (an `unload()`) then keeps the code
//! mapped. Rust's std registers per-thread destructors on threads it runs on, including the
//! host's threads (koffi's workers, Deno's, Node's main thread) once a call spawns threads or
//! reads `thread::current()`; those destructors run when the host thread exits, possibly long
//! after an unload, and would jump into unmapped code. Unload still frees every object the
//! library made; only the code pages stay.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = matches!(
        os.as_str(),
        "linux"
            | "android"
            | "freebsd"
            | "netbsd"
            | "openbsd"
            | "dragonfly"
            | "illumos"
            | "solaris"
    );
    if elf {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
