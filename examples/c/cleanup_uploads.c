/*
 * qcos cleanup_uploads: find the multipart uploads that interrupted transfers (or paused
 * copies) left in the bucket, and abort the stale ones. Their parts are billed as stored
 * data until then.
 *
 *   cleanup_uploads [-p PREFIX] [-o SECONDS] [-x]
 *
 * Lists every multipart upload whose key starts with PREFIX (default: all) and that was
 * initiated at least SECONDS ago (default 86400, one day). Without -x it only prints
 * them (a dry run); with -x it aborts each one. Exit status 0 when every abort asked
 * for succeeded, 1 otherwise, 2 on bad arguments.
 *
 * Configuration comes from the environment, as for examples/c/quickstart.c
 * (COS_REGION, COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY, optional COS_ENDPOINT).
 *
 * Build (from the repository root, after `cargo build`):
 *   cc -std=c11 -Wall -Wextra -Iinclude examples/c/cleanup_uploads.c target/debug/libqcos.a \
 *      -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o cleanup_uploads
 */
#define _DEFAULT_SOURCE /* timegm */
#include "qcos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Seconds since the epoch of an ISO 8601 UTC time as COS writes it
 * ("2026-11-21T16:00:00.000Z"); -1 when it does not parse. */
static time_t parse_utc(const char *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return (time_t)-1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

static void fail(const char *what) {
    fprintf(stderr, "cleanup_uploads: %s: %s\n", what, qcos_last_error_message());
}

int main(int argc, char **argv) {
    const char *prefix = "";
    long older_than = 86400;
    int execute = 0, opt;
    while ((opt = getopt(argc, argv, "p:o:x")) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'p':
            prefix = optarg;
            break;
        case 'o':
            older_than = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || older_than < 0) {
                fprintf(stderr, "cleanup_uploads: -o wants a number of seconds, not \"%s\"\n",
                        optarg);
                return 2;
            }
            break;
        case 'x':
            execute = 1;
            break;
        default:
            fprintf(stderr, "usage: cleanup_uploads [-p PREFIX] [-o SECONDS] [-x]\n");
            return 2;
        }
    }

    qcos_config *cfg = NULL;
    const qcos_client *client = NULL;
    if (qcos_config_from_env(&cfg) != QCOS_STATUS_OK) {
        fail("configuration");
        return 1;
    }
    if (qcos_client_new(cfg, &client) != QCOS_STATUS_OK) { /* cfg is consumed either way */
        fail("client");
        return 1;
    }

    qcos_upload_list *list = NULL;
    if (qcos_client_list_multipart_uploads(client, prefix, &list) != QCOS_STATUS_OK) {
        fail("listing the multipart uploads");
        qcos_client_free(client);
        return 1;
    }
    time_t now = time(NULL);
    size_t n = qcos_upload_list_count(list), stale = 0, aborted = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = qcos_upload_list_key(list, i);
        const char *id = qcos_upload_list_upload_id(list, i);
        const char *initiated = qcos_upload_list_initiated(list, i);
        time_t at = parse_utc(initiated);
        if (at == (time_t)-1) {
            printf("skipped %s (upload %s): unreadable initiation time \"%s\"\n", key, id,
                   initiated);
            continue;
        }
        if (now - at < older_than)
            continue;
        stale++;
        if (!execute) {
            printf("would abort %s (upload %s, initiated %s)\n", key, id, initiated);
        } else if (qcos_client_abort_multipart_upload(client, key, id) == QCOS_STATUS_OK) {
            aborted++;
            printf("aborted %s (upload %s, initiated %s)\n", key, id, initiated);
        } else {
            failed++;
            fprintf(stderr, "cleanup_uploads: aborting %s (upload %s): %s\n", key, id,
                    qcos_last_error_message());
        }
    }
    printf("%zu upload(s) listed, %zu stale, %zu aborted, %zu failed%s\n", n, stale, aborted,
           failed, execute ? "" : " (dry run: -x aborts)");
    qcos_upload_list_free(list);
    qcos_client_free(client);
    return failed == 0 ? 0 : 1;
}
