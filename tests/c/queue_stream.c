/*
 * Queued uploads from a read callback (qcos_queue_upload_from_callback) through the C
 * API, run by tests/c_api.rs against an in-process qcos-server whose Upload Part
 * requests under "cs/" are slowed down (so a test can act mid-upload).
 *
 *   - known length and unknown length (UINT64_MAX), several 1 MiB parts: the object
 *     matches byte for byte and its CRC-64; the callback ran off the calling thread;
 *   - pause refused (QCOS_STATUS_INVALID_STATE) on a running and a waiting stream task;
 *     cancel mid-stream aborts the multipart upload; a cancelled waiting task's
 *     callback is never called;
 *   - a callback returning non-zero cancels its task; one ending before its declared
 *     length fails it, and resume of that failed task is refused;
 *   - qcos_queue_free with a running stream task: its callback is never called after
 *     the free returned (the reader state is freed right after, so ASan and valgrind
 *     see any late call);
 *   - NULL and bad arguments are refused with their names, without calling the callback.
 *
 * Environment: COS_ENDPOINT, COS_REGION, COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY.
 */
#define _POSIX_C_SOURCE 200809L
#include "qcos.h"
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define MIB (1024u * 1024u)

/* What one read callback reads from, and what it saw. Touched by the queue's worker
 * thread (the callback) and the main thread (the checks): counters are atomic. */
typedef struct {
    const uint8_t *data;
    size_t len;
    size_t pos;
    size_t step;
    /* Return non-zero once this many bytes were handed out (0: never). */
    size_t stop_at;
    atomic_size_t calls;
    atomic_size_t given;
    atomic_int on_main_thread;
} reader;

static pthread_t g_main;

static int read_cb(void *user_data, uint8_t *buf, size_t cap, size_t *n_out) {
    reader *r = user_data;
    size_t n;
    atomic_fetch_add(&r->calls, 1);
    if (pthread_equal(pthread_self(), g_main)) atomic_store(&r->on_main_thread, 1);
    if (r->stop_at != 0 && r->pos >= r->stop_at) return 7;
    n = r->len - r->pos;
    if (n > cap) n = cap;
    if (n > r->step) n = r->step;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    atomic_fetch_add(&r->given, n);
    *n_out = n;
    return 0;
}

static reader *new_reader(const uint8_t *data, size_t len, size_t step) {
    reader *r = calloc(1, sizeof *r);
    if (r == NULL) exit(2);
    r->data = data;
    r->len = len;
    r->step = step;
    atomic_init(&r->calls, 0);
    atomic_init(&r->given, 0);
    atomic_init(&r->on_main_thread, 0);
    return r;
}

static uint8_t *make_data(size_t len, unsigned seed) {
    uint8_t *d = malloc(len);
    if (d == NULL) exit(2);
    for (size_t i = 0; i < len; i++) d[i] = (uint8_t)((i * 29u + seed) ^ (i >> 11));
    return d;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const qcos_client *make_client(size_t files) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    OK(qcos_config_from_env(&cfg));
    OK(qcos_config_set_slice_size(cfg, MIB));
    OK(qcos_config_set_chunk_size(cfg, MIB));
    OK(qcos_config_set_chunk_parallel_limit(cfg, 2));
    OK(qcos_config_set_file_parallel_limit(cfg, files));
    OK(qcos_config_set_progress_interval_ms(cfg, 20));
    OK(qcos_config_set_retry_base_delay_ms(cfg, 5));
    OK(qcos_client_new(cfg, &c));
    if (c == NULL) {
        fprintf(stderr, "cannot build a client; stopping\n");
        exit(2);
    }
    return c;
}

static size_t uploads_under(const qcos_client *c, const char *prefix) {
    qcos_upload_list *ups = NULL;
    size_t n = 999;
    OK(qcos_client_list_multipart_uploads(c, prefix, &ups));
    if (ups) n = qcos_upload_list_count(ups);
    qcos_upload_list_free(ups);
    return n;
}

/* Wait for a progress event of `task` with at least `bytes` loaded. */
static int wait_progress(qcos_queue *q, uint64_t task, uint64_t bytes) {
    qcos_queue_event ev;
    bool got = false;
    for (int idle = 0; idle < 120;) {
        if (qcos_queue_next_event(q, 1000, &ev, &got) != QCOS_STATUS_OK) return 0;
        if (!got) {
            idle++;
            continue;
        }
        if (ev.task == task && ev.kind == QCOS_EVENT_KIND_PROGRESS && ev.loaded >= bytes) return 1;
    }
    return 0;
}

/* The task ended in `want`; returns its snapshot (caller frees). */
static qcos_task_info *ended_in(qcos_queue *q, uint64_t id, qcos_task_state want) {
    qcos_task_state st = QCOS_TASK_STATE_WAITING;
    qcos_task_info *info = NULL;
    OK(qcos_queue_wait(q, id, -1, &st));
    if (st != want)
        fprintf(stderr, "task %llu ended %s, expected %s\n", (unsigned long long)id,
                qcos_task_state_str(st), qcos_task_state_str(want));
    CHECK(st == want);
    OK(qcos_queue_task_info(q, id, &info));
    return info;
}

