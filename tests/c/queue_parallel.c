/* The queue from C: 20 uploads with file_parallel_limit 3 never run more than 3 at
 * once (replayed from the event stream), every task's events are in legal order, task
 * info after success, the event callback on its own thread, and bad requests.
 * tests/queue_c.rs makes every part request to par/ slow so transfers overlap. */
#define _POSIX_C_SOURCE 200809L
#include "queue_common.h"

#include <pthread.h>
#include <time.h>

#define NFILES 20

struct cb_state {
    pthread_mutex_t lock;
    int events;
    int finals;
    int bad_order;
    int on_main_thread;
    pthread_t main_thread;
    qcos_task_state last[64];
    int seen[64];
};

static void on_event(void *user_data, const qcos_queue_event *ev) {
    struct cb_state *s = user_data;
    pthread_mutex_lock(&s->lock);
    s->events++;
    if (pthread_equal(pthread_self(), s->main_thread)) s->on_main_thread++;
    if (ev->kind == QCOS_EVENT_KIND_STATE && ev->task < 64) {
        if (s->seen[ev->task] && !legal(s->last[ev->task], ev->state)) s->bad_order++;
        if (!s->seen[ev->task] && ev->state != QCOS_TASK_STATE_WAITING) s->bad_order++;
        s->seen[ev->task] = 1;
        s->last[ev->task] = ev->state;
        if (is_final(ev->state)) s->finals++;
    }
    pthread_mutex_unlock(&s->lock);
}

