/* Cancel from C: a running upload (its multipart upload is aborted: tests/queue_c.rs
 * lists none under cancel/ afterwards), a waiting one, a paused one; and a failed task
 * carrying the service's error. */
#include "queue_common.h"

static void wait_for(qcos_queue *q, uint64_t id, int kind, qcos_task_state state, uint64_t min) {
    qcos_queue_event ev;
    bool has = false;
    int spins = 0;
    while (spins++ < 100000) {
        if (qcos_queue_next_event(q, 1000, &ev, &has) != QCOS_STATUS_OK) break;
        if (has && ev.task == id && (int)ev.kind == kind &&
            (kind == QCOS_EVENT_KIND_PROGRESS ? ev.loaded >= min : ev.state == state))
            return;
    }
    CHECK(!"the awaited event never came");
}

int main(void) {
    const qcos_client *c = make_client(1, 2, 20);
    qcos_queue *q = NULL;
    char path[256], small[256];
    uint64_t run = 0, waiting = 0, paused = 0, denied = 0;
    qcos_task_state st;
    qcos_task_info *info = NULL;

    qcos_client_create_bucket(c);
    make_file(path, "c.bin", 10 * MIB, 5);
    make_file(small, "s.bin", 100, 6);
    CHECK_ST(qcos_queue_new(c, &q), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_upload(q, "cancel/run.bin", path, NULL, NULL, &run), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_upload(q, "cancel/wait.bin", small, NULL, NULL, &waiting), QCOS_STATUS_OK);
    /* One worker: the second waits. Cancel it before it runs. */
    CHECK_ST(qcos_queue_cancel(q, waiting), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q, waiting, 0, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_CANCELLED);
    wait_for(q, run, QCOS_EVENT_KIND_PROGRESS, QCOS_TASK_STATE_RUNNING, MIB);
    CHECK_ST(qcos_queue_cancel(q, run), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q, run, -1, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_CANCELLED);
    CHECK_ST(qcos_queue_cancel(q, run), QCOS_STATUS_INVALID_STATE);
    CHECK_ST(qcos_queue_resume(q, run), QCOS_STATUS_INVALID_STATE);

    /* Paused, then cancelled: this call sends the Abort. */
    CHECK_ST(qcos_queue_upload(q, "cancel/paused.bin", path, NULL, NULL, &paused), QCOS_STATUS_OK);
    wait_for(q, paused, QCOS_EVENT_KIND_PROGRESS, QCOS_TASK_STATE_RUNNING, MIB);
    CHECK_ST(qcos_queue_pause(q, paused), QCOS_STATUS_OK);
    wait_for(q, paused, QCOS_EVENT_KIND_STATE, QCOS_TASK_STATE_PAUSED, 0);
    CHECK_ST(qcos_queue_cancel(q, paused), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_task_info(q, paused, &info), QCOS_STATUS_OK);
    CHECK(qcos_task_info_state(info) == QCOS_TASK_STATE_CANCELLED);
    qcos_task_info_free(info);

    /* The harness makes PUTs to cancel/denied answer 403 AccessDenied. */
    CHECK_ST(qcos_queue_upload(q, "cancel/denied", small, NULL, NULL, &denied), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q, denied, -1, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_FAILED);
    CHECK_ST(qcos_queue_task_info(q, denied, &info), QCOS_STATUS_OK);
    CHECK(qcos_task_info_error_status(info) == QCOS_STATUS_SERVICE);
    CHECK(qcos_task_info_error_http_status(info) == 403);
    CHECK(strcmp(qcos_task_info_error_code(info), "AccessDenied") == 0);
    CHECK(strlen(qcos_task_info_error_request_id(info)) > 0);
    CHECK(strstr(qcos_task_info_error_message(info), "AccessDenied") != NULL);
    CHECK(strcmp(qcos_task_info_etag(info), "") == 0);
    qcos_task_info_free(info);
    CHECK_ST(qcos_queue_cancel(q, denied), QCOS_STATUS_OK);

    qcos_queue_free(q);
    qcos_client_free(c);
    return finish();
}
