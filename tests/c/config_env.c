/*
 * qcos_config_from_env from C: every option variable (tests/c_api.rs,
 * c_config_from_env_*), run against an in-process qcos-server.
 *
 *   config_env ok
 *       The harness sets COS_* variables (endpoint, keys, COS_PATH_STYLE=1,
 *       COS_MAX_RETRIES=0, COS_UPLOAD_ADD_META_MD5=1, timeouts, sizes, ...) and makes
 *       the server answer the first GET of "env/retry" with 503. The config is read,
 *       an object stored and read back; the GET of "env/retry" fails with the 503
 *       (COS_MAX_RETRIES=0: no retry). The harness checks the server side (path-style
 *       Host, the x-cos-meta-md5 of the object, one GET).
 *   config_env bad VAR [NOT_SHOWN...]
 *       The environment holds a bad value: qcos_config_from_env fails with
 *       QCOS_STATUS_INVALID_ARGUMENT, leaves *cfg_out unwritten (outputs are written
 *       only on success), and its message names VAR
 *       and contains none of the NOT_SHOWN strings (secret values).
 *
 * The exit status is the number of failed checks; the last line is "N passed, M failed".
 */
#include "qcos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        checks++;                                                                        \
        if (!(cond)) {                                                                   \
            failures++;                                                                  \
            printf("%s:%d: CHECK failed: %s\n  last error: %s\n", __FILE__, __LINE__,    \
                   #cond, qcos_last_error_message());                                    \
        }                                                                                \
    } while (0)

static int finish(void) {
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures;
}

static void run_ok(void) {
    qcos_config *cfg = NULL;
    CHECK(qcos_config_from_env(&cfg) == QCOS_STATUS_OK);
    if (cfg == NULL) return;
    const qcos_client *client = NULL;
    CHECK(qcos_client_new(cfg, &client) == QCOS_STATUS_OK);
    if (client == NULL) return;

    static const char body[] = "configured from the environment";
    qcos_put_result *put = NULL;
    CHECK(qcos_client_put_object(client, "env/obj", (const uint8_t *)body, sizeof body - 1,
                                 NULL, &put) == QCOS_STATUS_OK);
    qcos_put_result_free(put);

    qcos_buffer *buf = NULL;
    CHECK(qcos_client_get_object(client, "env/obj", NULL, &buf, NULL) == QCOS_STATUS_OK);
    CHECK(qcos_buffer_len(buf) == sizeof body - 1);
    CHECK(buf != NULL && memcmp(qcos_buffer_data(buf), body, sizeof body - 1) == 0);
    qcos_buffer_free(buf);

    CHECK(qcos_client_put_object(client, "env/retry", (const uint8_t *)body, 3, NULL, NULL) ==
          QCOS_STATUS_OK);
    /* The server answers this GET with 503 once; COS_MAX_RETRIES=0 means no retry. */
    buf = NULL;
    CHECK(qcos_client_get_object(client, "env/retry", NULL, &buf, NULL) ==
          QCOS_STATUS_SERVICE);
    CHECK(qcos_last_error_http_status() == 503);
    CHECK(buf == NULL);
    qcos_client_free(client);
}

static void run_bad(int argc, char **argv) {
    if (argc < 3) {
        printf("usage: config_env bad VAR [NOT_SHOWN...]\n");
        failures++;
        return;
    }
    qcos_config *const sentinel = (qcos_config *)&checks;
    qcos_config *cfg = sentinel;
    qcos_status st = qcos_config_from_env(&cfg);
    CHECK(st == QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(cfg == sentinel);
    const char *msg = qcos_last_error_message();
    CHECK(strstr(msg, argv[2]) != NULL);
    for (int i = 3; i < argc; i++) CHECK(strstr(msg, argv[i]) == NULL);
    printf("message: %s\n", msg);
    if (st == QCOS_STATUS_OK && cfg != sentinel) qcos_config_free(cfg);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0); /* keep the output if a sanitizer ends the run */
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "ok") == 0) {
        run_ok();
    } else if (strcmp(mode, "bad") == 0) {
        run_bad(argc, argv);
    } else {
        printf("unknown mode %s\n", mode);
        failures++;
    }
    return finish();
}
