/* Free a queue in the middle of its transfers, with an event callback registered.
 * Run under valgrind by tests/queue_c.rs: no leak, no invalid access. The callback
 * writes into a heap block that is freed right after qcos_queue_free returns, so a
 * callback after the free would be an invalid write valgrind reports (and it also
 * counts calls after the free, which must be none). */
#define _POSIX_C_SOURCE 200809L
#include "queue_common.h"

#include <pthread.h>
#include <time.h>

struct shared {
    pthread_mutex_t lock;
    int progress;
    int calls;
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

int main(void) {
    const qcos_client *c = make_client(2, 2, 10);
    qcos_queue *q = NULL;
    char path[256], key[64];
    uint64_t id = 0;
    int i, spins, got = 0;
    struct shared *s = calloc(1, sizeof *s);
    struct timespec ts = {0, 20 * 1000 * 1000};

    pthread_mutex_init(&s->lock, NULL);
    qcos_client_create_bucket(c);
    make_file(path, "f.bin", 4 * MIB, 1);
    CHECK_ST(qcos_queue_new(c, &q), QCOS_STATUS_OK);
    qcos_client_free(c); /* the queue keeps the client alive */
    CHECK_ST(qcos_queue_set_event_callback(q, on_event, s), QCOS_STATUS_OK);
    for (i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "free/f%d.bin", i);
        CHECK_ST(qcos_queue_upload(q, key, path, NULL, NULL, &id), QCOS_STATUS_OK);
    }
    /* Wait until bytes are moving, then free everything. */
    for (spins = 0; spins < 3000 && !got; spins++) {
        pthread_mutex_lock(&s->lock);
        got = s->progress > 0;
        pthread_mutex_unlock(&s->lock);
        if (!got) nanosleep(&ts, NULL);
    }
    CHECK(got);
    qcos_queue_free(q);
    g_freed = 1;
    pthread_mutex_destroy(&s->lock);
    free(s);
    /* Give a stray thread (there must be none) time to call back. */
    ts.tv_nsec = 200 * 1000 * 1000;
    nanosleep(&ts, NULL);
    CHECK(g_after_free == 0);
    return finish();
}
