/* Free a client whose queues have tasks running, with an event callback registered.
 * Run by tests/queue_c.rs (also under valgrind) against a server that stalls every
 * Upload Part under "cfree/" and "cbfree/", so the big uploads are surely running.
 *
 * Part 1: qcos_client_free returns with the queue shut down: the callback is never
 * called again (counted; its heap block is freed right after, so a late call would be
 * an invalid write under valgrind), the running and waiting tasks are CANCELLED, the
 * paused one stays PAUSED, the queue still answers task info, wait and next_event and
 * refuses new work; a second queue of the same client is shut down too, while a queue
 * of another client is not disturbed; qcos_queue_free works afterwards.
 * Part 2: the client is freed from inside the queue's own event callback: no deadlock,
 * the running task ends CANCELLED. */
#define _POSIX_C_SOURCE 200809L
#include "queue_common.h"

#include <pthread.h>
#include <time.h>

struct shared {
    pthread_mutex_t lock;
    int calls;
    int progress;
    /* Part 2: the client the callback frees, and whether it did. */
    const qcos_client *client;
    int freed_client;
};

static volatile int g_freed;
static volatile int g_after_free;

static void on_event(void *user_data, const qcos_queue_event *ev) {
    struct shared *s = user_data;
    if (g_freed) g_after_free++;
    pthread_mutex_lock(&s->lock);
    s->calls++;
    if (ev->kind == QCOS_EVENT_KIND_PROGRESS && ev->loaded > 0) s->progress++;
    pthread_mutex_unlock(&s->lock);
}

static void ignore_event(void *user_data, const qcos_queue_event *ev) {
    (void)user_data;
    (void)ev;
}

/* Part 2's callback: frees the client (and so shuts this very queue down) once bytes
 * are moving. */
