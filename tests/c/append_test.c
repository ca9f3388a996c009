/*
 * APPEND Object through the C API, built against include/qcos.h and libqcos.a and run
 * by tests/c_api.rs against an in-process qcos-server (buckets created on first use).
 *
 * Environment: COS_ENDPOINT, COS_REGION, COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY,
 * QCOS_TEST_DIR (a scratch directory). The harness makes the server drop the answer
 * of the first APPEND to the key "c-lost" after carrying it out (a lost response).
 *
 * The exit status is the number of failed checks (capped).
 */
#include "qcos.h"
#include "check.h"

/* The object's bytes must be exactly `want`. */
static void expect_object(const qcos_client *c, const char *key, const uint8_t *want,
                          size_t want_len, const char *type) {
    qcos_buffer *buf = NULL;
    qcos_object_info *info = NULL;
    OK(qcos_client_get_object(c, key, NULL, &buf, &info));
    if (buf == NULL || info == NULL) {
        qcos_buffer_free(buf);
        qcos_object_info_free(info);
        return;
    }
    CHECK(qcos_buffer_len(buf) == want_len);
    CHECK(qcos_buffer_len(buf) == want_len &&
          (want_len == 0 || memcmp(qcos_buffer_data(buf), want, want_len) == 0));
    CHECK(qcos_object_info_has_crc64(info));
    CHECK(qcos_object_info_crc64(info) == crc64(0, want, want_len));
    const char *t = NULL;
    for (size_t i = 0; i < qcos_object_info_header_count(info); i++)
        if (strcmp(qcos_object_info_header_name(info, i), "x-cos-object-type") == 0)
            t = qcos_object_info_header_value(info, i);
    CHECK(t != NULL && strcmp(t, type) == 0);
    qcos_buffer_free(buf);
    qcos_object_info_free(info);
}

