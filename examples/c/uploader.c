/*
 * qcos uploader: queue every file named on the command line for upload and draw a
 * progress bar per file from the queue's events.
 *
 *   uploader [-p PREFIX] FILE...
 *
 * Each FILE goes to the key PREFIX + its base name (PREFIX defaults to "uploads/").
 * At most `file_parallel_limit` files upload at once (default 3; env
 * QCOS_FILE_PARALLEL), each with its own parallel parts. On a terminal the bars are
 * redrawn in place; otherwise one line is printed per state change. Exit status 0
 * when every file was uploaded, 1 otherwise.
 *
 * Configuration comes from the environment, as for examples/c/quickstart.c
 * (COS_REGION, COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY, optional COS_ENDPOINT).
 *
 * Build (from the repository root, after `cargo build`):
 *   cc -std=c11 -Wall -Wextra -Iinclude examples/c/uploader.c target/debug/libqcos.a \
 *      -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o uploader
 */
#define _POSIX_C_SOURCE 200809L
#include "qcos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BAR_WIDTH 30

struct file {
    const char *path;
    char key[1024];
    uint64_t task;
    qcos_task_state state;
    uint64_t loaded, total;
    double speed;
};

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void draw_bar(const struct file *f) {
    char bar[BAR_WIDTH + 1];
    double frac = f->total ? (double)f->loaded / (double)f->total : 1.0;
    int filled = (int)(frac * BAR_WIDTH + 0.5), i;
    if (f->state != QCOS_TASK_STATE_SUCCEEDED && filled == BAR_WIDTH && f->loaded < f->total)
        filled = BAR_WIDTH - 1;
    for (i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    printf("[%s] %5.1f%% %8.1f KiB/s %-9s %s\n", bar, frac * 100.0, f->speed / 1024.0,
           qcos_task_state_str((uint32_t)f->state), f->key);
}

static int is_final(qcos_task_state s) {
    return s == QCOS_TASK_STATE_SUCCEEDED || s == QCOS_TASK_STATE_FAILED ||
           s == QCOS_TASK_STATE_CANCELLED;
}

int main(int argc, char **argv) {
    const char *prefix = "uploads/";
    qcos_config *cfg = NULL;
    const qcos_client *client = NULL;
    qcos_queue *queue = NULL;
    struct file *files;
    int nfiles = 0, first = 1, i, done = 0, failed = 0, tty = isatty(STDOUT_FILENO);
    const char *par = getenv("QCOS_FILE_PARALLEL");
    qcos_status st;

    if (argc > 2 && strcmp(argv[1], "-p") == 0) {
        prefix = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-p PREFIX] FILE...\n", argv[0]);
        return 2;
    }
    if ((st = qcos_config_from_env(&cfg)) != QCOS_STATUS_OK) {
        fprintf(stderr, "configuration: %s\n", qcos_last_error_message());
        return 1;
    }
    if (par) qcos_config_set_file_parallel_limit(cfg, (size_t)strtoul(par, NULL, 10));
    qcos_config_set_progress_interval_ms(cfg, tty ? 200 : 1000);
    if ((st = qcos_client_new(cfg, &client)) != QCOS_STATUS_OK ||
        (st = qcos_queue_new(client, &queue)) != QCOS_STATUS_OK) {
        fprintf(stderr, "client: %s\n", qcos_last_error_message());
        qcos_client_free(client);
        return 1;
    }
    qcos_client_free(client); /* the queue holds its own reference */

    files = calloc((size_t)(argc - first), sizeof *files);
    if (!files) return 1;
    for (i = first; i < argc; i++) {
        struct file *f = &files[nfiles];
        f->path = argv[i];
        snprintf(f->key, sizeof f->key, "%s%s", prefix, base_name(argv[i]));
        st = qcos_queue_upload(queue, f->key, f->path, NULL, NULL, &f->task);
        if (st != QCOS_STATUS_OK) {
            fprintf(stderr, "%s: %s\n", f->path, qcos_last_error_message());
            failed++;
            continue;
        }
        f->state = QCOS_TASK_STATE_WAITING;
        nfiles++;
    }
    if (tty)
        for (i = 0; i < nfiles; i++) draw_bar(&files[i]);

    while (done < nfiles) {
        qcos_queue_event ev;
        bool has = false;
        struct file *f = NULL;
        if (qcos_queue_next_event(queue, 1000, &ev, &has) != QCOS_STATUS_OK) break;
        if (!has) continue;
        for (i = 0; i < nfiles; i++)
            if (files[i].task == ev.task) f = &files[i];
        if (!f) continue;
        f->loaded = ev.loaded;
        if (ev.total_known) f->total = ev.total;
        f->speed = ev.speed;
        if (ev.kind == QCOS_EVENT_KIND_STATE) {
            f->state = ev.state;
            if (is_final(ev.state)) done++;
        }
        if (tty) {
            printf("\033[%dA", nfiles); /* back to the first bar */
            for (i = 0; i < nfiles; i++) draw_bar(&files[i]);
        } else if (ev.kind == QCOS_EVENT_KIND_STATE) {
            draw_bar(f);
        }
        fflush(stdout);
    }

    for (i = 0; i < nfiles; i++) {
        qcos_task_info *info = NULL;
        if (qcos_queue_task_info(queue, files[i].task, &info) != QCOS_STATUS_OK) {
            failed++;
            continue;
        }
        if (qcos_task_info_state(info) == QCOS_TASK_STATE_SUCCEEDED) {
            printf("uploaded %s (%llu bytes, crc64 %llu, etag %s)\n", files[i].key,
                   (unsigned long long)qcos_task_info_size(info),
                   (unsigned long long)qcos_task_info_crc64(info), qcos_task_info_etag(info));
        } else {
            failed++;
            fprintf(stderr, "failed %s: %s (request id %s)\n", files[i].key,
                    qcos_task_info_error_message(info), qcos_task_info_error_request_id(info));
        }
        qcos_task_info_free(info);
    }
    qcos_queue_free(queue);
    free(files);
    return failed ? 1 : 0;
}
