/*
 * Calls every export of include/mylib.h and checks results, statuses, status names, the error
 * message bound, a progress callback with user_data, and frees everything it got. Built by
 * `npm run test:hosts` as C11 and as C++ with -Wall -Wextra -Werror (-pedantic for C), linked
 * against the built library and run under valgrind when it is installed. Exit 0 = all passed.
 */
#include "mylib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        checks++;                                                         \
        if (!(cond)) {                                                    \
            failures++;                                                   \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

/* One error buffer large enough for every message (documented bound). */
static char err[MYLIB_ERR_MAX_LEN + 1];
#define ERR ((uint8_t *)err), sizeof err

static const uint8_t *bytes(const char *text) { return (const uint8_t *)text; }

/* Expects `status` to be `want`, naming both through mylib_status_name on failure. */
static void expect_status(int32_t status, int32_t want, const char *what) {
    CHECK(status == want, "%s: got %s (%d), want %s: %s", what, mylib_status_name(status), (int)status,
          mylib_status_name(want), status == MYLIB_OK ? "" : err);
}

/* The state a progress callback reaches through user_data: C has no closures. */
typedef struct Progress {
    unsigned calls;
    uint64_t last_done;
    uint64_t last_total;
    uint64_t cancel_after; /* 0: never cancel */
} Progress;

static bool on_progress(uint64_t done, uint64_t total, void *user_data) {
    Progress *progress = (Progress *)user_data;
    progress->calls++;
    progress->last_done = done;
    progress->last_total = total;
    return progress->cancel_after == 0 || progress->calls < progress->cancel_after;
}

static void test_meta(void) {
    CHECK(mylib_abi_version() == MYLIB_ABI_VERSION, "abi %u", (unsigned)mylib_abi_version());
    CHECK(mylib_add(2, 3) == 5, "add");
    CHECK(mylib_add(INT32_MAX, 1) == INT32_MIN, "add wraps");

    static const struct { int32_t code; const char *name; } names[] = {
        {MYLIB_OK, "MYLIB_OK"},
        {MYLIB_ERR_NULL_ARGUMENT, "MYLIB_ERR_NULL_ARGUMENT"},
        {MYLIB_ERR_INVALID_ARGUMENT, "MYLIB_ERR_INVALID_ARGUMENT"},
        {MYLIB_ERR_INVALID_UTF8, "MYLIB_ERR_INVALID_UTF8"},
        {MYLIB_ERR_BUFFER_TOO_SMALL, "MYLIB_ERR_BUFFER_TOO_SMALL"},
        {MYLIB_ERR_CANCELLED, "MYLIB_ERR_CANCELLED"},
        {MYLIB_ERR_PANIC, "MYLIB_ERR_PANIC"},
        {MYLIB_ERR_OUT_OF_MEMORY, "MYLIB_ERR_OUT_OF_MEMORY"},
        {-1, "MYLIB_ERR_UNKNOWN"},
        {8, "MYLIB_ERR_UNKNOWN"},
        {INT32_MIN, "MYLIB_ERR_UNKNOWN"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *name = mylib_status_name(names[i].code);
        CHECK(name != NULL && strcmp(name, names[i].name) == 0, "status_name(%d) = %s", (int)names[i].code, name);
    }

    const char *message = "deliberate panic from C";
    int32_t status = mylib_debug_panic(bytes(message), strlen(message), ERR);
    expect_status(status, MYLIB_ERR_PANIC, "debug_panic");
    CHECK(strncmp(err, "mylib_debug_panic: Rust panicked: deliberate panic from C", 57) == 0, "%s", err);
    expect_status(mylib_debug_panic(NULL, 3, ERR), MYLIB_ERR_NULL_ARGUMENT, "debug_panic NULL");

    /* A message longer than the bound arrives cut, with the marker, within MYLIB_ERR_MAX_LEN. */
    size_t long_len = 3000;
    char *long_message = (char *)malloc(long_len);
    CHECK(long_message != NULL, "malloc");
    if (long_message != NULL) {
        memset(long_message, 'x', long_len);
        status = mylib_debug_panic(bytes(long_message), long_len, ERR);
        expect_status(status, MYLIB_ERR_PANIC, "debug_panic long");
        size_t len = strlen(err);
        CHECK(len <= MYLIB_ERR_MAX_LEN && len > MYLIB_ERR_MAX_LEN - 16, "len %zu", len);
        CHECK(strcmp(err + len - strlen(" [truncated]"), " [truncated]") == 0, "%s", err + len - 20);
        free(long_message);
    }
    /* A NULL err buffer drops the message; the status still tells. */
    CHECK(mylib_debug_panic(bytes("x"), 1, NULL, 0) == MYLIB_ERR_PANIC, "panic without err");
}

static void test_memory(void) {
    CHECK(mylib_bytes_alloc(0) == NULL, "alloc(0) is NULL");
    CHECK(mylib_bytes_alloc(SIZE_MAX) == NULL, "alloc(SIZE_MAX) is NULL");
    uint8_t *block = mylib_bytes_alloc(64);
    CHECK(block != NULL, "alloc(64)");
    if (block != NULL) {
        int zeroed = 1;
        for (size_t i = 0; i < 64; i++) zeroed &= block[i] == 0;
        CHECK(zeroed, "zeroed");
        mylib_bytes_free(block, 64);
    }
    mylib_bytes_free(NULL, 0);
}

static void test_text(void) {
    uint8_t out[64];
    MylibTextOut info = {0, 0};
    int32_t status = mylib_get_result(bytes("héllo"), strlen("héllo"), out, sizeof out, &info, ERR);
    expect_status(status, MYLIB_OK, "get_result");
    CHECK(info.len == strlen("Rust says: héllo") && memcmp(out, "Rust says: héllo", info.len) == 0, "len %zu", info.len);
    CHECK(info.ascii == 0, "ascii %u", (unsigned)info.ascii);

    status = mylib_get_result(bytes("abc"), 3, out, 4, &info, ERR);
    expect_status(status, MYLIB_ERR_BUFFER_TOO_SMALL, "get_result small");
    CHECK(info.len == 14, "needed %zu", info.len);
    expect_status(mylib_get_result(bytes("\xff"), 1, out, sizeof out, &info, ERR), MYLIB_ERR_INVALID_UTF8, "get_result utf8");
    CHECK(strstr(err, "mylib_get_result: argument 'text' is not valid UTF-8") == err, "%s", err);
    expect_status(mylib_get_result(out, 4, out + 2, 20, &info, ERR), MYLIB_ERR_INVALID_ARGUMENT, "get_result overlap");

    uint64_t count = 99;
    expect_status(mylib_count_doubles_bytes(bytes("aabbb"), 5, &count, ERR), MYLIB_OK, "count bytes");
    CHECK(count == 3, "count %llu", (unsigned long long)count);
    expect_status(mylib_count_doubles_utf8(bytes("ééa"), strlen("ééa"), &count, ERR), MYLIB_OK, "count utf8");
    CHECK(count == 1, "count %llu", (unsigned long long)count);
    expect_status(mylib_count_doubles_utf8(bytes("a"), 1, NULL, ERR), MYLIB_ERR_NULL_ARGUMENT, "count NULL out");
    expect_status(mylib_count_doubles_bytes(NULL, 0, &count, ERR), MYLIB_OK, "count empty");
    CHECK(count == 0, "count %llu", (unsigned long long)count);

    uint64_t distance = 0;
    expect_status(mylib_levenshtein(bytes("kitten"), 6, bytes("sitting"), 7, &distance, NULL, NULL, ERR), MYLIB_OK,
                  "levenshtein");
    CHECK(distance == 3, "distance %llu", (unsigned long long)distance);
    /* Progress counts code points of the longer input (no common prefix or suffix here): short
       inputs get only the final call, done == total == 7. */
    Progress progress = {0, 0, 0, 0};
    expect_status(mylib_levenshtein(bytes("kitten"), 6, bytes("sitting"), 7, &distance, on_progress, &progress, ERR),
                  MYLIB_OK, "levenshtein progress");
    CHECK(distance == 3 && progress.calls == 1 && progress.last_done == 7 && progress.last_total == 7,
          "distance %llu calls %u %llu/%llu", (unsigned long long)distance, progress.calls,
          (unsigned long long)progress.last_done, (unsigned long long)progress.last_total);
    Progress cancel = {0, 0, 0, 1};
    distance = 77;
    expect_status(mylib_levenshtein(bytes("kitten"), 6, bytes("sitting"), 7, &distance, on_progress, &cancel, ERR),
                  MYLIB_ERR_CANCELLED, "levenshtein cancelled");
    CHECK(distance == 77 && cancel.calls == 1, "distance %llu calls %u", (unsigned long long)distance, cancel.calls);
}

/* "apple\0apply\0maple" packed back to back with count + 1 offsets. */
static const char packed[] = "appleapplymaple";
static const uint32_t offsets[] = {0, 5, 10, 15};

static void test_closest(void) {
    MylibMatch matches[3];
    size_t len = 0;
    Progress progress = {0, 0, 0, 0};
    int32_t status = mylib_closest(bytes("appel"), 5, bytes(packed), 15, offsets, 3, UINT32_MAX, 0, matches, 3,
                                   &len, on_progress, &progress, ERR);
    expect_status(status, MYLIB_OK, "closest");
    CHECK(len == 3, "len %zu", len);
    CHECK(matches[0].index == 0 && matches[0].distance == 2, "first %u/%u", matches[0].index, matches[0].distance);
    CHECK(progress.calls == 1 && progress.last_done == 3 && progress.last_total == 3, "progress %u %llu/%llu",
          progress.calls, (unsigned long long)progress.last_done, (unsigned long long)progress.last_total);

    /* Cancel from the first call: MYLIB_ERR_CANCELLED, nothing written. */
    Progress cancel = {0, 0, 0, 1};
    len = 77;
    status = mylib_closest(bytes("appel"), 5, bytes(packed), 15, offsets, 3, UINT32_MAX, 1, matches, 3, &len,
                           on_progress, &cancel, ERR);
    expect_status(status, MYLIB_ERR_CANCELLED, "closest cancelled");
    CHECK(len == 77 && cancel.calls == 1, "len %zu calls %u", len, cancel.calls);
    CHECK(strcmp(mylib_status_name(status), "MYLIB_ERR_CANCELLED") == 0, "name");

    const uint32_t bad_offsets[] = {0, 7, 5, 15};
    status = mylib_closest(bytes("a"), 1, bytes(packed), 15, bad_offsets, 3, UINT32_MAX, 0, matches, 3, &len, NULL, NULL,
                           ERR);
    expect_status(status, MYLIB_ERR_INVALID_ARGUMENT, "closest bad offsets");
    /* threads: 0 is every core; above MYLIB_MAX_THREADS is rejected with a message naming it. */
    status = mylib_closest(bytes("a"), 1, bytes(packed), 15, offsets, 3, UINT32_MAX, MYLIB_MAX_THREADS + 1, matches, 3,
                           &len, NULL, NULL, ERR);
    expect_status(status, MYLIB_ERR_INVALID_ARGUMENT, "closest threads too large");
    CHECK(strstr(err, "'threads'") != NULL, "message %s", err);

    MylibFuzzyIndex *index = NULL;
    expect_status(mylib_fuzzy_index_new(bytes(packed), 15, offsets, 3, &index, ERR), MYLIB_OK, "index new");
    CHECK(index != NULL, "index");
    Progress again = {0, 0, 0, 0};
    status = mylib_fuzzy_index_closest(index, bytes("mapel"), 5, 2, 2, matches, 1, &len, on_progress, &again, ERR);
    expect_status(status, MYLIB_OK, "index closest");
    CHECK(len == 1 && matches[0].index == 2 && matches[0].distance == 2, "len %zu idx %u d %u", len, matches[0].index,
          matches[0].distance);
    CHECK(again.calls == 1 && again.last_total == 3, "progress %u", again.calls);
    expect_status(mylib_fuzzy_index_closest(NULL, bytes("a"), 1, 0, 0, matches, 1, &len, NULL, NULL, ERR),
                  MYLIB_ERR_NULL_ARGUMENT, "index closest NULL");
    mylib_fuzzy_index_free(index);
    mylib_fuzzy_index_free(NULL);
}

static void test_numeric(void) {
    const double values[] = {1.0, 2.0, 3.0, 4.0, NAN};
    MylibStats stats;
    expect_status(mylib_stats(values, 5, &stats, ERR), MYLIB_OK, "stats");
    CHECK(stats.count == 4 && stats.mean == 2.5 && stats.variance == 1.25 && stats.min == 1.0 && stats.max == 4.0,
          "count %llu mean %g var %g", (unsigned long long)stats.count, stats.mean, stats.variance);
    expect_status(mylib_stats(values, 5, NULL, ERR), MYLIB_ERR_NULL_ARGUMENT, "stats NULL");

    uint32_t bins[2] = {9, 9};
    uint64_t counted = 0;
    expect_status(mylib_histogram(values, 5, 0.0, 4.0, bins, 2, &counted, ERR), MYLIB_OK, "histogram");
    CHECK(counted == 4 && bins[0] == 1 && bins[1] == 3, "counted %llu bins %u %u", (unsigned long long)counted, bins[0], bins[1]);
    expect_status(mylib_histogram(values, 5, 1.0, 1.0, bins, 2, &counted, ERR), MYLIB_ERR_INVALID_ARGUMENT, "histogram range");
}

static void test_words(void) {
    MylibWordCounter *counter = NULL;
    expect_status(mylib_word_counter_new(true, &counter, ERR), MYLIB_OK, "counter new");
    const char *chunks[] = {"The cat and the h", "at. THE END"};
    for (size_t i = 0; i < 2; i++) {
        expect_status(mylib_word_counter_feed(counter, bytes(chunks[i]), strlen(chunks[i]), ERR), MYLIB_OK, "feed");
    }
    uint8_t *text = NULL;
    size_t len = 0;
    expect_status(mylib_word_counter_top(counter, 2, &text, &len, ERR), MYLIB_OK, "top");
    const char *want = "the\t3\nand\t1\n";
    CHECK(text != NULL && len == strlen(want) && memcmp(text, want, len) == 0, "top %.*s", (int)len, (const char *)text);
    mylib_bytes_free(text, len);
    expect_status(mylib_word_counter_feed(NULL, bytes("x"), 1, ERR), MYLIB_ERR_NULL_ARGUMENT, "feed NULL");
    mylib_word_counter_free(counter);
    mylib_word_counter_free(NULL);

    /* No word: (NULL, 0), and freeing that is fine. */
    expect_status(mylib_word_counter_new(false, &counter, ERR), MYLIB_OK, "counter new 2");
    expect_status(mylib_word_counter_top(counter, 5, &text, &len, ERR), MYLIB_OK, "top empty");
    CHECK(text == NULL && len == 0, "empty top");
    mylib_bytes_free(text, len);
    mylib_word_counter_free(counter);
}

int main(void) {
    test_meta();
    test_memory();
    test_text();
    test_closest();
    test_numeric();
    test_words();
    printf("all_exports: %d check(s), %d failure(s)\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
