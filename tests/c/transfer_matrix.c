/* The transfer engine's C API over the cases of issue 3's test list that
 * tests/c/queue_transfer.c does not cover, against a qcos-server started by
 * tests/transfer_c.rs (which also installs the server faults and checks the server
 * afterwards):
 *
 *   transfer_matrix matrix       sizes 0, 1, one chunk, one chunk + 1, many chunks with
 *                                an odd tail (1 MiB chunk and slice size): upload from a
 *                                file, download to a file and to a buffer (ranged and
 *                                parallel), bytes and CRC-64 checked against a CRC-64/XZ
 *                                computed here; a copy below copy_slice_size (one PUT
 *                                Object - Copy); a stream of unknown length.
 *   transfer_matrix resume-fail  a multipart upload whose part 3 fails past its retries
 *                                (server fault on "resume/"): SERVICE, upload kept.
 *   transfer_matrix resume       the same upload again: resumed, prints
 *                                "resume parts P resumed R".
 *   transfer_matrix crc          a CRC-64 mismatch injected on a part of "crc/big.bin"
 *                                and on the single PUT of "crc/small.bin": INTEGRITY, and
 *                                no object at "crc/big.bin" afterwards.
 *
 * Every check prints one line ("ok ..." or "FAIL ..."), then "<n> passed, <m> failed";
 * the exit status is non-zero on any failure. */
#include "qcos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024u * 1024u)
/* Retries of a failed part; tests/transfer_c.rs sizes its fault from this. */
#define CHUNK_RETRY_TIMES 1

static int g_passed, g_failed;
static char g_ctx[128] = "";

