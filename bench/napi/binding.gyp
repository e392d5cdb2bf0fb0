# The N-API reference addon for the benchmarks: the floor for any Node -> native call.
# Built on demand by bench/lib/napi.ts (node-gyp rebuild) into bench/napi/build/.
{
  "targets": [
    {
      "target_name": "mylib_napi_ref",
      "sources": ["addon.c"],
      "cflags": ["-O3"],
      "cflags!": ["-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
