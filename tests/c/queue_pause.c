/* Pause then resume a large upload from C:  queue_pause SIZE_MIB PART_MIB.
 * tests/queue_c.rs slows every part request to pause/ and then counts the server's
 * Upload Part requests: each part exactly once. With parts larger than the loopback
 * socket buffers the pause arrives while parts are mid-body, which it must not cut
 * short. Prints "parts N" (the number of parts of the upload) for the harness. */
#include "queue_common.h"

int main(int argc, char **argv) {
    const size_t len = (argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 24) * MIB + 777;
    const size_t part = (argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 1) * MIB;
    qcos_transfer_options *topts = NULL;
    const qcos_client *c = make_client(2, 2, 20);
    qcos_queue *q = NULL;
    char path[256];
    uint64_t id = 0;
    qcos_queue_event ev;
    bool has = false;
    int paused = 0, spins = 0;
    uint64_t loaded_at_pause = 0;
    qcos_task_state st;
    qcos_task_info *info = NULL;

    qcos_client_create_bucket(c);
    make_file(path, "big.bin", len, 9);
    CHECK_ST(qcos_queue_new(c, &q), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_new(&topts), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_part_size(topts, part), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_upload(q, "pause/big.bin", path, NULL, topts, &id), QCOS_STATUS_OK);
    qcos_transfer_options_free(topts); /* the queue copied what it needs */
    /* Pause once three parts' worth of bytes are on the way. */
    while (spins++ < 100000) {
        CHECK_ST(qcos_queue_next_event(q, 1000, &ev, &has), QCOS_STATUS_OK);
        if (has && ev.kind == QCOS_EVENT_KIND_PROGRESS && ev.loaded >= 3 * part) {
            loaded_at_pause = ev.loaded;
            break;
        }
    }
    CHECK(loaded_at_pause >= 3 * part);
    CHECK_ST(qcos_queue_pause(q, id), QCOS_STATUS_OK);
    while (!paused && spins++ < 100000) {
        CHECK_ST(qcos_queue_next_event(q, 1000, &ev, &has), QCOS_STATUS_OK);
        if (has && ev.kind == QCOS_EVENT_KIND_STATE && ev.state == QCOS_TASK_STATE_PAUSED)
            paused = 1;
    }
    CHECK(paused);
    CHECK_ST(qcos_queue_task_info(q, id, &info), QCOS_STATUS_OK);
    CHECK(qcos_task_info_state(info) == QCOS_TASK_STATE_PAUSED);
    CHECK(qcos_task_info_loaded(info) < len);
    qcos_task_info_free(info);
    /* Waiting on a paused task times out: it has not ended. */
    CHECK_ST(qcos_queue_wait(q, id, 50, &st), QCOS_STATUS_TIMEOUT);
    CHECK_ST(qcos_queue_pause(q, id), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_resume(q, id), QCOS_STATUS_OK);
    CHECK_ST(qcos_queue_wait(q, id, -1, &st), QCOS_STATUS_OK);
    CHECK(st == QCOS_TASK_STATE_SUCCEEDED);
    CHECK_ST(qcos_queue_task_info(q, id, &info), QCOS_STATUS_OK);
    CHECK(qcos_task_info_size(info) == len);
    CHECK(qcos_task_info_crc64_verified(info));
    qcos_task_info_free(info);
    printf("parts %zu\n", (len + part - 1) / part);
    qcos_queue_free(q);
    qcos_client_free(c);
    return finish();
}
