/* musl dlopen check: loads the library with musl's dynamic loader and calls its exports.
 * Usage: musl-dlopen <library> <abi-version> <symbol>...  Exit 0 when every check passed.
 * There is no musl Node here, so this small C program stands in for the koffi smoke suite. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint32_t (*abi_fn)(void);
/* MylibTextOut in rustlib/ffi/mod.rs */
typedef struct {
  size_t len;
  uint32_t ascii;
} text_out;
typedef int32_t (*get_result_fn)(const uint8_t *, size_t, uint8_t *, size_t, text_out *, uint8_t *, size_t);
typedef int32_t (*count_fn)(const uint8_t *, size_t, uint64_t *, uint8_t *, size_t);
typedef int32_t (*panic_fn)(const uint8_t *, size_t, uint8_t *, size_t);

static int failures = 0;

static void report(int ok, const char *name, const char *detail) {
  printf("%s %s%s%s\n", ok ? "PASSED" : "FAILED", name, detail[0] ? ": " : "", detail);
  if (!ok) failures++;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <library> <abi-version> <symbol>...\n", argv[0]);
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    report(0, "dlopen", dlerror());
    return 1;
  }
  report(1, "dlopen", argv[1]);
  char detail[1200];
  int missing = 0;
  for (int i = 3; i < argc; i++) {
    if (!dlsym(lib, argv[i])) {
      snprintf(detail, sizeof detail, "missing symbol %s", argv[i]);
      report(0, "dlsym", detail);
      missing++;
    }
  }
  if (!missing) {
    snprintf(detail, sizeof detail, "%d symbols", argc - 3);
    report(1, "dlsym", detail);
  }
  abi_fn abi = (abi_fn)dlsym(lib, "mylib_abi_version");
  get_result_fn get_result = (get_result_fn)dlsym(lib, "mylib_get_result");
  count_fn count_utf8 = (count_fn)dlsym(lib, "mylib_count_doubles_utf8");
  panic_fn debug_panic = (panic_fn)dlsym(lib, "mylib_debug_panic");
  if (!abi || !get_result || !count_utf8 || !debug_panic) return 1;

  uint32_t version = abi();
  snprintf(detail, sizeof detail, "%u", version);
  report(version == (uint32_t)strtoul(argv[2], NULL, 10), "abi version", detail);

  uint8_t out[64], err[256];
  text_out info = {0, 0};
  int32_t status = get_result((const uint8_t *)"Hello!", 6, out, sizeof out, &info, err, sizeof err);
  snprintf(detail, sizeof detail, "status %d, '%.*s', ascii %u", status, (int)(status == 0 ? info.len : 0), out, info.ascii);
  report(status == 0 && info.len == 17 && info.ascii == 1 && memcmp(out, "Rust says: Hello!", 17) == 0, "get_result", detail);

  uint64_t count = 0;
  status = count_utf8((const uint8_t *)"aabbb", 5, &count, err, sizeof err);
  snprintf(detail, sizeof detail, "status %d, count %llu", status, (unsigned long long)count);
  report(status == 0 && count == 3, "count_doubles_utf8", detail);

  status = count_utf8((const uint8_t *)"a\xff\xfe", 3, &count, err, sizeof err);
  snprintf(detail, sizeof detail, "status %d, '%s'", status, (char *)err);
  report(status == 3, "invalid UTF-8 -> status 3", detail);

  /* The panic must unwind to the library's catch_unwind (libunwind under zig's musl link). */
  status = debug_panic((const uint8_t *)"x", 1, err, sizeof err);
  snprintf(detail, sizeof detail, "status %d, '%s'", status, (char *)err);
  report(status == 6 && strstr((char *)err, "panicked: x") != NULL, "panic -> status 6", detail);

  dlclose(lib);
  return failures ? 1 : 0;
}
