//! Records and unions by value, for test/engines/deno-ffi-engine.ts (compiled by
//! deno-engine.test.ts with rustc). Each shape exercises one classification rule of the C ABI.
#![allow(clippy::missing_safety_doc)]

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Floats2 {
    a: f32,
    b: f32,
}

/// Integer and double over the same eightbyte: INTEGER on x86-64, not an HFA on AArch64.
#[repr(C)]
#[derive(Clone, Copy)]
pub union WideOrDouble {
    d: f64,
    i: i64,
}

/// Floats only, one type: SSE on x86-64, an HFA of two floats on AArch64.
#[repr(C)]
#[derive(Clone, Copy)]
pub union FloatPair {
    f: [f32; 2],
    g: f32,
}

/// An array inside a struct, and padding.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Packed {
    c: i8,
    arr: [u8; 3],
    s: i16,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Nested {
    x: f64,
    u: WideOrDouble,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Tagged {
    x: f32,
    tag: i32,
}

/// A float and an int in one eightbyte, overlapped by a double.
#[repr(C)]
#[derive(Clone, Copy)]
pub union Mixed {
    s: Tagged,
    d: f64,
}

#[unsafe(no_mangle)]
pub extern "C" fn floats2_make(a: f32, b: f32) -> Floats2 {
    Floats2 { a, b }
}

#[unsafe(no_mangle)]
pub extern "C" fn floats2_sum(v: Floats2) -> f32 {
    v.a + v.b
}

#[unsafe(no_mangle)]
pub extern "C" fn wide_or_double_get(u: WideOrDouble) -> i64 {
    unsafe { u.i }
}

#[unsafe(no_mangle)]
pub extern "C" fn wide_or_double_make(i: i64) -> WideOrDouble {
    WideOrDouble { i }
}

#[unsafe(no_mangle)]
pub extern "C" fn float_pair_sum(u: FloatPair) -> f32 {
    unsafe { u.f[0] + u.f[1] }
}

#[unsafe(no_mangle)]
pub extern "C" fn float_pair_make(a: f32, b: f32) -> FloatPair {
    FloatPair { f: [a, b] }
}

#[unsafe(no_mangle)]
pub extern "C" fn packed_sum(p: Packed) -> i32 {
    p.c as i32 + p.arr.iter().map(|&b| b as i32).sum::<i32>() + p.s as i32
}

#[unsafe(no_mangle)]
pub extern "C" fn nested_sum(n: Nested) -> f64 {
    n.x + unsafe { n.u.i } as f64
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mixed_x(m: Mixed, tag: *mut i32) -> f32 {
    unsafe {
        *tag = m.s.tag;
        m.s.x
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn mixed_make(x: f32, tag: i32) -> Mixed {
    Mixed { s: Tagged { x, tag } }
}

/// Calls `f` with a struct and a union by value.
#[unsafe(no_mangle)]
pub extern "C" fn records_to_callback(f: extern "C" fn(Packed, WideOrDouble) -> i32) -> i32 {
    f(Packed { c: 1, arr: [2, 3, 4], s: 5 }, WideOrDouble { i: 6 })
}

/// Calls `f` and returns the struct it returns, doubled.
#[unsafe(no_mangle)]
pub extern "C" fn record_from_callback(f: extern "C" fn(f32) -> Floats2) -> Floats2 {
    let v = f(1.5);
    Floats2 { a: v.a * 2.0, b: v.b * 2.0 }
}

extern "C" fn private_add(a: i32, b: i32) -> i32 {
    a + b
}

/// A function that no file exports: bindAddress cannot name it.
#[unsafe(no_mangle)]
pub extern "C" fn private_adder() -> extern "C" fn(i32, i32) -> i32 {
    private_add
}
