"""Tests of the ctypes client: `cd examples/python && python3 -m unittest -v` (npm run test:hosts runs it)."""

import ctypes
import json
import unittest

import mylib


class TableTest(unittest.TestCase):
    def test_every_function_of_the_table_is_declared(self):
        lib = mylib.default()
        for name, fn in mylib.TABLE.abi["functions"].items():
            function = getattr(lib, name)
            self.assertEqual(len(function.argtypes), len(fn["params"]), name)

    def test_struct_layouts_match_the_table(self):
        for name, struct in mylib.TABLE.abi["structs"].items():
            self.assertEqual(ctypes.sizeof(mylib.TABLE.structs[name]), struct["size"], name)

    def test_abi_version_and_status_names(self):
        self.assertEqual(mylib.default().abi_version(), mylib.TABLE.constants["MYLIB_ABI_VERSION"])
        for name, code in mylib.TABLE.status.items():
            self.assertEqual(mylib.status_name(code), name)
        self.assertEqual(mylib.status_name(-1), "MYLIB_ERR_UNKNOWN")
        self.assertEqual(mylib.status_name(2**31 - 1), "MYLIB_ERR_UNKNOWN")

    def test_the_json_is_the_header_twin(self):
        abi = json.loads(mylib.ABI_JSON.read_text(encoding="utf-8"))
        header = (mylib.ROOT / "include" / "mylib.h").read_text(encoding="utf-8")
        for name in abi["functions"]:
            self.assertRegex(header, rf"[ *]{name}\(", name)


class FunctionsTest(unittest.TestCase):
    def test_get_result(self):
        self.assertEqual(mylib.get_result("hi"), "Rust says: hi")
        self.assertEqual(mylib.get_result("é" * 1000), "Rust says: " + "é" * 1000)  # grows the buffer
        self.assertEqual(mylib.get_result("a\0b"), "Rust says: a\0b")

    def test_count_doubles(self):
        self.assertEqual(mylib.count_doubles("aabbb"), 3)
        self.assertEqual(mylib.count_doubles("éé"), 1)
        self.assertEqual(mylib.count_doubles(b"\xc3\xa9\xc3\xa9"), 0)  # bytes: no equal adjacent bytes
        self.assertEqual(mylib.count_doubles(b""), 0)

    def test_invalid_utf8_is_a_mylib_error(self):
        lib = mylib.default()
        err = ctypes.create_string_buffer(mylib.ERR_CAP)
        out = ctypes.c_uint64()
        with self.assertRaises(mylib.MylibError) as caught:
            lib._check(lib.mylib_levenshtein(b"\xff", 1, b"a", 1, ctypes.byref(out), lib._no_progress, None, err, mylib.ERR_CAP), err)
        self.assertEqual(caught.exception.code, "MYLIB_ERR_INVALID_UTF8")
        self.assertEqual(caught.exception.status, 3)
        self.assertIn("argument 'a' is not valid UTF-8", str(caught.exception))

    def test_levenshtein(self):
        self.assertEqual(mylib.levenshtein("kitten", "sitting"), 3)
        self.assertEqual(mylib.levenshtein("", "日本"), 2)

    def test_levenshtein_progress_and_cancel(self):
        calls = []
        self.assertEqual(mylib.levenshtein("kitten", "sitting", on_progress=lambda d, t: calls.append((d, t))), 3)
        self.assertEqual(calls, [(7, 7)])
        with self.assertRaises(mylib.MylibError) as caught:
            mylib.levenshtein("kitten", "sitting", on_progress=lambda d, t: False)
        self.assertEqual(caught.exception.code, "MYLIB_ERR_CANCELLED")

    def test_closest_threads(self):
        many = ["w%d" % i for i in range(5000)]
        expected = mylib.closest("w42", many, limit=5)
        for threads in (1, 2, 0):
            self.assertEqual(mylib.closest("w42", many, limit=5, threads=threads), expected)
        with self.assertRaises(mylib.MylibError) as caught:
            mylib.closest("w", many, threads=mylib.TABLE.constants["MYLIB_MAX_THREADS"] + 1)
        self.assertEqual(caught.exception.code, "MYLIB_ERR_INVALID_ARGUMENT")
        self.assertIn("'threads'", str(caught.exception))

    def test_stats(self):
        s = mylib.stats([1.0, 2.0, 3.0, 4.0, float("nan")])
        self.assertEqual((s.count, s.mean, s.variance, s.min, s.max), (4, 2.5, 1.25, 1.0, 4.0))
        self.assertEqual(mylib.stats([]).count, 0)
        self.assertEqual(mylib.default().histogram([0.5, 1.5, 2.0], bins=2, min=0.0, max=2.0), [1, 2])


class ClosestTest(unittest.TestCase):
    WORDS = ["apple", "apply", "maple", "banana"]

    def test_closest_sorted_with_limit_and_max_distance(self):
        found = mylib.closest("appel", self.WORDS, limit=2)
        self.assertEqual([(m.index, m.distance, m.candidate) for m in found], [(0, 2, "apple"), (1, 2, "apply")])
        self.assertEqual(mylib.closest("appel", self.WORDS, max_distance=0), [])

    def test_progress_reaches_python_through_user_data(self):
        calls = []
        mylib.closest("appel", self.WORDS, on_progress=lambda done, total: calls.append((done, total)))
        self.assertEqual(calls, [(4, 4)])
        many = [f"w{i}" for i in range(10000)]
        calls.clear()
        mylib.closest("w", many, limit=1, on_progress=lambda done, total: calls.append((done, total)))
        self.assertEqual(calls, [(4096, 10000), (8192, 10000), (10000, 10000)])

    def test_cancel_and_exceptions(self):
        with self.assertRaises(mylib.MylibError) as caught:
            mylib.closest("appel", self.WORDS, on_progress=lambda done, total: False)
        self.assertEqual(caught.exception.code, "MYLIB_ERR_CANCELLED")

        def boom(done, total):
            raise KeyError("from the callback")

        with self.assertRaises(KeyError):
            mylib.closest("appel", self.WORDS, on_progress=boom)
        self.assertEqual(mylib.levenshtein("a", "b"), 1)  # still usable

    def test_fuzzy_index_context_manager(self):
        with mylib.FuzzyIndex(self.WORDS) as index:
            self.assertEqual(index.closest("mapel", limit=1)[0].candidate, "maple")
            calls = []
            index.closest("x", on_progress=lambda d, t: calls.append(d))
            self.assertEqual(calls, [4])
        with self.assertRaises(ValueError):
            index.closest("x")
        index.close()  # idempotent


class WordCounterTest(unittest.TestCase):
    def test_feed_split_anywhere_and_top(self):
        with mylib.WordCounter(lowercase=True) as counter:
            text = "The cat and the hat. THE END, café café".encode("utf-8")
            for i in range(0, len(text), 3):  # splits inside 'é' too
                counter.feed(text[i:i + 3])
            self.assertEqual(counter.top(2), [("the", 3), ("café", 2)])
        with self.assertRaises(ValueError):
            counter.feed("x")

    def test_empty_counter(self):
        with mylib.WordCounter() as counter:
            self.assertEqual(counter.top(5), [])


if __name__ == "__main__":
    unittest.main()
