/* The transfer engine's C API end to end against qcos-server: qcos_upload_file,
 * qcos_upload_from_callback, qcos_upload_from_stream, qcos_download_file,
 * qcos_download_to_buffer, qcos_slice_copy, progress callbacks (order, totals, cancel),
 * transfer options (abort vs keep on cancel), results, and NULL arguments.
 * tests/queue_c.rs checks the server afterwards: nothing left under xfer/abort/, one
 * kept upload under xfer/keep/. */
#include "queue_common.h"

struct prog {
    int calls;
    int cancel_after; /* cancel at this call (0: never) */
    uint64_t last_loaded;
    uint64_t last_total;
    int total_known;
    int monotonic;
    double last_percent;
};

static int on_progress(void *user_data, const qcos_progress *p) {
    struct prog *g = user_data;
    g->calls++;
    if (p->loaded < g->last_loaded) g->monotonic = 0;
    g->last_loaded = p->loaded;
    g->last_total = p->total;
    g->total_known = p->total_known;
    g->last_percent = p->percent;
    return g->cancel_after != 0 && g->calls >= g->cancel_after;
}

struct src {
    size_t pos, len;
    unsigned seed;
    int fail_at; /* return non-zero once pos reaches this (0: never) */
};

static int read_src(void *user_data, uint8_t *buf, size_t cap, size_t *n_out) {
    struct src *s = user_data;
    size_t n = 0;
    if (s->fail_at && s->pos >= (size_t)s->fail_at) return 7;
    while (n < cap && s->pos < s->len) buf[n++] = byte_at(s->pos++, s->seed);
    *n_out = n;
    return 0;
}

static int file_matches(const char *path, size_t len, unsigned seed) {
    FILE *f = fopen(path, "rb");
    size_t i;
    int c, ok = 1;
    if (!f) return 0;
    for (i = 0; i < len && ok; i++) {
        c = fgetc(f);
        if (c == EOF || (unsigned char)c != byte_at(i, seed)) ok = 0;
    }
    if (ok && fgetc(f) != EOF) ok = 0;
    fclose(f);
    return ok;
}