static void report(int ok, const char *what, int line) {
    if (ok) {
        g_passed++;
        printf("ok   [%s] %s\n", g_ctx, what);
    } else {
        g_failed++;
        printf("FAIL [%s] %s (line %d); last error: %s\n", g_ctx, what, line,
               qcos_last_error_message());
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

/* ---- CRC-64/XZ (ECMA-182 polynomial, reflected, init and xorout all ones) ---- */

static uint64_t crc_table[256];

static void crc_init(void) {
    uint64_t c;
    unsigned i, k;
    for (i = 0; i < 256; i++) {
        c = i;
        for (k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xC96C5795D7870F42ULL : c >> 1;
        crc_table[i] = c;
    }
}

/* Continue a CRC: start with crc64_update(0, ...). */
static uint64_t crc64_update(uint64_t crc, const unsigned char *p, size_t n) {
    crc = ~crc;
    while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- data ---- */

static unsigned char byte_at(size_t i, unsigned seed) {
    return (unsigned char)((i * 131u + seed * 7u) ^ (i >> 11) ^ (i >> 19));
}

static unsigned char *make_bytes(size_t len, unsigned seed) {
    unsigned char *b = malloc(len ? len : 1);
    size_t i;
    if (!b) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    for (i = 0; i < len; i++) b[i] = byte_at(i, seed);
    return b;
}

static void scratch_path(char *out, size_t cap, const char *name) {
    const char *dir = getenv("QCOS_TEST_DIR");
    if (!dir) {
        fprintf(stderr, "QCOS_TEST_DIR is not set\n");
        exit(2);
    }
    snprintf(out, cap, "%s/%s", dir, name);
}

static void write_file(const char *path, const unsigned char *b, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(b, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

/* The file's bytes equal b[0..len). */
static int file_equals(const char *path, const unsigned char *b, size_t len) {
    FILE *f = fopen(path, "rb");
    unsigned char chunk[65536];
    size_t off = 0, n;
    int ok = 1;
    if (!f) return 0;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (off + n > len || memcmp(chunk, b + off, n) != 0) ok = 0;
        off += n;
    }
    fclose(f);
    return ok && off == len;
}

static const qcos_client *make_client(void) {
    qcos_config *cfg = NULL;
    const qcos_client *client = NULL;
    if (qcos_config_from_env(&cfg) != QCOS_STATUS_OK) {
        fprintf(stderr, "config: %s\n", qcos_last_error_message());
        exit(2);
    }
    if (qcos_config_set_slice_size(cfg, MIB) != QCOS_STATUS_OK ||
        qcos_config_set_chunk_size(cfg, MIB) != QCOS_STATUS_OK ||
        qcos_config_set_chunk_parallel_limit(cfg, 3) != QCOS_STATUS_OK ||
        qcos_config_set_chunk_retry_times(cfg, CHUNK_RETRY_TIMES) != QCOS_STATUS_OK ||
        qcos_config_set_copy_slice_size(cfg, 4 * MIB) != QCOS_STATUS_OK ||
        qcos_config_set_copy_chunk_size(cfg, MIB) != QCOS_STATUS_OK ||
        qcos_config_set_retry_base_delay_ms(cfg, 5) != QCOS_STATUS_OK) {
        fprintf(stderr, "config setters: %s\n", qcos_last_error_message());
        exit(2);
    }
    if (qcos_client_new(cfg, &client) != QCOS_STATUS_OK) {
        fprintf(stderr, "client: %s\n", qcos_last_error_message());
        exit(2);
    }
    return client;
}

/* ---- matrix ---- */

static void size_case(const qcos_client *c, size_t len, uint32_t want_parts, unsigned seed) {
    char key[64], up[256], down[256];
    unsigned char *b = make_bytes(len, seed), *buf;
    uint64_t crc = crc64_update(0, b, len);
    qcos_transfer_result *r = NULL;
    size_t n = 0;

    snprintf(g_ctx, sizeof g_ctx, "size %zu", len);
    snprintf(key, sizeof key, "matrix/%zu.bin", len);
    snprintf(up, sizeof up, "%s/up-%zu.bin", getenv("QCOS_TEST_DIR"), len);
    snprintf(down, sizeof down, "%s/down-%zu.bin", getenv("QCOS_TEST_DIR"), len);
    write_file(up, b, len);

    CHECK_ST(qcos_upload_file(c, key, up, NULL, NULL, NULL, NULL, &r), QCOS_STATUS_OK);
    CHECK(qcos_transfer_result_size(r) == len);
    CHECK(qcos_transfer_result_crc64(r) == crc);
    CHECK(qcos_transfer_result_crc64_verified(r));
    CHECK(qcos_transfer_result_parts(r) == want_parts);
    CHECK((strlen(qcos_transfer_result_upload_id(r)) > 0) == (want_parts > 0));
    qcos_transfer_result_free(r);
    r = NULL;

    /* Back to a file. */
    CHECK_ST(qcos_download_file(c, key, down, NULL, NULL, NULL, &r), QCOS_STATUS_OK);
    CHECK(file_equals(down, b, len));
    CHECK(qcos_transfer_result_size(r) == len);
    CHECK(qcos_transfer_result_crc64(r) == crc);
    /* Ranges of chunk_size: more than one when the object is larger than a chunk. */
    if (len > MIB) CHECK(qcos_transfer_result_parts(r) == (len + MIB - 1) / MIB);
    qcos_transfer_result_free(r);
    r = NULL;

    /* And into a buffer. */
    buf = malloc(len ? len : 1);
    CHECK_ST(qcos_download_to_buffer(c, key, len ? buf : NULL, len, &n, NULL, NULL, NULL, &r),
             QCOS_STATUS_OK);
    CHECK(n == len && (len == 0 || memcmp(buf, b, len) == 0));
    CHECK(qcos_transfer_result_crc64(r) == crc);
    if (len > MIB) CHECK(qcos_transfer_result_parts(r) > 1);
    qcos_transfer_result_free(r);
    free(buf);
    free(b);
}

/* A ranged parallel download with explicit options: 1 MiB ranges, 4 at once. */
static void ranged_download(const qcos_client *c, size_t len, unsigned seed) {
    unsigned char *b = make_bytes(len, seed), *buf = malloc(len);
    uint64_t crc = crc64_update(0, b, len);
    qcos_transfer_options *o = NULL;
    qcos_transfer_result *r = NULL;
    char key[64], down[256];
    size_t n = 0;

    snprintf(g_ctx, sizeof g_ctx, "ranged download %zu", len);
    snprintf(key, sizeof key, "matrix/%zu.bin", len);
    scratch_path(down, sizeof down, "ranged.bin");
    CHECK_ST(qcos_transfer_options_new(&o), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_part_size(o, MIB), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_parallel(o, 4), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_slice_size(o, MIB), QCOS_STATUS_OK);
    CHECK_ST(qcos_download_to_buffer(c, key, buf, len, &n, o, NULL, NULL, &r), QCOS_STATUS_OK);
    CHECK(n == len && memcmp(buf, b, len) == 0);
    CHECK(qcos_transfer_result_parts(r) > 1);
    CHECK(qcos_transfer_result_parts(r) == (len + MIB - 1) / MIB);
    CHECK(qcos_transfer_result_crc64(r) == crc);
    qcos_transfer_result_free(r);
    r = NULL;
    CHECK_ST(qcos_download_file(c, key, down, o, NULL, NULL, &r), QCOS_STATUS_OK);
    CHECK(file_equals(down, b, len));
    CHECK(qcos_transfer_result_parts(r) > 1);
    CHECK(qcos_transfer_result_crc64(r) == crc);
    qcos_transfer_result_free(r);
    qcos_transfer_options_free(o);
    free(buf);
    free(b);
}

/* A copy of an object below copy_slice_size (4 MiB here): one PUT Object - Copy. */
static void small_copy(const qcos_client *c, size_t len, unsigned seed) {
    unsigned char *b = make_bytes(len, seed), *buf = malloc(len);
    uint64_t crc = crc64_update(0, b, len);
    qcos_transfer_result *r = NULL;
    char src[64];
    size_t n = 0;

    snprintf(g_ctx, sizeof g_ctx, "copy %zu", len);
    snprintf(src, sizeof src, "matrix/%zu.bin", len);
    CHECK_ST(qcos_slice_copy(c, "matrix/copy.bin", getenv("COS_BUCKET"), getenv("COS_REGION"),
                             src, NULL, NULL, NULL, NULL, NULL, &r),
             QCOS_STATUS_OK);
    CHECK(qcos_transfer_result_parts(r) == 0);
    CHECK(strcmp(qcos_transfer_result_upload_id(r), "") == 0);
    CHECK(qcos_transfer_result_size(r) == len);
    CHECK(qcos_transfer_result_crc64(r) == crc);
    qcos_transfer_result_free(r);
    r = NULL;
    CHECK_ST(qcos_download_to_buffer(c, "matrix/copy.bin", buf, len, &n, NULL, NULL, NULL, &r),
             QCOS_STATUS_OK);
    CHECK(n == len && memcmp(buf, b, len) == 0);
    CHECK(qcos_transfer_result_crc64(r) == crc);
    qcos_transfer_result_free(r);
    free(buf);
    free(b);
}

struct stream_src {
    const unsigned char *b;
    size_t pos, len, step; /* at most `step` bytes per call, so reads end off boundaries */
};

static int read_stream(void *user_data, uint8_t *buf, size_t cap, size_t *n_out) {
    struct stream_src *s = user_data;
    size_t n = s->len - s->pos;
    if (n > cap) n = cap;
    if (n > s->step) n = s->step;
    memcpy(buf, s->b + s->pos, n);
    s->pos += n;
    *n_out = n;
    return 0;
}

struct prog {
    int calls, unknown_before_end;
    uint64_t last_loaded;
    int last_total_known;
};

static int on_progress(void *user_data, const qcos_progress *p) {
    struct prog *g = user_data;
    g->calls++;
    if (!p->total_known) g->unknown_before_end++;
    g->last_loaded = p->loaded;
    g->last_total_known = p->total_known;
    return 0;
}

/* A stream of unknown length, several parts long, read back whole. */
static void stream_upload(const qcos_client *c, size_t len, unsigned seed) {
    unsigned char *b = make_bytes(len, seed), *buf = malloc(len);
    uint64_t crc = crc64_update(0, b, len);
    struct stream_src s = {b, 0, len, 100003};
    struct prog g = {0, 0, 0, 0};
    qcos_transfer_result *r = NULL;
    size_t n = 0;

    snprintf(g_ctx, sizeof g_ctx, "stream %zu", len);
    CHECK_ST(qcos_upload_from_stream(c, "matrix/stream.bin", read_stream, &s, NULL, NULL,
                                     on_progress, &g, &r),
             QCOS_STATUS_OK);
    CHECK(s.pos == len);
    CHECK(qcos_transfer_result_size(r) == len);
    CHECK(qcos_transfer_result_parts(r) > 1);
    CHECK(qcos_transfer_result_crc64(r) == crc);
    CHECK(qcos_transfer_result_crc64_verified(r));
    CHECK(g.unknown_before_end > 0);
    CHECK(g.last_loaded == len && g.last_total_known);
    qcos_transfer_result_free(r);
    r = NULL;
    CHECK_ST(qcos_download_to_buffer(c, "matrix/stream.bin", buf, len, &n, NULL, NULL, NULL, &r),
             QCOS_STATUS_OK);
    CHECK(n == len && memcmp(buf, b, len) == 0);
    CHECK(qcos_transfer_result_crc64(r) == crc);
    qcos_transfer_result_free(r);
    free(buf);
    free(b);
}

static void matrix(const qcos_client *c) {
    const size_t big = 5 * MIB + 12345;
    size_case(c, 0, 0, 1);
    size_case(c, 1, 0, 2);
    size_case(c, MIB, 0, 3);
    size_case(c, MIB + 1, 2, 4);
    size_case(c, big, 6, 5);
    ranged_download(c, big, 5);
    small_copy(c, MIB + 1, 4);
    stream_upload(c, 3 * MIB + 4321, 6);
}

/* ---- resume ---- */

#define RESUME_LEN (6 * MIB + 999)

static void resume_file(char *path, size_t cap, unsigned char **bytes) {
    *bytes = make_bytes(RESUME_LEN, 7);
    scratch_path(path, cap, "resume.bin");
}

static void resume_fail(const qcos_client *c) {
    char path[256];
    unsigned char *b;
    qcos_transfer_options *o = NULL;
    qcos_transfer_result *r = NULL;
    qcos_object_info *info = NULL;

    snprintf(g_ctx, sizeof g_ctx, "resume: first call");
    resume_file(path, sizeof path, &b);
    write_file(path, b, RESUME_LEN);
    CHECK_ST(qcos_transfer_options_new(&o), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_on_error(o, QCOS_LEFTOVER_KEEP), QCOS_STATUS_OK);
    /* One part at a time, so parts 1 and 2 are stored before part 3 fails. With parts in
     * parallel, part 3 can run out of retries while 1 and 2 are still being sent (seen
     * under valgrind on a loaded machine); the failure then stops them and nothing is
     * left to resume. */
    CHECK_ST(qcos_transfer_options_set_parallel(o, 1), QCOS_STATUS_OK);
    CHECK_ST(qcos_upload_file(c, "resume/f.bin", path, NULL, o, NULL, NULL, &r),
             QCOS_STATUS_SERVICE);
    CHECK(r == NULL);
    CHECK(qcos_last_error_http_status() == 500);
    CHECK(strcmp(qcos_last_error_code(), "InternalError") == 0);
    CHECK_ST(qcos_client_head_object(c, "resume/f.bin", NULL, &info), QCOS_STATUS_SERVICE);
    CHECK(qcos_last_error_http_status() == 404);
    qcos_object_info_free(info);
    qcos_transfer_options_free(o);
    free(b);
}

static void resume(const qcos_client *c) {
    char path[256], down[256];
    unsigned char *b;
    qcos_transfer_result *r = NULL;
    uint32_t parts, resumed;

    snprintf(g_ctx, sizeof g_ctx, "resume: second call");
    resume_file(path, sizeof path, &b);
    CHECK(file_equals(path, b, RESUME_LEN));
    CHECK_ST(qcos_upload_file(c, "resume/f.bin", path, NULL, NULL, NULL, NULL, &r),
             QCOS_STATUS_OK);
    parts = qcos_transfer_result_parts(r);
    resumed = qcos_transfer_result_resumed_parts(r);
    CHECK(parts == 7);
    CHECK(resumed > 0);
    CHECK(resumed < parts);
    CHECK(qcos_transfer_result_crc64(r) == crc64_update(0, b, RESUME_LEN));
    CHECK(qcos_transfer_result_crc64_verified(r));
    printf("resume parts %u resumed %u\n", (unsigned)parts, (unsigned)resumed);
    qcos_transfer_result_free(r);
    r = NULL;
    scratch_path(down, sizeof down, "resume-down.bin");
    CHECK_ST(qcos_download_file(c, "resume/f.bin", down, NULL, NULL, NULL, &r), QCOS_STATUS_OK);
    CHECK(file_equals(down, b, RESUME_LEN));
    qcos_transfer_result_free(r);
    free(b);
}

/* ---- CRC mismatch ---- */

static void crc_mismatch(const qcos_client *c) {
    char path[256];
    unsigned char *b = make_bytes(3 * MIB + 5, 8);
    qcos_transfer_options *o = NULL;
    qcos_transfer_result *r = NULL;
    qcos_object_info *info = NULL;

    snprintf(g_ctx, sizeof g_ctx, "crc mismatch: multipart");
    scratch_path(path, sizeof path, "crc-big.bin");
    write_file(path, b, 3 * MIB + 5);
    CHECK_ST(qcos_transfer_options_new(&o), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_on_error(o, QCOS_LEFTOVER_ABORT), QCOS_STATUS_OK);
    CHECK_ST(qcos_upload_file(c, "crc/big.bin", path, NULL, o, NULL, NULL, &r),
             QCOS_STATUS_INTEGRITY);
    CHECK(r == NULL);
    CHECK(qcos_last_error_status() == QCOS_STATUS_INTEGRITY);
    CHECK_ST(qcos_client_head_object(c, "crc/big.bin", NULL, &info), QCOS_STATUS_SERVICE);
    CHECK(qcos_last_error_http_status() == 404);
    CHECK(info == NULL);

    snprintf(g_ctx, sizeof g_ctx, "crc mismatch: single PUT");
    scratch_path(path, sizeof path, "crc-small.bin");
    write_file(path, b, 1000);
    CHECK_ST(qcos_upload_file(c, "crc/small.bin", path, NULL, o, NULL, NULL, &r),
             QCOS_STATUS_INTEGRITY);
    CHECK(r == NULL);
    qcos_transfer_options_free(o);
    free(b);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    const qcos_client *c;

    crc_init();
    snprintf(g_ctx, sizeof g_ctx, "crc-64/xz");
    CHECK(crc64_update(0, (const unsigned char *)"123456789", 9) == 0x995DC9BBDF1939FAULL);
    CHECK(crc64_update(crc64_update(0, (const unsigned char *)"1234", 4),
                       (const unsigned char *)"56789", 5) == 0x995DC9BBDF1939FAULL);
    CHECK(crc64_update(0, NULL, 0) == 0);

    c = make_client();
    qcos_client_create_bucket(c);
    if (strcmp(mode, "matrix") == 0) {
        matrix(c);
    } else if (strcmp(mode, "resume-fail") == 0) {
        resume_fail(c);
    } else if (strcmp(mode, "resume") == 0) {
        resume(c);
    } else if (strcmp(mode, "crc") == 0) {
        crc_mismatch(c);
    } else {
        fprintf(stderr, "usage: %s matrix|resume-fail|resume|crc\n", argv[0]);
        qcos_client_free(c);
        return 2;
    }
    qcos_client_free(c);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