static void check_object(const qcos_client *c, const char *key, const uint8_t *want, size_t len,
                         uint64_t task_crc) {
    uint8_t *got = malloc(len + 1);
    size_t n = 0;
    qcos_object_info *oi = NULL;
    if (got == NULL) exit(2);
    OK(qcos_client_get_object_to_buffer(c, key, NULL, got, len + 1, &n, &oi));
    CHECK(n == len);
    CHECK(n == len && memcmp(got, want, len) == 0);
    CHECK(oi != NULL && qcos_object_info_crc64(oi) == crc64(0, want, len));
    CHECK(task_crc == crc64(0, want, len));
    qcos_object_info_free(oi);
    free(got);
}

static void test_uploads(const qcos_client *c) {
    qcos_queue *q = NULL;
    const size_t known_len = 3 * MIB + 123, stream_len = 3 * MIB + 5;
    uint8_t *known = make_data(known_len, 1), *stream = make_data(stream_len, 2);
    reader *rk = new_reader(known, known_len, 65536 + 3), *rs = new_reader(stream, stream_len, 4099);
    uint64_t a = 0, b = 0;
    qcos_task_info *info;
    OK(qcos_queue_new(c, &q));
    OK(qcos_queue_upload_from_callback(q, "up/known.bin", known_len, read_cb, rk, NULL, NULL, &a));
    OK(qcos_queue_upload_from_callback(q, "up/stream.bin", UINT64_MAX, read_cb, rs, NULL, NULL, &b));
    CHECK(a != 0 && b != 0 && a != b);

    info = ended_in(q, a, QCOS_TASK_STATE_SUCCEEDED);
    if (info) {
        CHECK(qcos_task_info_is_stream(info));
        CHECK(qcos_task_info_is_upload(info));
        CHECK(!qcos_task_info_is_copy(info));
        CHECK(streq(qcos_task_info_key(info), "up/known.bin"));
        CHECK(streq(qcos_task_info_path(info), ""));
        CHECK(qcos_task_info_size(info) == known_len);
        CHECK(qcos_task_info_total_known(info) && qcos_task_info_total(info) == known_len);
        CHECK(qcos_task_info_crc64_verified(info));
        check_object(c, "up/known.bin", known, known_len, qcos_task_info_crc64(info));
    }
    qcos_task_info_free(info);
    info = ended_in(q, b, QCOS_TASK_STATE_SUCCEEDED);
    if (info) {
        CHECK(qcos_task_info_is_stream(info));
        CHECK(qcos_task_info_size(info) == stream_len);
        check_object(c, "up/stream.bin", stream, stream_len, qcos_task_info_crc64(info));
    }
    qcos_task_info_free(info);
    CHECK(atomic_load(&rk->given) == known_len && atomic_load(&rs->given) == stream_len);
    CHECK(!atomic_load(&rk->on_main_thread) && !atomic_load(&rs->on_main_thread));
    CHECK(uploads_under(c, "up/") == 0);
    qcos_queue_free(q);
    free(rk);
    free(rs);
    free(known);
    free(stream);
}

static void test_pause_cancel(const qcos_client *c) {
    qcos_queue *q = NULL;
    const size_t len = 8 * MIB;
    uint8_t *data = make_data(len, 3);
    reader *r1 = new_reader(data, len, 65536), *r2 = new_reader(data, len, 65536);
    uint64_t run = 0, waiting = 0;
    qcos_task_info *info;
    size_t calls;
    OK(qcos_queue_new(c, &q)); /* one worker: the second task waits */
    OK(qcos_queue_upload_from_callback(q, "cs/run.bin", UINT64_MAX, read_cb, r1, NULL, NULL, &run));
    OK(qcos_queue_upload_from_callback(q, "cs/wait.bin", len, read_cb, r2, NULL, NULL, &waiting));
    CHECK(wait_progress(q, run, MIB));
    EXPECT_STATUS(qcos_queue_pause(q, run), QCOS_STATUS_INVALID_STATE, "cannot be paused");
    EXPECT_STATUS(qcos_queue_pause(q, waiting), QCOS_STATUS_INVALID_STATE, "reader");
    OK(qcos_queue_cancel(q, waiting));
    info = ended_in(q, waiting, QCOS_TASK_STATE_CANCELLED);
    qcos_task_info_free(info);
    CHECK(atomic_load(&r2->calls) == 0);
    OK(qcos_queue_cancel(q, run));
    info = ended_in(q, run, QCOS_TASK_STATE_CANCELLED);
    if (info) CHECK(qcos_task_info_error_status(info) == QCOS_STATUS_OK);
    qcos_task_info_free(info);
    /* Nothing calls the callback once the task is final. */
    calls = atomic_load(&r1->calls);
    sleep_ms(100);
    CHECK(atomic_load(&r1->calls) == calls);
    CHECK(atomic_load(&r1->given) < len);
    CHECK(uploads_under(c, "cs/") == 0);
    EXPECT_STATUS(qcos_queue_resume(q, run), QCOS_STATUS_INVALID_STATE, NULL);
    qcos_queue_free(q);
    free(r1);
    free(r2);
    free(data);
}

