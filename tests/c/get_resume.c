/* A GET streamed to a C write callback whose body is cut midway is resumed, not failed:
 * the callback sees every byte of the object exactly once, in order. Run by
 * tests/c_api.rs against a qcos-server holding SIZE bytes at "resume/obj" (bytes from
 * byte_at below) and cutting the GET bodies as the harness arranged:
 *
 *   get_resume resume SIZE RETRIES        the cuts stay within RETRIES: the callback
 *                                         receives the whole object, once; the status is
 *                                         OK; the info describes the whole object.
 *   get_resume budget SIZE RETRIES PREFIX the body is cut on every attempt: NETWORK, and
 *                                         the callback received exactly the first PREFIX
 *                                         bytes, each once.
 *   get_resume file SIZE RETRIES          the same cuts, to a file through
 *                                         qcos_client_get_object_to_file: OK, the file
 *                                         holds the object.
 *
 * Every check prints one line ("ok ..." or "FAIL ..."), then "<n> passed, <m> failed";
 * the exit status is non-zero on any failure. */
#include "qcos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_passed, g_failed;

static void report(int ok, const char *what, int line) {
    if (ok) {
        g_passed++;
        printf("ok   %s\n", what);
    } else {
        g_failed++;
        printf("FAIL %s (line %d); last error: %s\n", what, line, qcos_last_error_message());
    }
    fflush(stdout);
}

#define CHECK(cond) report((cond) ? 1 : 0, #cond, __LINE__)

#define CHECK_ST(call, want)                                                            \
    do {                                                                                \
        qcos_status st_ = (call);                                                       \
        char what_[512];                                                                \
        snprintf(what_, sizeof what_, "%s == %s (got %s)", #call,                       \
                 qcos_status_str((uint32_t)(want)), qcos_status_str((uint32_t)st_));    \
        report(st_ == (want), what_, __LINE__);                                         \
    } while (0)

/* Not periodic over the sizes used: a continuation from a wrong offset shows. The
 * harness generates the same bytes. */
static unsigned char byte_at(uint64_t i) {
    uint32_t x = (uint32_t)i * 2654435761u;
    return (unsigned char)((x >> 24) ^ (uint32_t)(i >> 16));
}

/* What the write callback saw. */
struct seen {
    uint64_t delivered;  /* bytes received so far */
    uint64_t wrong;      /* bytes that differ from the object at their offset */
    uint64_t calls;
};

static int on_bytes(void *user_data, const uint8_t *data, size_t len) {
    struct seen *s = user_data;
    size_t i;
    for (i = 0; i < len; i++) {
        if (data[i] != byte_at(s->delivered + i)) s->wrong++;
    }
    s->delivered += len;
    s->calls++;
    return 0;
}

static const qcos_client *make_client(uint32_t retries) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    if (qcos_config_from_env(&cfg) != QCOS_STATUS_OK) {
        fprintf(stderr, "config: %s\n", qcos_last_error_message());
        exit(2);
    }
    if (qcos_config_set_max_retries(cfg, retries) != QCOS_STATUS_OK ||
        qcos_config_set_retry_base_delay_ms(cfg, 5) != QCOS_STATUS_OK) {
        fprintf(stderr, "config: %s\n", qcos_last_error_message());
        qcos_config_free(cfg);
        exit(2);
    }
    if (qcos_client_new(cfg, &c) != QCOS_STATUS_OK) {
        fprintf(stderr, "client: %s\n", qcos_last_error_message());
        exit(2);
    }
    return c;
}

static void resume(const qcos_client *c, uint64_t size) {
    struct seen s = {0, 0, 0};
    qcos_object_info *info = NULL;
    CHECK_ST(qcos_client_get_object_to_callback(c, "resume/obj", NULL, on_bytes, &s, &info),
             QCOS_STATUS_OK);
    CHECK(s.delivered == size);
    CHECK(s.wrong == 0);
    CHECK(s.calls >= 2);
    CHECK(info != NULL);
    if (info) {
        CHECK(qcos_object_info_http_status(info) == 200);
        CHECK(qcos_object_info_content_length(info) == size);
        CHECK(qcos_object_info_has_crc64(info));
        qcos_object_info_free(info);
    }
}

static void budget(const qcos_client *c, uint64_t prefix) {
    struct seen s = {0, 0, 0};
    qcos_object_info *info = NULL;
    CHECK_ST(qcos_client_get_object_to_callback(c, "resume/obj", NULL, on_bytes, &s, &info),
             QCOS_STATUS_NETWORK);
    CHECK(info == NULL);
    CHECK(s.delivered == prefix);
    CHECK(s.wrong == 0);
    CHECK(strlen(qcos_last_error_message()) > 8);
}

static void to_file(const qcos_client *c, uint64_t size) {
    const char *dir = getenv("QCOS_TEST_DIR");
    char path[4096];
    FILE *f;
    uint64_t n = 0, wrong = 0;
    int ch;
    if (!dir) {
        fprintf(stderr, "QCOS_TEST_DIR is not set\n");
        exit(2);
    }
    snprintf(path, sizeof path, "%s/resumed.bin", dir);
    CHECK_ST(qcos_client_get_object_to_file(c, "resume/obj", path, NULL, NULL), QCOS_STATUS_OK);
    f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) return;
    while ((ch = fgetc(f)) != EOF) {
        if ((unsigned char)ch != byte_at(n)) wrong++;
        n++;
    }
    fclose(f);
    CHECK(n == size);
    CHECK(wrong == 0);
}

int main(int argc, char **argv) {
    const qcos_client *c;
    uint64_t size;
    if (argc < 4) {
        fprintf(stderr, "usage: get_resume resume|budget|file SIZE RETRIES [PREFIX]\n");
        return 2;
    }
    size = strtoull(argv[2], NULL, 10);
    c = make_client((uint32_t)strtoul(argv[3], NULL, 10));
    if (strcmp(argv[1], "resume") == 0) {
        resume(c, size);
    } else if (strcmp(argv[1], "budget") == 0 && argc == 5) {
        budget(c, strtoull(argv[4], NULL, 10));
    } else if (strcmp(argv[1], "file") == 0) {
        to_file(c, size);
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        qcos_client_free(c);
        return 2;
    }
    qcos_client_free(c);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
