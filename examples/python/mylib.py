"""mylib from Python: a small ctypes client, standard library only.

Every ctypes declaration is DERIVED from include/mylib.abi.json, which scripts/abi/header.ts
generates from the same declaration table as include/mylib.h (and `npm run check:abi` keeps
fresh): nothing here repeats a C signature by hand.

    import mylib
    mylib.get_result("hi")                      # 'Rust says: hi'
    mylib.closest("appel", ["apple", "maple"])  # [Match(index=0, distance=2, candidate='apple'), ...]
    with mylib.WordCounter(lowercase=True) as counter:
        counter.feed("The cat and the hat")
        counter.top(1)                          # [('the', 2)]

The library is found through MYLIB_LIBRARY_PATH, else artifacts/mylib.<platform-tag>.<ext> in
this repository (run `npm run build` first).
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import sys
import threading
from collections import namedtuple
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Union

ROOT = Path(__file__).resolve().parents[2]
ABI_JSON = Path(os.environ.get("MYLIB_ABI_JSON", ROOT / "include" / "mylib.abi.json"))
LIBRARY_PATH_ENV = "MYLIB_LIBRARY_PATH"

Match = namedtuple("Match", "index distance candidate")
Stats = namedtuple("Stats", "count mean variance min max")
Progress = Callable[[int, int], Optional[bool]]


# ---------------------------------------------------------------------------------------------
# The table, as ctypes types.

_SCALARS = {
    "void": None,
    "bool": ctypes.c_bool,
    "char": ctypes.c_char,
    "int8_t": ctypes.c_int8,
    "uint8_t": ctypes.c_uint8,
    "int16_t": ctypes.c_int16,
    "uint16_t": ctypes.c_uint16,
    "int32_t": ctypes.c_int32,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "uintptr_t": ctypes.c_size_t,
    "float": ctypes.c_float,
    "double": ctypes.c_double,
}


class _Table:
    """ctypes types for the structs, callbacks and functions of include/mylib.abi.json."""

    def __init__(self, abi: dict):
        self.abi = abi
        self.constants = abi["constants"]
        self.status = abi["status"]
        self.structs = {}
        for name, struct in abi["structs"].items():
            fields = [(field, _SCALARS[ctype]) for field, ctype in struct["fields"]]
            cls = type(name, (ctypes.Structure,), {"_fields_": fields})
            if ctypes.sizeof(cls) != struct["size"]:
                raise ImportError(f"mylib: ctypes lays out {name} in {ctypes.sizeof(cls)} bytes, the table in {struct['size']}")
            self.structs[name] = cls
        self.callbacks = {}
        self.callbacks = {name: ctypes.CFUNCTYPE(self.ctype(cb["result"]), *[self.ctype(p) for p in cb["params"]])
                          for name, cb in abi["callbacks"].items()}

    def ctype(self, param: dict, result: bool = False):
        base, pointers = param["base"], param["pointers"]
        if pointers == 0:
            return _SCALARS[base] if base in _SCALARS else self.structs[base]
        if pointers == 1 and base in self.callbacks:
            return self.callbacks[base]  # `MylibProgressFn *`: the CFUNCTYPE is the pointer
        if result and pointers == 1 and base == "char":
            return ctypes.c_char_p  # a static NUL-terminated string
        # Every data pointer (buffers, out-params, handles, user_data) as an address.
        return ctypes.c_void_p

    def declare(self, cdll: ctypes.CDLL) -> None:
        for name, fn in self.abi["functions"].items():
            function = getattr(cdll, name)  # AttributeError names a symbol the library lacks
            function.argtypes = [self.ctype(p) for p in fn["params"]]
            function.restype = self.ctype(fn["result"], result=True)


def _load_table() -> _Table:
    try:
        return _Table(json.loads(ABI_JSON.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ImportError(f"mylib: {ABI_JSON} is missing: run `npm run gen`") from None


TABLE = _load_table()
ERR_CAP = TABLE.constants["MYLIB_ERR_MAX_LEN"] + 1
OK = TABLE.status["MYLIB_OK"]
BUFFER_TOO_SMALL = TABLE.status["MYLIB_ERR_BUFFER_TOO_SMALL"]
CANCELLED = TABLE.status["MYLIB_ERR_CANCELLED"]
NO_LIMIT = 0xFFFFFFFF


def platform_tag() -> str:
    """`linux-x64-gnu`, `darwin-arm64`, `win32-x64`: the loader's tag for this machine."""
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64", "i686": "ia32", "x86": "ia32"}
    machine = arch.get(platform.machine().lower(), platform.machine().lower())
    if sys.platform.startswith("linux"):
        libc = "gnu" if platform.libc_ver()[0] == "glibc" else "musl"
        return f"linux-{machine}-{libc}"
    return f"{'win32' if sys.platform == 'win32' else sys.platform}-{machine}"