int main(void) {
    const qcos_client *c = make_client(2, 3, 0);
    char path[256], out[256];
    const size_t big = 5 * MIB + 4321;
    struct prog g;
    struct src s;
    qcos_transfer_result *r = NULL, *r2 = NULL;
    qcos_transfer_options *topts = NULL;
    uint64_t crc;
    uint8_t *buf;
    size_t n = 0;
    const char *dir = getenv("QCOS_TEST_DIR");

    qcos_client_create_bucket(c);
    make_file(path, "up.bin", big, 3);

    /* Upload a multipart file with progress. */
    memset(&g, 0, sizeof g);
    g.monotonic = 1;
    CHECK_ST(qcos_upload_file(c, "xfer/file.bin", path, NULL, NULL, on_progress, &g, &r),
             QCOS_STATUS_OK);
    CHECK(g.calls >= 2);
    CHECK(g.monotonic);
    CHECK(g.last_loaded == big && g.last_total == big && g.total_known);
    CHECK(g.last_percent == 100.0);
    CHECK(qcos_transfer_result_size(r) == big);
    CHECK(qcos_transfer_result_parts(r) == 6);
    CHECK(qcos_transfer_result_crc64_verified(r));
    CHECK(strlen(qcos_transfer_result_etag(r)) > 0);
    CHECK(strlen(qcos_transfer_result_upload_id(r)) > 0);
    CHECK(strcmp(qcos_transfer_result_version_id(r), "") == 0);
    crc = qcos_transfer_result_crc64(r);
    qcos_transfer_result_free(r);
    r = NULL;

    /* Download it to a file and into a buffer: same bytes, same CRC-64. */
    snprintf(out, sizeof out, "%s/down.bin", dir);
    memset(&g, 0, sizeof g);
    g.monotonic = 1;
    CHECK_ST(qcos_download_file(c, "xfer/file.bin", out, NULL, on_progress, &g, &r),
             QCOS_STATUS_OK);
    CHECK(file_matches(out, big, 3));
    CHECK(qcos_transfer_result_crc64(r) == crc);
    CHECK(g.last_loaded == big && g.monotonic);
    qcos_transfer_result_free(r);
    r = NULL;
    buf = malloc(big);
    CHECK_ST(qcos_download_to_buffer(c, "xfer/file.bin", buf, 10, &n, NULL, NULL, NULL, NULL),
             QCOS_STATUS_BUFFER_TOO_SMALL);
    CHECK(n == big);
    CHECK_ST(qcos_download_to_buffer(c, "xfer/file.bin", buf, big, &n, NULL, NULL, NULL, &r),
             QCOS_STATUS_OK);
    CHECK(n == big && buf[0] == byte_at(0, 3) && buf[big - 1] == byte_at(big - 1, 3));
    CHECK(qcos_transfer_result_crc64(r) == crc);
    qcos_transfer_result_free(r);
    r = NULL;
    free(buf);

    /* From a read callback of known length, and from a stream: same object again. */
    memset(&s, 0, sizeof s);
    s.len = big;
    s.seed = 3;
    CHECK_ST(qcos_upload_from_callback(c, "xfer/cb.bin", big, read_src, &s, NULL, NULL, NULL,
                                       NULL, &r),
             QCOS_STATUS_OK);
    CHECK(qcos_transfer_result_crc64(r) == crc);
    qcos_transfer_result_free(r);
    r = NULL;
    memset(&s, 0, sizeof s);
    s.len = big;
    s.seed = 3;
    memset(&g, 0, sizeof g);
    g.monotonic = 1;
    CHECK_ST(qcos_upload_from_stream(c, "xfer/stream.bin", read_src, &s, NULL, NULL, on_progress,
                                     &g, &r),
             QCOS_STATUS_OK);
    CHECK(qcos_transfer_result_crc64(r) == crc && qcos_transfer_result_size(r) == big);
    CHECK(g.total_known && g.last_total == big);
    qcos_transfer_result_free(r);
    r = NULL;
    /* A read callback that stops the upload: CANCELLED. */
    memset(&s, 0, sizeof s);
    s.len = big;
    s.fail_at = (int)(2 * MIB);
    CHECK_ST(qcos_upload_from_callback(c, "xfer/readstop.bin", big, read_src, &s, NULL,
                                       NULL, NULL, NULL, NULL),
             QCOS_STATUS_CANCELLED);
    /* A callback shorter than declared: INVALID_STATE. */
    memset(&s, 0, sizeof s);
    s.len = 100;
    CHECK_ST(qcos_upload_from_callback(c, "xfer/short.bin", 200, read_src, &s, NULL, NULL, NULL,
                                       NULL, NULL),
             QCOS_STATUS_INVALID_STATE);

    /* Copy, multipart (1 MiB parts above a 1 MiB single-copy threshold). */
    CHECK_ST(qcos_transfer_options_new(&topts), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_slice_size(topts, MIB), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_part_size(topts, MIB), QCOS_STATUS_OK);
    CHECK_ST(qcos_transfer_options_set_parallel(topts, 4), QCOS_STATUS_OK);
    memset(&g, 0, sizeof g);
    g.monotonic = 1;
    CHECK_ST(qcos_slice_copy(c, "xfer/copy.bin", getenv("COS_BUCKET"), getenv("COS_REGION"),
                             "xfer/file.bin", NULL, NULL, topts, on_progress, &g, &r2),
             QCOS_STATUS_OK);
    CHECK(qcos_transfer_result_parts(r2) == 6);
    CHECK(qcos_transfer_result_size(r2) == big);
    CHECK(qcos_transfer_result_crc64(r2) == crc);
    CHECK(g.last_loaded == big);
    qcos_transfer_result_free(r2);

    /* Cancel from the progress callback: abort or keep the multipart upload. */
    CHECK_ST(qcos_transfer_options_set_on_cancel(topts, QCOS_LEFTOVER_ABORT), QCOS_STATUS_OK);
    memset(&g, 0, sizeof g);
    g.cancel_after = 2;
    CHECK_ST(qcos_upload_file(c, "xfer/abort/f.bin", path, NULL, topts, on_progress, &g, &r),
             QCOS_STATUS_CANCELLED);
    CHECK(r == NULL);
    CHECK(qcos_last_error_status() == QCOS_STATUS_CANCELLED);
    CHECK_ST(qcos_transfer_options_set_on_cancel(topts, QCOS_LEFTOVER_KEEP), QCOS_STATUS_OK);
    memset(&g, 0, sizeof g);
    g.cancel_after = 2;
    CHECK_ST(qcos_upload_file(c, "xfer/keep/f.bin", path, NULL, topts, on_progress, &g, NULL),
             QCOS_STATUS_CANCELLED);
    CHECK_ST(qcos_transfer_options_set_on_cancel(topts, 9), QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(qcos_last_error_message(), "qcos_leftover") != NULL);
    qcos_transfer_options_free(topts);

    /* Bad arguments: named in the last error, nothing written. */
    CHECK_ST(qcos_upload_file(NULL, "k", path, NULL, NULL, NULL, NULL, &r),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(qcos_last_error_message(), "client") != NULL);
    CHECK_ST(qcos_upload_file(c, NULL, path, NULL, NULL, NULL, NULL, &r),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK_ST(qcos_upload_file(c, "k", "", NULL, NULL, NULL, NULL, &r),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK_ST(qcos_upload_file(c, "k", "/nonexistent/qcos/file", NULL, NULL, NULL, NULL, &r),
             QCOS_STATUS_IO);
    CHECK_ST(qcos_upload_from_callback(c, "k", 10, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK_ST(qcos_download_to_buffer(c, "xfer/file.bin", NULL, 5, &n, NULL, NULL, NULL, NULL),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK_ST(qcos_download_to_buffer(c, "xfer/file.bin", NULL, 0, NULL, NULL, NULL, NULL, NULL),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK_ST(qcos_download_file(c, "xfer/missing", out, NULL, NULL, NULL, NULL),
             QCOS_STATUS_SERVICE);
    CHECK(qcos_last_error_http_status() == 404);
    CHECK_ST(qcos_slice_copy(c, "k", NULL, "r", "k", NULL, NULL, NULL, NULL, NULL, NULL),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK(qcos_transfer_result_etag(NULL) == NULL);
    CHECK(qcos_transfer_result_size(NULL) == 0);
    qcos_transfer_result_free(NULL);
    qcos_transfer_options_free(NULL);
    CHECK_ST(qcos_transfer_options_new(NULL), QCOS_STATUS_INVALID_ARGUMENT);

    qcos_client_free(c);
    return finish();
}
