/* Queued server-side copies from C:  queue_copy all | queue_copy pause.
 * tests/queue_c.rs puts the sources first (src/small.bin, 100 KiB; src/big.bin,
 * 20 MiB + 321 bytes) and checks the server afterwards.
 *
 * all:   a single PUT Object - Copy and a multipart copy complete with the source's
 *        CRC-64; task info of a copy; events in legal order; a running copy and a
 *        paused one cancelled (their multipart uploads aborted); a missing source fails
 *        with the service's 404; bad arguments are refused with their names.
 * pause: a multipart copy paused once some parts are done, then resumed; prints
 *        "parts N" so the harness can check that each part was copied exactly once. */
#include "queue_common.h"

#define SMALL_LEN (100u * 1024u)
#define BIG_LEN (20u * MIB + 321u)
#define PART (2u * MIB)
#define MAX_TASKS 64

static qcos_task_state g_state[MAX_TASKS];
static int g_seen[MAX_TASKS];

/* Read events for up to `ms` per wait until `stop` says so (or nothing comes for a
 * long time); check each state event against the transition table. Returns the
 * event that stopped the loop (has = 0 when none did). */
typedef int (*stop_fn)(const qcos_queue_event *ev, uint64_t task, uint64_t arg);

static qcos_queue_event pump(qcos_queue *q, stop_fn stop, uint64_t task, uint64_t arg, int *has) {
    qcos_queue_event ev;
    bool got = false;
    int idle = 0;
    memset(&ev, 0, sizeof ev);
    *has = 0;
    while (idle < 120) {
        CHECK_ST(qcos_queue_next_event(q, 1000, &ev, &got), QCOS_STATUS_OK);
        if (!got) {
            idle++;
            continue;
        }
        idle = 0;
        if (ev.task < MAX_TASKS && ev.kind == QCOS_EVENT_KIND_STATE) {
            if (g_seen[ev.task]) {
                if (!legal(g_state[ev.task], ev.state))
                    fprintf(stderr, "task %llu: %s -> %s\n", (unsigned long long)ev.task,
                            qcos_task_state_str(g_state[ev.task]), qcos_task_state_str(ev.state));
                CHECK(legal(g_state[ev.task], ev.state));
            } else {
                CHECK(ev.state == QCOS_TASK_STATE_WAITING);
            }
            g_seen[ev.task] = 1;
            g_state[ev.task] = ev.state;
        }
        if (ev.task < MAX_TASKS && ev.kind == QCOS_EVENT_KIND_PROGRESS)
            CHECK(g_seen[ev.task] && g_state[ev.task] == QCOS_TASK_STATE_RUNNING);
        if (stop(&ev, task, arg)) {
            *has = 1;
            return ev;
        }
    }
    return ev;
}

static int progress_at_least(const qcos_queue_event *ev, uint64_t task, uint64_t bytes) {
    return ev->task == task && ev->kind == QCOS_EVENT_KIND_PROGRESS && ev->loaded >= bytes;
}

static int entered(const qcos_queue_event *ev, uint64_t task, uint64_t state) {
    return ev->task == task && ev->kind == QCOS_EVENT_KIND_STATE && (uint64_t)ev->state == state;
}

static uint64_t head_crc(const qcos_client *c, const char *key) {
    qcos_object_info *oi = NULL;
    uint64_t crc = 0;
    CHECK_ST(qcos_client_head_object(c, key, NULL, &oi), QCOS_STATUS_OK);
    if (oi) crc = qcos_object_info_crc64(oi);
    qcos_object_info_free(oi);
    return crc;
}

static qcos_transfer_options *copy_opts(void) {
    qcos_transfer_options *t = NULL;
    CHECK_ST(qcos_transfer_options_new(&t), QCOS_STATUS_OK);
    /* For copies: the single-copy threshold and the part size. */
    CHECK_ST(qcos_transfer_options_set_slice_size(t, 4 * MIB), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_part_size(t, PART), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_parallel(t, 2), QCOS_STATUS_OK);
    return t;
}