static void test_null_and_bad_input(const qcos_client *c) {
    uint64_t next = 77;
    const uint8_t b[1] = {'x'};
    NULLARG(qcos_client_append_object(NULL, "k", 0, b, 1, NULL, &next, NULL), "client");
    NULLARG(qcos_client_append_object(c, NULL, 0, b, 1, NULL, &next, NULL), "key");
    NULLARG(qcos_client_append_object(c, "k", 0, NULL, 1, NULL, &next, NULL), "data");
    NULLARG(qcos_client_append_object(c, "k", 0, b, 1, NULL, NULL, NULL), "next_position_out");
    NULLARG(qcos_client_append_object_from_file(c, "k", 0, NULL, NULL, &next, NULL), "path");
    NULLARG(qcos_client_append_object_checked(c, "k", 0, 0, b, 1, NULL, NULL, NULL),
            "next_position_out");
    EXPECT_STATUS(qcos_client_append_object(c, "", 0, b, 1, NULL, &next, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "key is empty");
    const char bad_utf8[] = {'k', (char)0xff, 0};
    EXPECT_STATUS(qcos_client_append_object(c, bad_utf8, 0, b, 1, NULL, &next, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    EXPECT_STATUS(qcos_client_append_object(c, "k", 5368709120ULL, b, 1, NULL, &next, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "5 GB");
    qcos_put_options *o = NULL;
    OK(qcos_put_options_new(&o));
    EXPECT_STATUS(qcos_put_options_set_content_type(o, "text/plain\r\nX-Evil: 1"),
                  QCOS_STATUS_INVALID_ARGUMENT, "CR, LF");
    qcos_put_options_free(o);
    CHECK(next == 77); /* outputs untouched on failure */
}

static void test_append(const qcos_client *c, const char *dir) {
    uint8_t whole[4096];
    size_t n = 0;
    uint64_t next = 0;
    qcos_put_result *r = NULL;

    qcos_put_options *o = NULL;
    OK(qcos_put_options_new(&o));
    OK(qcos_put_options_set_content_type(o, "text/plain"));
    OK(qcos_put_options_add_meta(o, "origin", "c"));
    OK(qcos_put_options_set_check_content_md5(o, true));
    const char *a = "first line\n";
    OK(qcos_client_append_object(c, "c-log", 0, (const uint8_t *)a, strlen(a), o, &next, &r));
    qcos_put_options_free(o);
    memcpy(whole + n, a, strlen(a));
    n += strlen(a);
    CHECK(next == n);
    CHECK(r != NULL && qcos_put_result_has_crc64(r) && qcos_put_result_crc64(r) == crc64(0, whole, n));
    CHECK(r != NULL && strlen(qcos_put_result_etag(r)) > 0 && strlen(qcos_put_result_request_id(r)) > 0);
    uint64_t prev_crc = r != NULL ? qcos_put_result_crc64(r) : 0;
    qcos_put_result_free(r);
    r = NULL;

    /* Checked against the previous CRC-64. */
    const char *b = "second line\n";
    OK(qcos_client_append_object_checked(c, "c-log", next, prev_crc, (const uint8_t *)b,
                                         strlen(b), NULL, &next, &r));
    memcpy(whole + n, b, strlen(b));
    n += strlen(b);
    CHECK(next == n);
    qcos_put_result_free(r);
    r = NULL;
    /* A wrong previous CRC-64 is an integrity failure (the bytes are appended). */
    EXPECT_STATUS(qcos_client_append_object_checked(c, "c-log", next, 12345, (const uint8_t *)"!", 1,
                                                    NULL, &next, NULL),
                  QCOS_STATUS_INTEGRITY, "CRC-64");
    whole[n++] = '!';
    next = n;

    /* From a file. */
    char path[1024];
    snprintf(path, sizeof path, "%s/append-chunk.txt", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f != NULL) {
        const char *fc = "from a file\n";
        fwrite(fc, 1, strlen(fc), f);
        fclose(f);
        OK(qcos_client_append_object_from_file(c, "c-log", next, path, NULL, &next, NULL));
        memcpy(whole + n, fc, strlen(fc));
        n += strlen(fc);
        CHECK(next == n);
    }
    snprintf(path, sizeof path, "%s/does-not-exist.txt", dir);
    EXPECT_STATUS(qcos_client_append_object_from_file(c, "c-log", next, path, NULL, &next, NULL),
                  QCOS_STATUS_IO, NULL);
    /* (NULL, 0) appends nothing. */
    OK(qcos_client_append_object(c, "c-log", next, NULL, 0, NULL, &next, NULL));
    CHECK(next == n);
    expect_object(c, "c-log", whole, n, "appendable");

    /* A wrong position: 409 with the service's code and the current length. */
    uint64_t untouched = 999;
    EXPECT_STATUS(qcos_client_append_object(c, "c-log", 3, (const uint8_t *)"x", 1, NULL,
                                            &untouched, NULL),
                  QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 409);
    CHECK(strcmp(qcos_last_error_code(), "PositionNotEqualToLength") == 0);
    char want[128];
    snprintf(want, sizeof want, "the next append goes at position %zu", n);
    CHECK(strstr(qcos_last_error_message(), want) != NULL);
    CHECK(untouched == 999);

    /* A normal object refuses appends; a PUT makes an appendable object normal. */
    OK(qcos_client_put_object(c, "c-normal", (const uint8_t *)"abc", 3, NULL, NULL));
    EXPECT_STATUS(qcos_client_append_object(c, "c-normal", 3, (const uint8_t *)"d", 1, NULL,
                                            &next, NULL),
                  QCOS_STATUS_SERVICE, NULL);
    CHECK(strcmp(qcos_last_error_code(), "ObjectNotAppendable") == 0);
    OK(qcos_client_put_object(c, "c-log", (const uint8_t *)"reset", 5, NULL, NULL));
    expect_object(c, "c-log", (const uint8_t *)"reset", 5, "normal");
}

/* The harness drops the answer of the first append to "c-lost": the call must still
 * succeed, with the bytes in the object exactly once. */
static void test_lost_response(const qcos_client *c) {
    uint64_t next = 0;
    qcos_put_result *r = NULL;
    const char *a = "appended once";
    OK(qcos_client_append_object(c, "c-lost", 0, (const uint8_t *)a, strlen(a), NULL, &next, &r));
    CHECK(next == strlen(a));
    CHECK(r != NULL && qcos_put_result_crc64(r) == crc64(0, (const uint8_t *)a, strlen(a)));
    qcos_put_result_free(r);
    expect_object(c, "c-lost", (const uint8_t *)a, strlen(a), "appendable");
}

int main(void) {
    const char *dir = env("QCOS_TEST_DIR");
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    OK(qcos_config_from_env(&cfg));
    OK(qcos_config_set_max_retries(cfg, 2));
    OK(qcos_client_new(cfg, &c));
    if (c == NULL) {
        fprintf(stderr, "cannot build a client; stopping\n");
        return 1;
    }
    test_null_and_bad_input(c);
    test_append(c, dir);
    test_lost_response(c);
    qcos_client_free(c);
    printf("%d checks, %d failed\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
