/*
 * N-API reference addon for the benchmarks. It does the same work as the Rust exports it is
 * compared with, so the difference is the bridge:
 *   noop()               -> undefined
 *   add(a, b)            -> a + b (int32)
 *   getResult(text)      -> "Rust says: " + text: copy the string out of V8 as UTF-8 into a
 *                           scratch buffer kept between calls (as the typed layer keeps its
 *                           scratch buffers), then copy the result back into a new JS string.
 *   countDoubles(bytes)  -> adjacent equal bytes of a Buffer/Uint8Array, read in place.
 * Main thread only (the scratch buffer is shared).
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char PREFIX[] = "Rust says: ";
#define PREFIX_LEN (sizeof(PREFIX) - 1)

static char *scratch = NULL;
static size_t scratch_cap = 0;

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value noop(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  return NULL;
}

static napi_value add(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t a, b;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_error(env, "add: expected 2 arguments");
  if (napi_get_value_int32(env, argv[0], &a) != napi_ok || napi_get_value_int32(env, argv[1], &b) != napi_ok) {
    return throw_error(env, "add: arguments must be numbers");
  }
  napi_create_int32(env, (int32_t)((uint32_t)a + (uint32_t)b), &result);
  return result;
}

static napi_value get_result(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  size_t length = 0, written = 0;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return throw_error(env, "getResult: expected 1 argument");
  /* Length of the UTF-8 encoding, then the copy itself (N-API has no one-step growable copy). */
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &length) != napi_ok) return throw_error(env, "getResult: argument must be a string");
  if (PREFIX_LEN + length + 1 > scratch_cap) {
    size_t cap = PREFIX_LEN + length + 1;
    char *grown = realloc(scratch, cap);
    if (!grown) return throw_error(env, "getResult: out of memory");
    memcpy(grown, PREFIX, PREFIX_LEN);
    scratch = grown;
    scratch_cap = cap;
  }
  napi_get_value_string_utf8(env, argv[0], scratch + PREFIX_LEN, length + 1, &written);
  if (napi_create_string_utf8(env, scratch, PREFIX_LEN + written, &result) != napi_ok) return throw_error(env, "getResult: cannot create the string");
  return result;
}

static napi_value count_doubles(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void *data = NULL;
  napi_value arraybuffer, result;
  bool is_typedarray = false;
  uint64_t count = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return throw_error(env, "countDoubles: expected 1 argument");
  napi_is_typedarray(env, argv[0], &is_typedarray);
  if (!is_typedarray) return throw_error(env, "countDoubles: argument must be a Uint8Array");
  napi_get_typedarray_info(env, argv[0], &type, &length, &data, &arraybuffer, &offset);
  if (type != napi_uint8_array) return throw_error(env, "countDoubles: argument must be a Uint8Array");
  const uint8_t *bytes = data;
  for (size_t i = 1; i < length; i++) count += bytes[i] == bytes[i - 1];
  napi_create_double(env, (double)count, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"noop", NULL, noop, NULL, NULL, NULL, napi_default, NULL},
    {"add", NULL, add, NULL, NULL, NULL, napi_default, NULL},
    {"getResult", NULL, get_result, NULL, NULL, NULL, napi_default, NULL},
    {"countDoubles", NULL, count_doubles, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