static void free_client_inside(void *user_data, const qcos_queue_event *ev) {
    struct shared *s = user_data;
    const qcos_client *c = NULL;
    pthread_mutex_lock(&s->lock);
    s->calls++;
    if (ev->kind == QCOS_EVENT_KIND_PROGRESS && ev->loaded > 0 && s->client) {
        c = s->client;
        s->client = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    if (c) {
        qcos_client_free(c);
        pthread_mutex_lock(&s->lock);
        s->freed_client = 1;
        pthread_mutex_unlock(&s->lock);
    }
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Wait (up to a minute) until `*flag` (read under the lock) is non-zero. */
static int wait_flag(struct shared *s, const int *flag) {
    int spins, got = 0;
    for (spins = 0; spins < 3000 && !got; spins++) {
        pthread_mutex_lock(&s->lock);
        got = *flag != 0;
        pthread_mutex_unlock(&s->lock);
        if (!got) sleep_ms(20);
    }
    return got;
}

static qcos_task_state state_of(const qcos_queue *q, uint64_t id) {
    qcos_task_info *info = NULL;
    qcos_task_state st = QCOS_TASK_STATE_FAILED;
    if (qcos_queue_task_info(q, id, &info) == QCOS_STATUS_OK) {
        st = qcos_task_info_state(info);
        qcos_task_info_free(info);
    }
    return st;
}

static void part1(void) {
    /* One worker: the big upload runs, the second waits, the third is paused. */
    const qcos_client *c = make_client(1, 2, 10);
    const qcos_client *other = make_client(1, 2, 10);
    qcos_queue *q = NULL, *q2 = NULL, *q3 = NULL;
    char big[256], small[256];
    uint64_t run_id = 0, wait_id = 0, paused_id = 0, id = 0;
    int calls, progress, saw_cancelled = 0;
    struct shared *s = calloc(1, sizeof *s);
    qcos_task_state st = QCOS_TASK_STATE_WAITING;
    qcos_queue_event ev;
    bool has = false;

    pthread_mutex_init(&s->lock, NULL);
    qcos_client_create_bucket(c);
    make_file(big, "big.bin", 24 * MIB, 3);
    make_file(small, "small.bin", 1000, 4);
    CHECK_ST(qcos_queue_new(c, &q), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_new(c, &q2), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_new(other, &q3), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_set_event_callback(q, on_event, s), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_upload(q, "cfree/big.bin", big, NULL, NULL, &run_id), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_upload(q, "cfree/wait.bin", small, NULL, NULL, &wait_id),
             QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_upload(q, "cfree/paused.bin", small, NULL, NULL, &paused_id),
             QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_pause(q, paused_id), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_upload(q2, "cfree/q2.bin", big, NULL, NULL, &id), QCOS_STATUS_OK);

    /* Bytes are moving: the big upload is running (its parts stall on the server). */
    CHECK(wait_flag(s, &s->progress));
    CHECK(state_of(q, run_id) == QCOS_TASK_STATE_RUNNING);

    qcos_client_free(c);
    pthread_mutex_lock(&s->lock);
    calls = s->calls;
    progress = s->progress;
    pthread_mutex_unlock(&s->lock);
    g_freed = 1;
    /* Give a stray thread (there must be none) time to call back. */
    sleep_ms(300);
    pthread_mutex_lock(&s->lock);
    CHECK(s->calls == calls);
    CHECK(s->progress == progress);
    pthread_mutex_unlock(&s->lock);
    CHECK(g_after_free == 0);
    pthread_mutex_destroy(&s->lock);
    free(s); /* a callback now would write freed memory */

    /* The recorded states. */
    CHECK(state_of(q, run_id) == QCOS_TASK_STATE_CANCELLED);
    CHECK(state_of(q, wait_id) == QCOS_TASK_STATE_CANCELLED);
    CHECK(state_of(q, paused_id) == QCOS_TASK_STATE_PAUSED);
    CHECK(state_of(q2, id) == QCOS_TASK_STATE_CANCELLED);
    /* wait answers at once: ended tasks, and a paused one nothing can resume (the
     * timeouts only bound a regression). */
    CHECK_ST(qcos_queue_wait(q, run_id, 0, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_CANCELLED);
    CHECK_ST(qcos_queue_wait(q, wait_id, 0, NULL), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q, paused_id, 5000, NULL), QCOS_STATUS_INVALID_STATE);
    /* New work and task controls are refused. */
    CHECK_ST(qcos_queue_upload(q, "cfree/late.bin", small, NULL, NULL, &id),
             QCOS_STATUS_INVALID_STATE);
    CHECK(strstr(qcos_last_error_message(), "shut down") != NULL);
    CHECK_ST(qcos_queue_download(q, "cfree/late.bin", small, NULL, &id),
             QCOS_STATUS_INVALID_STATE);
    CHECK_ST(qcos_queue_pause(q, paused_id), QCOS_STATUS_INVALID_STATE);
    CHECK_ST(qcos_queue_resume(q, paused_id), QCOS_STATUS_INVALID_STATE);
    CHECK_ST(qcos_queue_cancel(q, paused_id), QCOS_STATUS_INVALID_STATE);
    CHECK_ST(qcos_queue_set_event_callback(q, ignore_event, NULL), QCOS_STATUS_INVALID_STATE);
    CHECK_ST(qcos_queue_set_event_callback(q, NULL, NULL), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_upload(q2, "cfree/late.bin", small, NULL, NULL, &id),
             QCOS_STATUS_INVALID_STATE);
    /* The events after the callback was stopped wait for next_event: among them the
     * big upload's CANCELLED. */
    while (qcos_queue_next_event(q, 0, &ev, &has) == QCOS_STATUS_OK && has)
        if (ev.task == run_id && ev.kind == QCOS_EVENT_KIND_STATE &&
            ev.state == QCOS_TASK_STATE_CANCELLED)
            saw_cancelled = 1;
    CHECK(saw_cancelled);
    qcos_queue_free(q);
    qcos_queue_free(q2);

    /* The other client's queue was not disturbed. */
    CHECK_ST(qcos_queue_upload(q3, "cfree-other/s.bin", small, NULL, NULL, &id),
             QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q3, id, 60000, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_SUCCEEDED);
    qcos_queue_free(q3);
    qcos_client_free(other);
}

static void part2(void) {
    const qcos_client *c = make_client(1, 2, 10);
    qcos_queue *q = NULL;
    char big[256];
    uint64_t id = 0;
    qcos_task_state st = QCOS_TASK_STATE_WAITING;
    struct shared *s = calloc(1, sizeof *s);

    pthread_mutex_init(&s->lock, NULL);
    s->client = c;
    make_file(big, "cb-big.bin", 16 * MIB, 5);
    CHECK_ST(qcos_queue_new(c, &q), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_set_event_callback(q, free_client_inside, s), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_upload(q, "cbfree/big.bin", big, NULL, NULL, &id), QCOS_STATUS_OK);
    CHECK(wait_flag(s, &s->freed_client));
    /* The shutdown inside the callback cancelled the running task before returning. */
    CHECK_ST(qcos_queue_wait(q, id, 0, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_CANCELLED);
    CHECK_ST(qcos_queue_upload(q, "cbfree/late.bin", big, NULL, NULL, &id),
             QCOS_STATUS_INVALID_STATE);
    qcos_queue_free(q);
    /* The event thread ended right after its callback returned; let it finish. */
    sleep_ms(100);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int main(void) {
    part1();
    part2();
    return finish();
}