static void check_succeeded_copy(qcos_queue *q, const qcos_client *c, uint64_t id, const char *dest,
                                  const char *src, uint64_t len) {
    qcos_task_state st = QCOS_TASK_STATE_FAILED;
    qcos_task_info *info = NULL;
    const char *bucket = getenv("COS_BUCKET");
    CHECK_ST(qcos_queue_wait(q, id, -1, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_SUCCEEDED);
    CHECK_ST(qcos_queue_task_info(q, id, &info), QCOS_STATUS_OK);
    if (!info) return;
    CHECK(qcos_task_info_is_copy(info));
    CHECK(!qcos_task_info_is_upload(info));
    CHECK(strcmp(qcos_task_info_key(info), dest) == 0);
    CHECK(strcmp(qcos_task_info_path(info), "") == 0);
    CHECK(strcmp(qcos_task_info_source_key(info), src) == 0);
    CHECK(bucket && strcmp(qcos_task_info_source_bucket(info), bucket) == 0);
    CHECK(strcmp(qcos_task_info_source_region(info), getenv("COS_REGION")) == 0);
    CHECK(strcmp(qcos_task_info_source_version_id(info), "") == 0);
    CHECK(qcos_task_info_size(info) == len);
    CHECK(qcos_task_info_loaded(info) == len);
    CHECK(qcos_task_info_total_known(info) && qcos_task_info_total(info) == len);
    CHECK(qcos_task_info_crc64_verified(info));
    CHECK(qcos_task_info_crc64(info) == head_crc(c, src));
    CHECK(qcos_task_info_crc64(info) == head_crc(c, dest));
    CHECK(strlen(qcos_task_info_etag(info)) > 0);
    qcos_task_info_free(info);
}

static int run_all(const qcos_client *c, qcos_queue *q) {
    const char *bucket = getenv("COS_BUCKET"), *region = getenv("COS_REGION");
    qcos_transfer_options *t = copy_opts();
    uint64_t small = 0, big = 0, run = 0, paused = 0, missing = 0, bad = 0;
    qcos_task_state st;
    qcos_task_info *info = NULL;
    int has = 0;

    /* Small: one PUT Object - Copy (below the 4 MiB threshold). */
    CHECK_ST(qcos_queue_copy(q, "cp/small.bin", bucket, region, "src/small.bin", NULL, NULL, t, &small),
             QCOS_STATUS_OK);
    CHECK(small != 0);
    /* Big: a multipart copy of 2 MiB parts. */
    CHECK_ST(qcos_queue_copy(q, "cp/big.bin", bucket, region, "src/big.bin", NULL, NULL, t, &big),
             QCOS_STATUS_OK);
    check_succeeded_copy(q, c, small, "cp/small.bin", "src/small.bin", SMALL_LEN);
    check_succeeded_copy(q, c, big, "cp/big.bin", "src/big.bin", BIG_LEN);
    pump(q, entered, big, QCOS_TASK_STATE_SUCCEEDED, &has);
    CHECK(has);

    /* A running copy cancelled: its multipart upload is aborted (the harness slows the
     * parts of cp/cancel and lists the uploads afterwards). */
    CHECK_ST(qcos_queue_copy(q, "cp/cancel.bin", bucket, region, "src/big.bin", NULL, NULL, t, &run),
             QCOS_STATUS_OK);
    pump(q, progress_at_least, run, PART, &has);
    CHECK(has);
    CHECK_ST(qcos_queue_cancel(q, run), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q, run, -1, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_CANCELLED);
    CHECK_ST(qcos_queue_task_info(q, run, &info), QCOS_STATUS_OK);
    CHECK(qcos_task_info_error_status(info) == QCOS_STATUS_OK);
    qcos_task_info_free(info);
    pump(q, entered, run, QCOS_TASK_STATE_CANCELLED, &has);
    CHECK(has);

    /* A paused copy cancelled: this thread sends the Abort. */
    CHECK_ST(qcos_queue_copy(q, "cp/cancel2.bin", bucket, region, "src/big.bin", NULL, NULL, t, &paused),
             QCOS_STATUS_OK);
    pump(q, progress_at_least, paused, PART, &has);
    CHECK(has);
    CHECK_ST(qcos_queue_pause(q, paused), QCOS_STATUS_OK);
    pump(q, entered, paused, QCOS_TASK_STATE_PAUSED, &has);
    CHECK(has);
    CHECK_ST(qcos_queue_cancel(q, paused), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_task_info(q, paused, &info), QCOS_STATUS_OK);
    CHECK(qcos_task_info_state(info) == QCOS_TASK_STATE_CANCELLED);
    qcos_task_info_free(info);
    CHECK_ST(qcos_queue_resume(q, paused), QCOS_STATUS_INVALID_STATE);

    /* A missing source: the task fails with the service's error. */
    CHECK_ST(qcos_queue_copy(q, "cp/missing.bin", bucket, region, "src/missing.bin", NULL, NULL, NULL,
                             &missing),
             QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q, missing, -1, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_FAILED);
    CHECK_ST(qcos_queue_task_info(q, missing, &info), QCOS_STATUS_OK);
    CHECK(qcos_task_info_error_status(info) == QCOS_STATUS_SERVICE);
    CHECK(qcos_task_info_error_http_status(info) == 404);
    /* The HEAD of the source found nothing: a HEAD answer has no error document, so the
     * code comes from its status (or an x-cos-error-code header). */
    CHECK(strlen(qcos_task_info_error_code(info)) > 0);
    CHECK(strlen(qcos_task_info_error_request_id(info)) > 0);
    CHECK(qcos_task_info_is_copy(info));
    qcos_task_info_free(info);
    /* A failed copy can be cancelled (nothing to abort). */
    CHECK_ST(qcos_queue_cancel(q, missing), QCOS_STATUS_OK);

    /* Bad arguments name themselves; nothing is queued. */
    CHECK_ST(qcos_queue_copy(q, "cp/x", NULL, region, "src/small.bin", NULL, NULL, NULL, &bad),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(qcos_last_error_message(), "src_bucket") != NULL);
    CHECK_ST(qcos_queue_copy(q, "cp/x", "Bad_Bucket", region, "src/small.bin", NULL, NULL, NULL, &bad),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(qcos_last_error_message(), "src_bucket") != NULL);
    CHECK_ST(qcos_queue_copy(q, "cp/x", bucket, region, "", NULL, NULL, NULL, &bad),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(qcos_last_error_message(), "src_key") != NULL);
    CHECK_ST(qcos_queue_copy(q, "", bucket, region, "src/small.bin", NULL, NULL, NULL, &bad),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK_ST(qcos_queue_copy(q, "cp/x", bucket, region, "src/small.bin", NULL, NULL, NULL, NULL),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(qcos_last_error_message(), "task_out") != NULL);
    CHECK_ST(qcos_queue_copy(NULL, "cp/x", bucket, region, "src/small.bin", NULL, NULL, NULL, &bad),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(bad == 0);
    qcos_transfer_options_free(t);
    return 0;
}

static int run_pause(const qcos_client *c, qcos_queue *q) {
    const char *bucket = getenv("COS_BUCKET"), *region = getenv("COS_REGION");
    qcos_transfer_options *t = copy_opts();
    uint64_t id = 0;
    qcos_task_state st;
    qcos_task_info *info = NULL;
    int has = 0;

    CHECK_ST(qcos_queue_copy(q, "pz/big.bin", bucket, region, "src/big.bin", NULL, NULL, t, &id),
             QCOS_STATUS_OK);
    qcos_transfer_options_free(t); /* the queue copied what it needs */
    pump(q, progress_at_least, id, 2 * PART, &has);
    CHECK(has);
    CHECK_ST(qcos_queue_pause(q, id), QCOS_STATUS_OK);
    pump(q, entered, id, QCOS_TASK_STATE_PAUSED, &has);
    CHECK(has);
    CHECK_ST(qcos_queue_task_info(q, id, &info), QCOS_STATUS_OK);
    CHECK(qcos_task_info_state(info) == QCOS_TASK_STATE_PAUSED);
    CHECK(qcos_task_info_loaded(info) >= 2 * PART && qcos_task_info_loaded(info) < BIG_LEN);
    qcos_task_info_free(info);
    CHECK_ST(qcos_queue_wait(q, id, 50, &st), QCOS_STATUS_TIMEOUT);
    CHECK_ST(qcos_queue_resume(q, id), QCOS_STATUS_OK);
    check_succeeded_copy(q, c, id, "pz/big.bin", "src/big.bin", BIG_LEN);
    pump(q, entered, id, QCOS_TASK_STATE_SUCCEEDED, &has);
    CHECK(has);
    printf("parts %u\n", (unsigned)((BIG_LEN + PART - 1) / PART));
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "all";
    const qcos_client *c = make_client(2, 2, 20);
    qcos_queue *q = NULL;
    CHECK_ST(qcos_queue_new(c, &q), QCOS_STATUS_OK);
    if (strcmp(mode, "pause") == 0)
        run_pause(c, q);
    else
        run_all(c, q);
    qcos_queue_free(q);
    qcos_client_free(c);
    return finish();
}