int main(void) {
    const qcos_client *c = make_client(3, 2, 20);
    qcos_queue *q = NULL;
    char path[256], key[64];
    static char paths[NFILES][256];
    uint64_t ids[NFILES], id = 0;
    qcos_task_state last[NFILES + 1];
    int seen[NFILES + 1];
    int active = 0, max_active = 0, finals = 0, bad_order = 0, progress_events = 0;
    int i, spins = 0;
    qcos_queue_event ev;
    bool has = false;
    qcos_task_info *info = NULL;
    qcos_task_state st;
    struct cb_state cs;

    qcos_client_create_bucket(c);
    CHECK_ST(qcos_queue_new(c, &q), QCOS_STATUS_OK);
    /* The queue holds its own reference: the client can go now. */
    qcos_client_free(c);
    memset(seen, 0, sizeof seen);
    /* All files first, then queue them in a burst. */
    for (i = 0; i < NFILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "p%d", i);
        make_file(paths[i], name,
                  i % 2 ? (size_t)(1000 + i) : (size_t)(2 * MIB + 17u * (unsigned)i), (unsigned)i);
    }
    for (i = 0; i < NFILES; i++) {
        snprintf(key, sizeof key, "par/f%d", i);
        CHECK_ST(qcos_queue_upload(q, key, paths[i], NULL, NULL, &ids[i]), QCOS_STATUS_OK);
        CHECK(ids[i] == (uint64_t)i + 1);
    }
    memcpy(path, paths[0], sizeof path);
    while (finals < NFILES && spins < 100000) {
        spins++;
        CHECK_ST(qcos_queue_next_event(q, 1000, &ev, &has), QCOS_STATUS_OK);
        if (!has) continue;
        if (ev.task < 1 || ev.task > NFILES) {
            bad_order++;
            continue;
        }
        if (ev.kind == QCOS_EVENT_KIND_PROGRESS) {
            progress_events++;
            if (!seen[ev.task] || last[ev.task] != QCOS_TASK_STATE_RUNNING) bad_order++;
            continue;
        }
        if (!seen[ev.task]) {
            if (ev.state != QCOS_TASK_STATE_WAITING) bad_order++;
        } else if (!legal(last[ev.task], ev.state)) {
            fprintf(stderr, "task %llu: %s -> %s\n", (unsigned long long)ev.task,
                    qcos_task_state_str(last[ev.task]), qcos_task_state_str(ev.state));
            bad_order++;
        }
        if (ev.state == QCOS_TASK_STATE_CHECKING) active++;
        if (seen[ev.task] &&
            (last[ev.task] == QCOS_TASK_STATE_CHECKING || last[ev.task] == QCOS_TASK_STATE_RUNNING) &&
            ev.state != QCOS_TASK_STATE_RUNNING)
            active--;
        if (active > max_active) max_active = active;
        seen[ev.task] = 1;
        last[ev.task] = ev.state;
        if (is_final(ev.state)) finals++;
    }
    printf("max_active %d\n", max_active);
    CHECK(finals == NFILES);
    CHECK(bad_order == 0);
    CHECK(max_active == 3);
    CHECK(progress_events > 0);
    for (i = 0; i < NFILES; i++) {
        CHECK(last[ids[i]] == QCOS_TASK_STATE_SUCCEEDED);
        CHECK_ST(qcos_queue_wait(q, ids[i], -1, &st), QCOS_STATUS_OK);
        CHECK(st == QCOS_TASK_STATE_SUCCEEDED);
    }
    CHECK_ST(qcos_queue_task_info(q, ids[0], &info), QCOS_STATUS_OK);
    CHECK(qcos_task_info_id(info) == ids[0]);
    CHECK(qcos_task_info_is_upload(info));
    CHECK(qcos_task_info_state(info) == QCOS_TASK_STATE_SUCCEEDED);
    CHECK(strcmp(qcos_task_info_key(info), "par/f0") == 0);
    CHECK(strstr(qcos_task_info_path(info), "/p0") != NULL);
    CHECK(qcos_task_info_loaded(info) == 2 * MIB && qcos_task_info_total(info) == 2 * MIB);
    CHECK(qcos_task_info_total_known(info));
    CHECK(qcos_task_info_size(info) == 2 * MIB);
    CHECK(qcos_task_info_crc64_verified(info));
    CHECK(qcos_task_info_crc64(info) != 0);
    CHECK(strlen(qcos_task_info_etag(info)) > 0);
    CHECK(qcos_task_info_error_status(info) == QCOS_STATUS_OK);
    CHECK(strcmp(qcos_task_info_error_message(info), "") == 0);
    qcos_task_info_free(info);

    /* Impossible requests get clear statuses. */
    CHECK_ST(qcos_queue_resume(q, ids[0]), QCOS_STATUS_INVALID_STATE);
    CHECK(strstr(qcos_last_error_message(), "succeeded") != NULL);
    CHECK_ST(qcos_queue_pause(q, ids[0]), QCOS_STATUS_INVALID_STATE);
    CHECK_ST(qcos_queue_cancel(q, ids[0]), QCOS_STATUS_INVALID_STATE);
    CHECK_ST(qcos_queue_pause(q, 12345), QCOS_STATUS_NOT_FOUND);
    CHECK_ST(qcos_queue_task_info(q, 12345, &info), QCOS_STATUS_NOT_FOUND);
    CHECK_ST(qcos_queue_wait(q, 12345, 0, NULL), QCOS_STATUS_NOT_FOUND);
    CHECK_ST(qcos_queue_upload(q, "k", "/nonexistent/file", NULL, NULL, &id), QCOS_STATUS_IO);
    CHECK_ST(qcos_queue_upload(q, "k", path, NULL, NULL, NULL), QCOS_STATUS_INVALID_ARGUMENT);
    CHECK_ST(qcos_queue_upload(NULL, "k", path, NULL, NULL, &id), QCOS_STATUS_INVALID_ARGUMENT);
    CHECK_ST(qcos_queue_next_event(q, 0, NULL, &has), QCOS_STATUS_INVALID_ARGUMENT);
    CHECK_ST(qcos_queue_next_event(q, 0, &ev, &has), QCOS_STATUS_OK);
    CHECK(!has);

    /* A callback gets the events on the queue's event thread. */
    memset(&cs, 0, sizeof cs);
    pthread_mutex_init(&cs.lock, NULL);
    cs.main_thread = pthread_self();
    CHECK_ST(qcos_queue_set_event_callback(q, on_event, &cs), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_next_event(q, 0, &ev, &has), QCOS_STATUS_INVALID_STATE);
    CHECK_ST(qcos_queue_upload(q, "par/cb1", path, NULL, NULL, &id), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q, id, 60000, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_SUCCEEDED);
    CHECK_ST(qcos_queue_download(q, "par/f0", path, NULL, &id), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q, id, 60000, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_SUCCEEDED);
    /* Removing the callback waits for it: afterwards its state is ours alone. */
    for (spins = 0; spins < 500; spins++) {
        int done;
        pthread_mutex_lock(&cs.lock);
        done = cs.finals >= 2;
        pthread_mutex_unlock(&cs.lock);
        if (done) break;
        {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    CHECK_ST(qcos_queue_set_event_callback(q, NULL, NULL), QCOS_STATUS_OK);
    CHECK(cs.finals == 2);
    CHECK(cs.bad_order == 0);
    CHECK(cs.on_main_thread == 0);
    CHECK(cs.events >= 6);
    pthread_mutex_destroy(&cs.lock);
    CHECK_ST(qcos_queue_next_event(q, 0, &ev, &has), QCOS_STATUS_OK);

    qcos_queue_free(q);
    qcos_queue_free(NULL);
    return finish();
}
