/* Helpers shared by the queue and transfer C tests (tests/c/queue_*.c). Each program
 * reads the COS_* variables (a qcos-server started by tests/queue_c.rs) and
 * QCOS_TEST_DIR (a scratch directory), prints "<n> passed, <m> failed" and exits
 * non-zero on any failure. */
#ifndef QUEUE_COMMON_H
#define QUEUE_COMMON_H

#include "qcos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_passed, g_failed;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (cond) {                                                                     \
            g_passed++;                                                                 \
        } else {                                                                        \
            g_failed++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__,      \
                    __LINE__, #cond, qcos_last_error_message());                        \
        }                                                                               \
    } while (0)

#define CHECK_ST(call, want)                                                            \
    do {                                                                                \
        qcos_status st_ = (call);                                                       \
        if (st_ == (want)) {                                                            \
            g_passed++;                                                                 \
        } else {                                                                        \
            g_failed++;                                                                 \
            fprintf(stderr, "%s:%d: %s returned %s, wanted %s; last error: %s\n",       \
                    __FILE__, __LINE__, #call, qcos_status_str((uint32_t)st_),          \
                    qcos_status_str((uint32_t)(want)), qcos_last_error_message());      \
        }                                                                               \
    } while (0)

#define MIB (1024u * 1024u)

static inline int finish(void) {
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}

/* A client from the environment with 1 MiB parts and the given parallelism. */
static inline const qcos_client *make_client(size_t files, size_t parts, uint64_t progress_ms) {
    qcos_config *cfg = NULL;
    const qcos_client *client = NULL;
    if (qcos_config_from_env(&cfg) != QCOS_STATUS_OK) {
        fprintf(stderr, "config: %s\n", qcos_last_error_message());
        exit(2);
    }
    qcos_config_set_slice_size(cfg, MIB);
    qcos_config_set_chunk_size(cfg, MIB);
    qcos_config_set_chunk_parallel_limit(cfg, parts);
    qcos_config_set_file_parallel_limit(cfg, files);
    qcos_config_set_progress_interval_ms(cfg, progress_ms);
    qcos_config_set_retry_base_delay_ms(cfg, 5);
    if (qcos_client_new(cfg, &client) != QCOS_STATUS_OK) {
        fprintf(stderr, "client: %s\n", qcos_last_error_message());
        exit(2);
    }
    return client;
}

/* Deterministic bytes for position i of a file made with `seed`. */
static inline unsigned char byte_at(size_t i, unsigned seed) {
    return (unsigned char)((i * 31u + seed) ^ (i >> 13));
}

/* Write `len` bytes to QCOS_TEST_DIR/name; the full path goes to `path` (256 bytes). */
static inline void make_file(char *path, const char *name, size_t len, unsigned seed) {
    const char *dir = getenv("QCOS_TEST_DIR");
    FILE *f;
    size_t i;
    if (!dir) {
        fprintf(stderr, "QCOS_TEST_DIR is not set\n");
        exit(2);
    }
    snprintf(path, 256, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    for (i = 0; i < len; i++) fputc(byte_at(i, seed), f);
    fclose(f);
}

/* Whether a queue may move a task from `from` to `to` (the table of qcos_task_state). */
static inline int legal(qcos_task_state from, qcos_task_state to) {
    switch (from) {
    case QCOS_TASK_STATE_WAITING:
        return to == QCOS_TASK_STATE_CHECKING || to == QCOS_TASK_STATE_PAUSED ||
               to == QCOS_TASK_STATE_CANCELLED;
    case QCOS_TASK_STATE_CHECKING:
        return to == QCOS_TASK_STATE_RUNNING || to == QCOS_TASK_STATE_PAUSED ||
               to == QCOS_TASK_STATE_CANCELLED || to == QCOS_TASK_STATE_FAILED ||
               to == QCOS_TASK_STATE_WAITING;
    case QCOS_TASK_STATE_RUNNING:
        return to == QCOS_TASK_STATE_PAUSED || to == QCOS_TASK_STATE_CANCELLED ||
               to == QCOS_TASK_STATE_SUCCEEDED || to == QCOS_TASK_STATE_FAILED ||
               to == QCOS_TASK_STATE_WAITING;
    case QCOS_TASK_STATE_PAUSED:
        return to == QCOS_TASK_STATE_WAITING || to == QCOS_TASK_STATE_CANCELLED;
    case QCOS_TASK_STATE_FAILED:
        return to == QCOS_TASK_STATE_WAITING || to == QCOS_TASK_STATE_CANCELLED;
    default:
        return 0;
    }
}

static inline int is_final(qcos_task_state s) {
    return s == QCOS_TASK_STATE_SUCCEEDED || s == QCOS_TASK_STATE_FAILED ||
           s == QCOS_TASK_STATE_CANCELLED;
}

#endif