def library_path() -> Path:
    override = os.environ.get(LIBRARY_PATH_ENV)
    if override:
        return Path(override)
    ext = {"win32": "dll", "darwin": "dylib"}.get(sys.platform, "so")
    return ROOT / "artifacts" / f"mylib.{platform_tag()}.{ext}"


# ---------------------------------------------------------------------------------------------


class MylibError(Exception):
    """A call Rust reported as failed: `status` (number), `code` (its C name), the message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code


def _utf8(value: Union[str, bytes], name: str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"argument '{name}' must be str or bytes, got {type(value).__name__}")


class Library:
    """One loaded library: ABI checked, every function declared from the table."""

    def __init__(self, path: Union[str, Path, None] = None):
        self.path = Path(path) if path is not None else library_path()
        self._cdll = ctypes.CDLL(str(self.path))
        version = self._cdll.mylib_abi_version
        version.argtypes, version.restype = [], ctypes.c_uint32
        want = TABLE.constants["MYLIB_ABI_VERSION"]
        if version() != want:
            raise ImportError(f"mylib: ABI version mismatch: {self.path} has {version()}, this client was written for {want}")
        TABLE.declare(self._cdll)
        # Progress callbacks find their Python state through user_data: a key into this registry.
        self._progress = {}
        self._progress_lock = threading.Lock()
        self._next_key = 1
        self._trampoline = TABLE.callbacks["MylibProgressFn"](self._on_progress)
        self._no_progress = TABLE.callbacks["MylibProgressFn"]()  # a NULL function pointer

    def __getattr__(self, name: str):
        """The raw ctypes function `mylib_<name>` (declared from the table)."""
        if name.startswith("mylib_"):
            return getattr(self._cdll, name)
        raise AttributeError(name)

    # -- errors ----------------------------------------------------------------------------

    def status_name(self, status: int) -> str:
        return self._cdll.mylib_status_name(status).decode("ascii")

    def _check(self, status: int, err) -> None:
        if status != OK:
            raise MylibError(status, self.status_name(status), err.value.decode("utf-8", "replace"))

    # -- progress through user_data --------------------------------------------------------

    def _on_progress(self, done: int, total: int, user_data: Optional[int]) -> bool:
        entry = self._progress.get(user_data)
        if entry is None:
            return True
        try:
            return entry["fn"](done, total) is not False
        except BaseException as error:  # re-raised by the call once the library returned
            entry["error"] = error
            return False

    def _with_progress(self, on_progress: Optional[Progress], call: Callable[[object, Optional[int]], int]) -> int:
        if on_progress is None:
            return call(self._no_progress, None)
        if not callable(on_progress):
            raise TypeError("on_progress must be callable")
        with self._progress_lock:
            key = self._next_key
            self._next_key += 1
        entry = {"fn": on_progress, "error": None}
        self._progress[key] = entry
        try:
            status = call(self._trampoline, key)
        finally:
            del self._progress[key]
        if entry["error"] is not None:
            raise entry["error"]
        return status

    # -- the API ---------------------------------------------------------------------------

    def abi_version(self) -> int:
        return self._cdll.mylib_abi_version()

    def add(self, a: int, b: int) -> int:
        return self._cdll.mylib_add(a, b)

    def get_result(self, text: str) -> str:
        data = _utf8(text, "text")
        err = ctypes.create_string_buffer(ERR_CAP)
        info = TABLE.structs["MylibTextOut"]()
        cap = len(data) + 16
        while True:
            out = ctypes.create_string_buffer(cap)
            status = self._cdll.mylib_get_result(data, len(data), out, cap, ctypes.byref(info), err, ERR_CAP)
            if status != BUFFER_TOO_SMALL:
                break
            cap = info.len
        self._check(status, err)
        return out.raw[: info.len].decode("utf-8")

    def count_doubles(self, value: Union[str, bytes]) -> int:
        """Adjacent equal code points of a str, or adjacent equal bytes of bytes."""
        err = ctypes.create_string_buffer(ERR_CAP)
        count = ctypes.c_uint64()
        if isinstance(value, str):
            data = _utf8(value, "value")
            status = self._cdll.mylib_count_doubles_utf8(data, len(data), ctypes.byref(count), err, ERR_CAP)
        else:
            data = _utf8(value, "value")
            status = self._cdll.mylib_count_doubles_bytes(data, len(data), ctypes.byref(count), err, ERR_CAP)
        self._check(status, err)
        return count.value

    def levenshtein(self, a: str, b: str, on_progress: Optional[Progress] = None) -> int:
        """Edit distance in code points; `on_progress(done, total)` (text code points) returning False cancels."""
        a8, b8 = _utf8(a, "a"), _utf8(b, "b")
        err = ctypes.create_string_buffer(ERR_CAP)
        distance = ctypes.c_uint64()
        status = self._with_progress(on_progress, lambda fn, key: self._cdll.mylib_levenshtein(
            a8, len(a8), b8, len(b8), ctypes.byref(distance), fn, key, err, ERR_CAP))
        self._check(status, err)
        return distance.value

    @staticmethod
    def _pack(candidates: Sequence[str]):
        encoded = [_utf8(c, "candidates") for c in candidates]
        offsets = (ctypes.c_uint32 * (len(encoded) + 1))()
        at = 0
        for i, word in enumerate(encoded):
            offsets[i] = at
            at += len(word)
        offsets[len(encoded)] = at
        return b"".join(encoded), offsets

    def _matches(self, count: int, limit: Optional[int]):
        cap = count if limit is None else max(0, min(limit, count))
        return (TABLE.structs["MylibMatch"] * max(cap, 1))(), cap

    def closest(self, query: str, candidates: Sequence[str], limit: Optional[int] = None,
                max_distance: Optional[int] = None, on_progress: Optional[Progress] = None, threads: int = 0) -> list:
        """The candidates nearest to `query`, best first; `on_progress(done, total)` returning False cancels.
        `threads`: 0 (every core) to MYLIB_MAX_THREADS."""
        candidates = list(candidates)
        q = _utf8(query, "query")
        packed, offsets = self._pack(candidates)
        out, cap = self._matches(len(candidates), limit)
        out_len = ctypes.c_size_t()
        err = ctypes.create_string_buffer(ERR_CAP)
        status = self._with_progress(on_progress, lambda fn, key: self._cdll.mylib_closest(
            q, len(q), packed, len(packed), offsets, len(candidates),
            NO_LIMIT if max_distance is None else max_distance, threads, out, cap, ctypes.byref(out_len), fn, key, err,
            ERR_CAP))
        self._check(status, err)
        return [Match(m.index, m.distance, candidates[m.index]) for m in out[: out_len.value]]

    def stats(self, values: Iterable[float]) -> Stats:
        values = list(values)
        array = (ctypes.c_double * len(values))(*values)
        out = TABLE.structs["MylibStats"]()
        err = ctypes.create_string_buffer(ERR_CAP)
        self._check(self._cdll.mylib_stats(array if values else None, len(values), ctypes.byref(out), err, ERR_CAP), err)
        return Stats(out.count, out.mean, out.variance, out.min, out.max)

    def histogram(self, values: Iterable[float], bins: int, min: float, max: float) -> list:
        values = list(values)
        array = (ctypes.c_double * len(values))(*values)
        out = (ctypes.c_uint32 * bins)()
        counted = ctypes.c_uint64()
        err = ctypes.create_string_buffer(ERR_CAP)
        self._check(self._cdll.mylib_histogram(array if values else None, len(values), min, max, out, bins,
                                               ctypes.byref(counted), err, ERR_CAP), err)
        return list(out)


class _Handle:
    """An owned library pointer, freed exactly once by close() (or the with-block's end)."""

    _free = ""

    def __init__(self, library: Library, pointer: int):
        self._library = library
        self._pointer = pointer

    def _live(self) -> int:
        if self._pointer is None:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._pointer

    def close(self) -> None:
        pointer, self._pointer = self._pointer, None
        if pointer is not None:
            getattr(self._library, self._free)(pointer)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_pointer", None) is not None:
            self.close()


class FuzzyIndex(_Handle):
    """Candidates packed once in library memory; closest() against them many times."""

    _free = "mylib_fuzzy_index_free"

    def __init__(self, candidates: Sequence[str], library: Optional[Library] = None):
        lib = library or default()
        self._candidates = list(candidates)
        packed, offsets = Library._pack(self._candidates)
        out = ctypes.c_void_p()
        err = ctypes.create_string_buffer(ERR_CAP)
        lib._check(lib.mylib_fuzzy_index_new(packed, len(packed), offsets, len(self._candidates), ctypes.byref(out), err, ERR_CAP), err)
        super().__init__(lib, out.value)

    def closest(self, query: str, limit: Optional[int] = None, max_distance: Optional[int] = None,
                on_progress: Optional[Progress] = None, threads: int = 0) -> list:
        lib, pointer = self._library, self._live()
        q = _utf8(query, "query")
        out, cap = lib._matches(len(self._candidates), limit)
        out_len = ctypes.c_size_t()
        err = ctypes.create_string_buffer(ERR_CAP)
        status = lib._with_progress(on_progress, lambda fn, key: lib.mylib_fuzzy_index_closest(
            pointer, q, len(q), NO_LIMIT if max_distance is None else max_distance, threads, out, cap, ctypes.byref(out_len),
            fn, key, err, ERR_CAP))
        lib._check(status, err)
        return [Match(m.index, m.distance, self._candidates[m.index]) for m in out[: out_len.value]]


class WordCounter(_Handle):
    """Counts words of a UTF-8 stream fed in chunks split anywhere."""

    _free = "mylib_word_counter_free"

    def __init__(self, lowercase: bool = False, library: Optional[Library] = None):
        lib = library or default()
        out = ctypes.c_void_p()
        err = ctypes.create_string_buffer(ERR_CAP)
        lib._check(lib.mylib_word_counter_new(bool(lowercase), ctypes.byref(out), err, ERR_CAP), err)
        super().__init__(lib, out.value)

    def feed(self, chunk: Union[str, bytes]) -> None:
        data = _utf8(chunk, "chunk")
        err = ctypes.create_string_buffer(ERR_CAP)
        self._library._check(self._library.mylib_word_counter_feed(self._live(), data, len(data), err, ERR_CAP), err)

    def top(self, k: int) -> list:
        """The `k` most frequent words as (word, count), highest first."""
        text, length = ctypes.c_void_p(), ctypes.c_size_t()
        err = ctypes.create_string_buffer(ERR_CAP)
        lib = self._library
        lib._check(lib.mylib_word_counter_top(self._live(), k, ctypes.byref(text), ctypes.byref(length), err, ERR_CAP), err)
        if not text.value:
            return []
        try:
            raw = ctypes.string_at(text.value, length.value)
        finally:
            lib.mylib_bytes_free(text.value, length.value)  # the library's own free, exactly once
        pairs = (line.rsplit("\t", 1) for line in raw.decode("utf-8").splitlines())
        return [(word, int(count)) for word, count in pairs]


# ---------------------------------------------------------------------------------------------
# Module-level functions on a default library, loaded on first use.

_default: Optional[Library] = None


def default() -> Library:
    global _default
    if _default is None:
        _default = Library()
    return _default


def status_name(status: int) -> str:
    return default().status_name(status)


def get_result(text: str) -> str:
    return default().get_result(text)


def count_doubles(value: Union[str, bytes]) -> int:
    return default().count_doubles(value)


def levenshtein(a: str, b: str, on_progress: Optional[Progress] = None) -> int:
    return default().levenshtein(a, b, on_progress)


def closest(query: str, candidates: Sequence[str], limit: Optional[int] = None, max_distance: Optional[int] = None,
            on_progress: Optional[Progress] = None, threads: int = 0) -> list:
    return default().closest(query, candidates, limit, max_distance, on_progress, threads)


def stats(values: Iterable[float]) -> Stats:
    return default().stats(values)