static void test_callback_stops_and_short(const qcos_client *c) {
    qcos_queue *q = NULL;
    const size_t len = 4 * MIB;
    uint8_t *data = make_data(len, 4);
    reader *stop = new_reader(data, len, 65536), *shortr = new_reader(data, 2 * MIB, 65536);
    uint64_t a = 0, b = 0;
    qcos_task_info *info;
    stop->stop_at = MIB + MIB / 2;
    OK(qcos_queue_new(c, &q));
    OK(qcos_queue_upload_from_callback(q, "st/stop.bin", UINT64_MAX, read_cb, stop, NULL, NULL, &a));
    info = ended_in(q, a, QCOS_TASK_STATE_CANCELLED);
    qcos_task_info_free(info);
    CHECK(uploads_under(c, "st/") == 0);
    /* Declares 3 MiB, gives 2 MiB: the task fails, its upload aborted. */
    OK(qcos_queue_upload_from_callback(q, "st/short.bin", 3 * MIB, read_cb, shortr, NULL, NULL, &b));
    info = ended_in(q, b, QCOS_TASK_STATE_FAILED);
    if (info) {
        CHECK(qcos_task_info_error_status(info) == QCOS_STATUS_INVALID_STATE);
        CHECK(strstr(qcos_task_info_error_message(info), "declared") != NULL);
        CHECK(streq(qcos_task_info_upload_id(info), ""));
    }
    qcos_task_info_free(info);
    CHECK(uploads_under(c, "st/") == 0);
    EXPECT_STATUS(qcos_queue_resume(q, b), QCOS_STATUS_INVALID_STATE, "cannot be resumed");
    OK(qcos_queue_cancel(q, b));
    qcos_queue_free(q);
    free(stop);
    free(shortr);
    free(data);
}

static void test_free_mid_stream(const qcos_client *c) {
    qcos_queue *q = NULL;
    const size_t len = 8 * MIB;
    uint8_t *data = make_data(len, 5);
    reader *r1 = new_reader(data, len, 65536), *r2 = new_reader(data, len, 65536);
    uint64_t a = 0, b = 0;
    OK(qcos_queue_new(c, &q));
    OK(qcos_queue_upload_from_callback(q, "cs/free1.bin", UINT64_MAX, read_cb, r1, NULL, NULL, &a));
    OK(qcos_queue_upload_from_callback(q, "cs/free2.bin", UINT64_MAX, read_cb, r2, NULL, NULL, &b));
    CHECK(wait_progress(q, a, MIB));
    qcos_queue_free(q);
    /* Freed right away: a call after qcos_queue_free returned would read freed memory. */
    CHECK(atomic_load(&r2->calls) == 0);
    free(r1);
    free(r2);
    free(data);
    CHECK(uploads_under(c, "cs/") == 0);
}

static void test_bad_arguments(const qcos_client *c) {
    qcos_queue *q = NULL;
    uint8_t d[4] = {1, 2, 3, 4};
    reader *r = new_reader(d, sizeof d, 4);
    uint64_t id = 0;
    OK(qcos_queue_new(c, &q));
    NULLARG(qcos_queue_upload_from_callback(NULL, "k", 4, read_cb, r, NULL, NULL, &id), "queue");
    NULLARG(qcos_queue_upload_from_callback(q, NULL, 4, read_cb, r, NULL, NULL, &id), "key");
    NULLARG(qcos_queue_upload_from_callback(q, "k", 4, NULL, r, NULL, NULL, &id), "read_cb");
    NULLARG(qcos_queue_upload_from_callback(q, "k", 4, read_cb, r, NULL, NULL, NULL), "task_out");
    INVALID(qcos_queue_upload_from_callback(q, BAD_UTF8, 4, read_cb, r, NULL, NULL, &id), "UTF-8");
    INVALID(qcos_queue_upload_from_callback(q, "", 4, read_cb, r, NULL, NULL, &id), "key");
    CHECK(id == 0);
    CHECK(!qcos_task_info_is_stream(NULL));
    qcos_queue_free(q);
    CHECK(atomic_load(&r->calls) == 0);
    free(r);
}

int main(void) {
    const qcos_client *one, *two;
    g_main = pthread_self();
    two = make_client(2);
    one = make_client(1);
    test_bad_arguments(two);
    test_uploads(two);
    test_pause_cancel(one);
    test_callback_stops_and_short(two);
    test_free_mid_stream(one);
    qcos_client_free(one);
    qcos_client_free(two);
    printf("%d checks, %d failed\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
