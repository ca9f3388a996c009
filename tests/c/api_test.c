/*
 * End-to-end test of the qcos C API, built against include/qcos.h and libqcos.a and
 * run by tests/c_api.rs against an in-process qcos-server.
 *
 * Environment (set by the harness): COS_ENDPOINT, COS_REGION, COS_BUCKET,
 * COS_SECRET_ID, COS_SECRET_KEY, QCOS_TEST_TMP_ID, QCOS_TEST_TMP_KEY,
 * QCOS_TEST_TMP_TOKEN (temporary credentials the server accepts), QCOS_TEST_DIR
 * (a scratch directory).
 *
 * Every check prints what failed with the last error; the exit status is the number
 * of failed checks (capped), so the harness sees every failure at once.
 */
#include "qcos.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef QCOS_NO_TEST_HOOKS
/* Test-only entry point, compiled into debug builds of the library only and kept out
 * of the public header (src/ffi/testing.rs). */
qcos_status qcos_test_panic(void);
#endif

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        checks++;                                                                        \
        if (!(cond)) {                                                                   \
            failures++;                                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n  last error: [%s] %s\n",          \
                    __FILE__, __LINE__, #cond,                                           \
                    qcos_status_str((uint32_t)qcos_last_error_status()),                 \
                    qcos_last_error_message());                                          \
        }                                                                                \
    } while (0)

/* Expect `got` (the result of `expr`) to be `want`; on failure statuses also expect
 * the last error message to mention `needle` (e.g. the argument's name) if given. */
static void expect_status(const char *file, int line, const char *expr, qcos_status got,
                          qcos_status want, const char *needle) {
    checks++;
    if (got != want) {
        failures++;
        fprintf(stderr, "%s:%d: %s returned %s (%d), expected %s\n  last error: %s\n", file, line,
                expr, qcos_status_str((uint32_t)got), (int)got, qcos_status_str((uint32_t)want),
                qcos_last_error_message());
    } else if (needle != NULL && strstr(qcos_last_error_message(), needle) == NULL) {
        failures++;
        fprintf(stderr, "%s:%d: %s: message \"%s\" does not mention \"%s\"\n", file, line, expr,
                qcos_last_error_message(), needle);
    }
}

#define EXPECT_STATUS(call, want, needle) \
    expect_status(__FILE__, __LINE__, #call, (call), (want), (needle))

#define OK(call) EXPECT_STATUS(call, QCOS_STATUS_OK, (const char *)NULL)
#define NULLARG(call, name) EXPECT_STATUS(call, QCOS_STATUS_INVALID_ARGUMENT, "`" name "`")

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "environment variable %s is not set\n", name);
        exit(100);
    }
    return v;
}

static const char BAD_UTF8[] = {'k', (char)0xff, (char)0xfe, 0};

/* ------------------------------------------------------------------------------ */

static void test_version_and_status(void) {
    CHECK(qcos_version_number() == QCOS_VERSION_NUMBER);
    CHECK(strcmp(qcos_version(), QCOS_VERSION) == 0);
    CHECK(QCOS_VERSION_NUMBER ==
          QCOS_VERSION_MAJOR * 1000000 + QCOS_VERSION_MINOR * 1000 + QCOS_VERSION_PATCH);
    CHECK(strcmp(qcos_status_str(QCOS_STATUS_OK), "ok") == 0);
    CHECK(strcmp(qcos_status_str(QCOS_STATUS_BUFFER_TOO_SMALL), "buffer too small") == 0);
    CHECK(strcmp(qcos_status_str(QCOS_STATUS_INTERNAL), "internal error") == 0);
    CHECK(strcmp(qcos_status_str(12345), "unknown status") == 0);
    /* Fixed ABI numbers. */
    CHECK(QCOS_STATUS_OK == 0 && QCOS_STATUS_INVALID_ARGUMENT == 1 && QCOS_STATUS_SERVICE == 2);
    CHECK(QCOS_STATUS_BUFFER_TOO_SMALL == 9 && QCOS_STATUS_INTERNAL == 13);
}

static void test_panic_is_caught(void) {
#ifndef QCOS_NO_TEST_HOOKS
    EXPECT_STATUS(qcos_test_panic(), QCOS_STATUS_INTERNAL, "panic");
    CHECK(strstr(qcos_last_error_message(), "src/ffi/testing.rs") != NULL);
    CHECK(qcos_last_error_status() == QCOS_STATUS_INTERNAL);
#endif
    /* The library still works after a caught panic. */
    qcos_config *cfg = NULL;
    OK(qcos_config_new("ap-guangzhou", "examplebucket-1250000000", &cfg));
    CHECK(qcos_last_error_status() == QCOS_STATUS_OK);
    CHECK(strcmp(qcos_last_error_message(), "") == 0);
    qcos_config_free(cfg);
}

static void test_free_null_is_noop(void) {
    qcos_config_free(NULL);
    qcos_client_free(NULL);
    qcos_buffer_free(NULL);
    qcos_object_info_free(NULL);
    qcos_put_result_free(NULL);
    qcos_delete_result_free(NULL);
    qcos_bucket_list_free(NULL);
    qcos_list_free(NULL);
    qcos_put_options_free(NULL);
    qcos_get_options_free(NULL);
    CHECK(1);
}

static void test_accessors_on_null(void) {
    CHECK(qcos_buffer_data(NULL) == NULL);
    CHECK(qcos_buffer_len(NULL) == 0);
    CHECK(qcos_object_info_http_status(NULL) == 0);
    CHECK(qcos_object_info_content_length(NULL) == 0);
    CHECK(qcos_object_info_content_type(NULL) == NULL);
    CHECK(qcos_object_info_etag(NULL) == NULL);
    CHECK(qcos_object_info_last_modified(NULL) == NULL);
    CHECK(!qcos_object_info_has_crc64(NULL));
    CHECK(qcos_object_info_crc64(NULL) == 0);
    CHECK(qcos_object_info_storage_class(NULL) == NULL);
    CHECK(qcos_object_info_version_id(NULL) == NULL);
    CHECK(qcos_object_info_content_range(NULL) == NULL);
    CHECK(qcos_object_info_request_id(NULL) == NULL);
    CHECK(qcos_object_info_meta_count(NULL) == 0);
    CHECK(qcos_object_info_meta_name(NULL, 0) == NULL);
    CHECK(qcos_object_info_meta_value(NULL, 0) == NULL);
    CHECK(qcos_object_info_meta_get(NULL, "x") == NULL);
    CHECK(qcos_object_info_header_count(NULL) == 0);
    CHECK(qcos_object_info_header_name(NULL, 0) == NULL);
    CHECK(qcos_object_info_header_value(NULL, 0) == NULL);
    CHECK(qcos_put_result_etag(NULL) == NULL);
    CHECK(!qcos_put_result_has_crc64(NULL));
    CHECK(qcos_put_result_crc64(NULL) == 0);
    CHECK(qcos_put_result_version_id(NULL) == NULL);
    CHECK(qcos_put_result_last_modified(NULL) == NULL);
    CHECK(qcos_put_result_request_id(NULL) == NULL);
    CHECK(qcos_delete_result_deleted_count(NULL) == 0);
    CHECK(qcos_delete_result_deleted_key(NULL, 0) == NULL);
    CHECK(qcos_delete_result_error_count(NULL) == 0);
    CHECK(qcos_delete_result_error_key(NULL, 0) == NULL);
    CHECK(qcos_delete_result_error_code(NULL, 0) == NULL);
    CHECK(qcos_delete_result_error_message(NULL, 0) == NULL);
    CHECK(qcos_bucket_list_count(NULL) == 0);
    CHECK(qcos_bucket_list_name(NULL, 0) == NULL);
    CHECK(qcos_bucket_list_region(NULL, 0) == NULL);
    CHECK(qcos_bucket_list_creation_date(NULL, 0) == NULL);
    CHECK(qcos_list_object_count(NULL) == 0);
    CHECK(qcos_list_object_key(NULL, 0) == NULL);
    CHECK(qcos_list_object_size(NULL, 0) == 0);
    CHECK(qcos_list_object_etag(NULL, 0) == NULL);
    CHECK(qcos_list_object_last_modified(NULL, 0) == NULL);
    CHECK(qcos_list_object_storage_class(NULL, 0) == NULL);
    CHECK(qcos_list_prefix_count(NULL) == 0);
    CHECK(qcos_list_prefix(NULL, 0) == NULL);
    CHECK(!qcos_list_is_truncated(NULL));
    CHECK(qcos_list_next_marker(NULL) == NULL);
}

/* NULL for every pointer argument of every status-returning function. */
static void test_null_arguments(const qcos_client *c) {
    qcos_config *cfg = NULL;
    qcos_put_options *po = NULL;
    qcos_get_options *go = NULL;
    const qcos_client *cl = NULL;
    qcos_put_result *pr = NULL;
    qcos_buffer *buf = NULL;
    qcos_object_info *info = NULL;
    qcos_delete_result *dr = NULL;
    qcos_bucket_list *bl = NULL;
    qcos_list *list = NULL;
    uint8_t bytes[4] = {0};
    size_t n = 0;
    bool more = false;
    const char *keys[] = {"a"};

    NULLARG(qcos_config_new(NULL, "examplebucket-1250000000", &cfg), "region");
    NULLARG(qcos_config_new("ap-guangzhou", NULL, &cfg), "bucket");
    NULLARG(qcos_config_new("ap-guangzhou", "examplebucket-1250000000", NULL), "cfg_out");
    NULLARG(qcos_config_from_env(NULL), "cfg_out");
    CHECK(cfg == NULL); /* outputs are written only on success */

    OK(qcos_config_new("ap-guangzhou", "examplebucket-1250000000", &cfg));
    NULLARG(qcos_config_set_region(NULL, "ap-guangzhou"), "cfg");
    NULLARG(qcos_config_set_region(cfg, NULL), "region");
    NULLARG(qcos_config_set_bucket(NULL, "examplebucket-1250000000"), "cfg");
    NULLARG(qcos_config_set_bucket(cfg, NULL), "bucket");
    NULLARG(qcos_config_set_credentials(NULL, "id", "key"), "cfg");
    NULLARG(qcos_config_set_credentials(cfg, NULL, "key"), "secret_id");
    NULLARG(qcos_config_set_credentials(cfg, "id", NULL), "secret_key");
    NULLARG(qcos_config_set_temporary_credentials(NULL, "i", "k", "t", 0, 0), "cfg");
    NULLARG(qcos_config_set_temporary_credentials(cfg, NULL, "k", "t", 0, 0), "secret_id");
    NULLARG(qcos_config_set_temporary_credentials(cfg, "i", NULL, "t", 0, 0), "secret_key");
    NULLARG(qcos_config_set_temporary_credentials(cfg, "i", "k", NULL, 0, 0), "token");
    NULLARG(qcos_config_set_credentials_provider(NULL, NULL, NULL), "cfg");
    NULLARG(qcos_config_set_credentials_provider(cfg, NULL, NULL), "cb");
    NULLARG(qcos_config_set_protocol(NULL, QCOS_PROTOCOL_HTTP), "cfg");
    NULLARG(qcos_config_set_domain(NULL, "x"), "cfg");
    NULLARG(qcos_config_set_endpoint(NULL, "http://127.0.0.1:1"), "cfg");
    NULLARG(qcos_config_set_user_agent(NULL, "ua"), "cfg");
    NULLARG(qcos_config_set_user_agent(cfg, NULL), "user_agent");
    NULLARG(qcos_config_set_path_style(NULL, true), "cfg");
    NULLARG(qcos_config_set_use_accelerate(NULL, true), "cfg");
    NULLARG(qcos_config_set_timeout_ms(NULL, 1), "cfg");
    NULLARG(qcos_config_set_connect_timeout_ms(NULL, 1), "cfg");
    NULLARG(qcos_config_set_io_timeout_ms(NULL, 1), "cfg");
    NULLARG(qcos_config_set_max_retries(NULL, 1), "cfg");
    NULLARG(qcos_config_set_retry_base_delay_ms(NULL, 1), "cfg");
    NULLARG(qcos_config_set_correct_clock_skew(NULL, true), "cfg");
    NULLARG(qcos_config_set_sign_expires_secs(NULL, 60), "cfg");
    NULLARG(qcos_config_set_credential_refresh_margin_secs(NULL, 60), "cfg");
    NULLARG(qcos_config_set_slice_size(NULL, 1), "cfg");
    NULLARG(qcos_config_set_chunk_size(NULL, 1 << 20), "cfg");
    NULLARG(qcos_config_set_chunk_parallel_limit(NULL, 1), "cfg");
    NULLARG(qcos_config_set_file_parallel_limit(NULL, 1), "cfg");
    NULLARG(qcos_config_set_chunk_retry_times(NULL, 1), "cfg");
    NULLARG(qcos_config_set_copy_slice_size(NULL, 1), "cfg");
    NULLARG(qcos_config_set_copy_chunk_size(NULL, 1 << 20), "cfg");
    NULLARG(qcos_config_set_copy_chunk_parallel_limit(NULL, 1), "cfg");
    NULLARG(qcos_config_set_progress_interval_ms(NULL, 1), "cfg");
    NULLARG(qcos_config_set_upload_queue_size(NULL, 1), "cfg");
    NULLARG(qcos_config_set_upload_check_content_md5(NULL, true), "cfg");
    NULLARG(qcos_config_set_upload_add_meta_md5(NULL, true), "cfg");
    NULLARG(qcos_credentials_set(NULL, "i", "k", NULL, 0, 0), "out");

    NULLARG(qcos_client_new(NULL, &cl), "cfg");
    NULLARG(qcos_client_new(cfg, NULL), "client_out"); /* consumes cfg anyway */
    CHECK(cl == NULL);

    NULLARG(qcos_put_options_new(NULL), "opts_out");
    NULLARG(qcos_get_options_new(NULL), "opts_out");
    OK(qcos_put_options_new(&po));
    OK(qcos_get_options_new(&go));
    NULLARG(qcos_put_options_add_meta(NULL, "a", "b"), "opts");
    NULLARG(qcos_put_options_add_meta(po, NULL, "b"), "name");
    NULLARG(qcos_put_options_add_meta(po, "a", NULL), "value");
    NULLARG(qcos_put_options_add_header(NULL, "a", "b"), "opts");
    NULLARG(qcos_put_options_add_header(po, NULL, "b"), "name");
    NULLARG(qcos_put_options_add_header(po, "a", NULL), "value");
    NULLARG(qcos_put_options_set_content_type(NULL, "x"), "opts");
    NULLARG(qcos_put_options_set_cache_control(NULL, "x"), "opts");
    NULLARG(qcos_put_options_set_content_disposition(NULL, "x"), "opts");
    NULLARG(qcos_put_options_set_content_encoding(NULL, "x"), "opts");
    NULLARG(qcos_put_options_set_expires(NULL, "x"), "opts");
    NULLARG(qcos_put_options_set_storage_class(NULL, "x"), "opts");
    NULLARG(qcos_put_options_set_check_content_md5(NULL, true), "opts");
    NULLARG(qcos_put_options_set_add_meta_md5(NULL, true), "opts");
    NULLARG(qcos_put_options_set_traffic_limit(NULL, 1000000), "opts");
    NULLARG(qcos_get_options_set_range(NULL, 0, 1), "opts");
    NULLARG(qcos_get_options_set_range_from(NULL, 0), "opts");
    NULLARG(qcos_get_options_set_traffic_limit(NULL, 1000000), "opts");
    NULLARG(qcos_get_options_set_if_match(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_if_none_match(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_if_modified_since(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_if_unmodified_since(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_response_content_type(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_response_content_disposition(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_response_content_encoding(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_response_content_language(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_response_cache_control(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_response_expires(NULL, "x"), "opts");
    NULLARG(qcos_get_options_set_version_id(NULL, "x"), "opts");

    NULLARG(qcos_client_put_object(NULL, "k", bytes, 1, NULL, NULL), "client");
    NULLARG(qcos_client_put_object(c, NULL, bytes, 1, NULL, NULL), "key");
    NULLARG(qcos_client_put_object(c, "k", NULL, 1, NULL, NULL), "data");
    NULLARG(qcos_client_put_object_from_file(NULL, "k", "/x", NULL, NULL), "client");
    NULLARG(qcos_client_put_object_from_file(c, NULL, "/x", NULL, NULL), "key");
    NULLARG(qcos_client_put_object_from_file(c, "k", NULL, NULL, NULL), "path");
    NULLARG(qcos_client_put_object_from_callback(NULL, "k", 1, NULL, NULL, NULL, NULL), "client");
    NULLARG(qcos_client_put_object_from_callback(c, NULL, 1, NULL, NULL, NULL, NULL), "key");
    NULLARG(qcos_client_put_object_from_callback(c, "k", 1, NULL, NULL, NULL, NULL), "read_cb");
    NULLARG(qcos_client_get_object(NULL, "k", NULL, &buf, NULL), "client");
    NULLARG(qcos_client_get_object(c, NULL, NULL, &buf, NULL), "key");
    NULLARG(qcos_client_get_object(c, "k", NULL, NULL, NULL), "buf_out");
    NULLARG(qcos_client_get_object_to_buffer(NULL, "k", NULL, bytes, 4, &n, NULL), "client");
    NULLARG(qcos_client_get_object_to_buffer(c, NULL, NULL, bytes, 4, &n, NULL), "key");
    NULLARG(qcos_client_get_object_to_buffer(c, "k", NULL, NULL, 4, &n, NULL), "buf");
    NULLARG(qcos_client_get_object_to_buffer(c, "k", NULL, bytes, 4, NULL, NULL), "len_out");
    NULLARG(qcos_client_get_object_to_file(NULL, "k", "/x", NULL, NULL), "client");
    NULLARG(qcos_client_get_object_to_file(c, NULL, "/x", NULL, NULL), "key");
    NULLARG(qcos_client_get_object_to_file(c, "k", NULL, NULL, NULL), "path");
    NULLARG(qcos_client_get_object_to_callback(NULL, "k", NULL, NULL, NULL, NULL), "client");
    NULLARG(qcos_client_get_object_to_callback(c, NULL, NULL, NULL, NULL, NULL), "key");
    NULLARG(qcos_client_get_object_to_callback(c, "k", NULL, NULL, NULL, NULL), "write_cb");
    NULLARG(qcos_client_head_object(NULL, "k", NULL, &info), "client");
    NULLARG(qcos_client_head_object(c, NULL, NULL, &info), "key");
    NULLARG(qcos_client_head_object(c, "k", NULL, NULL), "info_out");
    NULLARG(qcos_client_delete_object(NULL, "k"), "client");
    NULLARG(qcos_client_delete_object(c, NULL), "key");
    NULLARG(qcos_client_delete_objects(NULL, keys, 1, false, &dr), "client");
    NULLARG(qcos_client_delete_objects(c, NULL, 1, false, &dr), "keys");
    NULLARG(qcos_client_delete_objects(c, keys, 1, false, NULL), "result_out");
    NULLARG(qcos_client_copy_object(NULL, "k", "b-1", "ap-guangzhou", "s", NULL, NULL, NULL), "client");
    NULLARG(qcos_client_copy_object(c, NULL, "b-1", "ap-guangzhou", "s", NULL, NULL, NULL), "key");
    NULLARG(qcos_client_copy_object(c, "k", NULL, "ap-guangzhou", "s", NULL, NULL, NULL), "src_bucket");
    NULLARG(qcos_client_copy_object(c, "k", "b-1", NULL, "s", NULL, NULL, NULL), "src_region");
    NULLARG(qcos_client_copy_object(c, "k", "b-1", "ap-guangzhou", NULL, NULL, NULL, NULL), "src_key");
    NULLARG(qcos_client_list_objects(NULL, NULL, NULL, NULL, 0, &list), "client");
    NULLARG(qcos_client_list_objects(c, NULL, NULL, NULL, 0, NULL), "list_out");
    NULLARG(qcos_list_next(NULL, &more), "list");
    NULLARG(qcos_client_head_bucket(NULL), "client");
    NULLARG(qcos_client_create_bucket(NULL), "client");
    NULLARG(qcos_client_delete_bucket(NULL), "client");
    NULLARG(qcos_client_list_buckets(NULL, &bl), "client");
    NULLARG(qcos_client_list_buckets(c, NULL), "list_out");

    OK(qcos_client_list_objects(c, NULL, NULL, NULL, 0, &list));
    NULLARG(qcos_list_next(list, NULL), "has_page_out");
    qcos_list_free(list);

    /* Nothing was written to any output by the failed calls. */
    CHECK(buf == NULL && info == NULL && dr == NULL && bl == NULL && pr == NULL && n == 0);
    qcos_put_options_free(po);
    qcos_get_options_free(go);
}

static void test_invalid_input(const qcos_client *c) {
    qcos_config *cfg = NULL;
    qcos_put_options *po = NULL;
    qcos_get_options *go = NULL;

    /* Invalid UTF-8 is refused, naming the argument. */
    EXPECT_STATUS(qcos_config_new(BAD_UTF8, "examplebucket-1250000000", &cfg),
                  QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    EXPECT_STATUS(qcos_client_delete_object(c, BAD_UTF8), QCOS_STATUS_INVALID_ARGUMENT, "`key`");
    EXPECT_STATUS(qcos_client_put_object(c, BAD_UTF8, (const uint8_t *)"x", 1, NULL, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    {
        const char *keys[] = {"ok", BAD_UTF8};
        qcos_delete_result *dr = NULL;
        EXPECT_STATUS(qcos_client_delete_objects(c, keys, 2, false, &dr),
                      QCOS_STATUS_INVALID_ARGUMENT, "element 1");
        CHECK(dr == NULL);
        keys[1] = NULL;
        EXPECT_STATUS(qcos_client_delete_objects(c, keys, 2, false, &dr),
                      QCOS_STATUS_INVALID_ARGUMENT, "element 1 is NULL");
        EXPECT_STATUS(qcos_client_delete_objects(c, keys, 0, false, &dr),
                      QCOS_STATUS_INVALID_ARGUMENT, "n_keys");
    }

    /* Bad bucket names and regions are refused at the call, saying why. */
    EXPECT_STATUS(qcos_config_new("ap-guangzhou", "Bad_Bucket", &cfg),
                  QCOS_STATUS_INVALID_ARGUMENT, "bucket");
    EXPECT_STATUS(qcos_config_new("ap-guangzhou", "nobucketappid", &cfg),
                  QCOS_STATUS_INVALID_ARGUMENT, "bucket");
    EXPECT_STATUS(qcos_config_new("ap guangzhou", "examplebucket-1250000000", &cfg),
                  QCOS_STATUS_INVALID_ARGUMENT, "region");
    EXPECT_STATUS(qcos_config_new("", "examplebucket-1250000000", &cfg),
                  QCOS_STATUS_INVALID_ARGUMENT, "region");
    CHECK(cfg == NULL);
    OK(qcos_config_new("ap-guangzhou", "", &cfg)); /* "" = a client for GET Service */
    EXPECT_STATUS(qcos_config_set_bucket(cfg, "UPPER-125"), QCOS_STATUS_INVALID_ARGUMENT, "bucket");
    EXPECT_STATUS(qcos_config_set_region(cfg, "ap/x"), QCOS_STATUS_INVALID_ARGUMENT, "region");
    EXPECT_STATUS(qcos_config_set_protocol(cfg, 7), QCOS_STATUS_INVALID_ARGUMENT, "protocol");
    EXPECT_STATUS(qcos_config_set_endpoint(cfg, "ftp://x"), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT_STATUS(qcos_config_set_user_agent(cfg, "a\r\nX-Evil: 1"), QCOS_STATUS_INVALID_ARGUMENT,
                  "user_agent");
    EXPECT_STATUS(qcos_config_set_chunk_size(cfg, 10), QCOS_STATUS_INVALID_ARGUMENT, "chunk_size");
    EXPECT_STATUS(qcos_config_set_chunk_parallel_limit(cfg, 0), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT_STATUS(qcos_config_set_sign_expires_secs(cfg, 0), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT_STATUS(qcos_config_set_credentials(cfg, "", "k"), QCOS_STATUS_AUTH, "SecretId");
    EXPECT_STATUS(qcos_config_set_credentials(cfg, "id", "k ey"), QCOS_STATUS_AUTH, NULL);
    EXPECT_STATUS(qcos_config_set_temporary_credentials(cfg, "i", "k", "t", 100, 50),
                  QCOS_STATUS_AUTH, NULL);
    EXPECT_STATUS(qcos_config_set_temporary_credentials(cfg, "i", "k", "t", -1, 50),
                  QCOS_STATUS_INVALID_ARGUMENT, NULL);
    /* Valid values are accepted. */
    OK(qcos_config_set_bucket(cfg, "examplebucket-1250000000"));
    OK(qcos_config_set_region(cfg, "ap-beijing"));
    OK(qcos_config_set_protocol(cfg, QCOS_PROTOCOL_HTTP));
    OK(qcos_config_set_domain(cfg, "{Bucket}.cos.{Region}.example.com"));
    OK(qcos_config_set_domain(cfg, NULL));
    OK(qcos_config_set_path_style(cfg, false));
    OK(qcos_config_set_use_accelerate(cfg, false));
    OK(qcos_config_set_timeout_ms(cfg, 0));
    OK(qcos_config_set_connect_timeout_ms(cfg, 5000));
    OK(qcos_config_set_io_timeout_ms(cfg, 30000));
    OK(qcos_config_set_max_retries(cfg, 2));
    OK(qcos_config_set_retry_base_delay_ms(cfg, 50));
    OK(qcos_config_set_correct_clock_skew(cfg, true));
    OK(qcos_config_set_sign_expires_secs(cfg, 600));
    OK(qcos_config_set_credential_refresh_margin_secs(cfg, 30));
    OK(qcos_config_set_slice_size(cfg, 2u << 20));
    OK(qcos_config_set_chunk_size(cfg, 4u << 20));
    OK(qcos_config_set_chunk_parallel_limit(cfg, 3));
    OK(qcos_config_set_file_parallel_limit(cfg, 2));
    OK(qcos_config_set_chunk_retry_times(cfg, 1));
    OK(qcos_config_set_copy_slice_size(cfg, 5u << 20));
    OK(qcos_config_set_copy_chunk_size(cfg, 5u << 20));
    OK(qcos_config_set_copy_chunk_parallel_limit(cfg, 4));
    OK(qcos_config_set_progress_interval_ms(cfg, 200));
    OK(qcos_config_set_upload_queue_size(cfg, 100));
    OK(qcos_config_set_upload_check_content_md5(cfg, true));
    OK(qcos_config_set_upload_add_meta_md5(cfg, true));
    OK(qcos_config_set_user_agent(cfg, "qcos-c-test/1"));
    OK(qcos_config_set_credentials(cfg, "AKIDexample", "secret"));
    OK(qcos_config_set_temporary_credentials(cfg, "AKIDtmp", "tmpkey", "token", 0, 4102444800));
    qcos_config_free(cfg);

    /* CR/LF in metadata and headers is refused (no header injection). */
    OK(qcos_put_options_new(&po));
    EXPECT_STATUS(qcos_put_options_add_meta(po, "author", "a\r\nX-Injected: 1"),
                  QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT_STATUS(qcos_put_options_add_meta(po, "bad name", "v"), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT_STATUS(qcos_put_options_add_meta(po, "", "v"), QCOS_STATUS_INVALID_ARGUMENT, "name");
    EXPECT_STATUS(qcos_put_options_add_meta(po, "a", BAD_UTF8), QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    EXPECT_STATUS(qcos_put_options_add_header(po, "x-cos-acl", "private\nX: y"),
                  QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT_STATUS(qcos_put_options_add_header(po, "Bad Header", "v"), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT_STATUS(qcos_put_options_set_content_type(po, "text/plain\r\n"), QCOS_STATUS_INVALID_ARGUMENT,
                  NULL);
    qcos_put_options_free(po);
    OK(qcos_get_options_new(&go));
    EXPECT_STATUS(qcos_get_options_set_range(go, 10, 5), QCOS_STATUS_INVALID_ARGUMENT, "range");
    EXPECT_STATUS(qcos_get_options_set_response_content_type(go, "a\nb"),
                  QCOS_STATUS_INVALID_ARGUMENT, NULL);
    qcos_get_options_free(go);

    {
        qcos_list *list = NULL;
        EXPECT_STATUS(qcos_client_list_objects(c, NULL, NULL, NULL, 1001, &list),
                      QCOS_STATUS_INVALID_ARGUMENT, "max_keys");
        CHECK(list == NULL);
    }

    /* Zero and huge lengths. */
    {
        static const uint8_t one = 1;
        uint8_t b[1];
        size_t n = 77;
        EXPECT_STATUS(qcos_client_put_object(c, "k", &one, SIZE_MAX, NULL, NULL),
                      QCOS_STATUS_INVALID_ARGUMENT, "data");
        EXPECT_STATUS(qcos_client_get_object_to_buffer(c, "k", NULL, b, SIZE_MAX, &n, NULL),
                      QCOS_STATUS_INVALID_ARGUMENT, "buf");
        CHECK(n == 77);
        EXPECT_STATUS(qcos_client_put_object_from_file(c, "k", "", NULL, NULL),
                      QCOS_STATUS_INVALID_ARGUMENT, "path");
    }
}

/* A server that is not there: a network error, quickly (no retries). */
static void test_network_error(void) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    OK(qcos_config_new("ap-guangzhou", "examplebucket-1250000000", &cfg));
    OK(qcos_config_set_endpoint(cfg, "http://127.0.0.1:1"));
    OK(qcos_config_set_credentials(cfg, "AKIDexample", "secret"));
    OK(qcos_config_set_max_retries(cfg, 0));
    OK(qcos_config_set_connect_timeout_ms(cfg, 2000));
    OK(qcos_client_new(cfg, &c));
    EXPECT_STATUS(qcos_client_head_bucket(c), QCOS_STATUS_NETWORK, NULL);
    CHECK(qcos_last_error_http_status() == 0);
    CHECK(strcmp(qcos_last_error_code(), "") == 0);
    qcos_client_free(c);
}

/* ------------------------------------------------------------------------------ */

struct reader {
    const uint8_t *data;
    size_t len, pos, chunk;
    int fail_at; /* return this non-zero once pos reaches len/2; 0 = never */
    int calls;
};

static int read_cb(void *user_data, uint8_t *buf, size_t cap, size_t *n_out) {
    struct reader *r = (struct reader *)user_data;
    size_t n = r->len - r->pos;
    r->calls++;
    if (r->fail_at != 0 && r->pos >= r->len / 2) {
        return r->fail_at;
    }
    if (n > cap) n = cap;
    if (n > r->chunk) n = r->chunk;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    *n_out = n;
    return 0;
}

struct sink {
    uint8_t *data;
    size_t len, cap;
    int stop_after; /* stop (return 7) after this many calls; 0 = never */
    int calls;
};

static int write_cb(void *user_data, const uint8_t *data, size_t len) {
    struct sink *s = (struct sink *)user_data;
    s->calls++;
    if (s->stop_after != 0 && s->calls > s->stop_after) {
        return 7;
    }
    if (s->len + len > s->cap) {
        size_t cap = (s->len + len) * 2;
        uint8_t *p = (uint8_t *)realloc(s->data, cap);
        if (p == NULL) return 1;
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return 0;
}

static uint8_t *pattern(size_t len) {
    uint8_t *p = (uint8_t *)malloc(len);
    size_t i;
    for (i = 0; i < len; i++) p[i] = (uint8_t)((i * 31u + 7u) ^ (i >> 8));
    return p;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long n;
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = (uint8_t *)malloc(n > 0 ? (size_t)n : 1);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

static int file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f != NULL) fclose(f);
    return f != NULL;
}

static void test_bucket_ops(const qcos_client *c, const char *bucket) {
    qcos_bucket_list *bl = NULL;
    size_t i, found = 0;
    /* The bucket does not exist yet. */
    EXPECT_STATUS(qcos_client_head_bucket(c), QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 404);
    OK(qcos_client_create_bucket(c));
    OK(qcos_client_head_bucket(c));
    EXPECT_STATUS(qcos_client_create_bucket(c), QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 409);
    OK(qcos_client_list_buckets(c, &bl));
    for (i = 0; i < qcos_bucket_list_count(bl); i++) {
        if (strcmp(qcos_bucket_list_name(bl, i), bucket) == 0) {
            found++;
            CHECK(strlen(qcos_bucket_list_region(bl, i)) > 0);
            CHECK(strlen(qcos_bucket_list_creation_date(bl, i)) > 0);
        }
    }
    CHECK(found == 1);
    CHECK(qcos_bucket_list_name(bl, qcos_bucket_list_count(bl)) == NULL);
    qcos_bucket_list_free(bl);
}

static void test_put_head_get(const qcos_client *c, const char *dir) {
    const size_t len = 300000;
    uint8_t *data = pattern(len);
    qcos_put_options *po = NULL;
    qcos_put_result *pr = NULL;
    qcos_object_info *info = NULL;
    qcos_buffer *buf = NULL;
    qcos_get_options *go = NULL;
    uint8_t *big;
    uint8_t small[16];
    size_t n = 12345, i, found_hdr = 0;
    char path[1024];

    OK(qcos_put_options_new(&po));
    OK(qcos_put_options_set_content_type(po, "application/x-qcos-test"));
    OK(qcos_put_options_add_meta(po, "author", "c-test"));
    OK(qcos_put_options_add_meta(po, "Purpose", "e2e"));
    OK(qcos_put_options_set_storage_class(po, "STANDARD_IA"));
    OK(qcos_put_options_set_check_content_md5(po, true));
    OK(qcos_put_options_set_add_meta_md5(po, true));
    OK(qcos_put_options_set_cache_control(po, "max-age=60"));
    OK(qcos_put_options_add_header(po, "x-cos-tagging", "k=v"));
    OK(qcos_client_put_object(c, "dir/data.bin", data, len, po, &pr));
    CHECK(pr != NULL);
    CHECK(strlen(qcos_put_result_etag(pr)) > 2);
    CHECK(qcos_put_result_has_crc64(pr));
    CHECK(strlen(qcos_put_result_request_id(pr)) > 0);
    qcos_put_options_free(po);

    /* HEAD: metadata as stored. */
    OK(qcos_client_head_object(c, "dir/data.bin", NULL, &info));
    CHECK(qcos_object_info_http_status(info) == 200);
    CHECK(qcos_object_info_content_length(info) == len);
    CHECK(strcmp(qcos_object_info_content_type(info), "application/x-qcos-test") == 0);
    CHECK(strcmp(qcos_object_info_etag(info), qcos_put_result_etag(pr)) == 0);
    CHECK(qcos_object_info_has_crc64(info));
    CHECK(qcos_object_info_crc64(info) == qcos_put_result_crc64(pr));
    CHECK(strcmp(qcos_object_info_storage_class(info), "STANDARD_IA") == 0);
    CHECK(strlen(qcos_object_info_last_modified(info)) > 0);
    CHECK(strlen(qcos_object_info_request_id(info)) > 0);
    CHECK(qcos_object_info_meta_get(info, "author") != NULL &&
          strcmp(qcos_object_info_meta_get(info, "author"), "c-test") == 0);
    CHECK(qcos_object_info_meta_get(info, "PURPOSE") != NULL);
    CHECK(qcos_object_info_meta_get(info, "md5") != NULL &&
          strlen(qcos_object_info_meta_get(info, "md5")) == 32);
    CHECK(qcos_object_info_meta_get(info, "absent") == NULL);
    CHECK(qcos_object_info_meta_get(info, NULL) == NULL);
    CHECK(qcos_object_info_meta_get(info, BAD_UTF8) == NULL);
    CHECK(qcos_object_info_meta_count(info) >= 3);
    CHECK(qcos_object_info_meta_name(info, qcos_object_info_meta_count(info)) == NULL);
    for (i = 0; i < qcos_object_info_header_count(info); i++) {
        if (strcmp(qcos_object_info_header_name(info, i), "cache-control") == 0) {
            found_hdr++;
            CHECK(strcmp(qcos_object_info_header_value(info, i), "max-age=60") == 0);
        }
    }
    CHECK(found_hdr == 1);
    qcos_object_info_free(info);
    info = NULL;

    /* GET into a library-owned buffer. */
    OK(qcos_client_get_object(c, "dir/data.bin", NULL, &buf, &info));
    CHECK(qcos_buffer_len(buf) == len);
    CHECK(qcos_buffer_data(buf) != NULL && memcmp(qcos_buffer_data(buf), data, len) == 0);
    CHECK(qcos_object_info_content_length(info) == len);
    qcos_buffer_free(buf);
    qcos_object_info_free(info);
    info = NULL;

    /* GET into a caller buffer: too small reports the needed size. */
    EXPECT_STATUS(qcos_client_get_object_to_buffer(c, "dir/data.bin", NULL, small, sizeof small, &n,
                                                   &info),
                  QCOS_STATUS_BUFFER_TOO_SMALL, "buffer too small");
    CHECK(n == len);
    CHECK(info == NULL);
    big = (uint8_t *)malloc(n);
    OK(qcos_client_get_object_to_buffer(c, "dir/data.bin", NULL, big, n, &n, NULL));
    CHECK(n == len && memcmp(big, data, len) == 0);
    free(big);

    /* Range, response-* override. */
    OK(qcos_get_options_new(&go));
    OK(qcos_get_options_set_range(go, 100, 109));
    OK(qcos_get_options_set_response_content_type(go, "text/x-override"));
    OK(qcos_get_options_set_response_cache_control(go, "no-cache"));
    OK(qcos_client_get_object_to_buffer(c, "dir/data.bin", go, small, sizeof small, &n, &info));
    CHECK(n == 10 && memcmp(small, data + 100, 10) == 0);
    CHECK(qcos_object_info_http_status(info) == 206);
    CHECK(strncmp(qcos_object_info_content_range(info), "bytes 100-109/", 14) == 0);
    CHECK(strcmp(qcos_object_info_content_type(info), "text/x-override") == 0);
    qcos_object_info_free(info);
    info = NULL;
    OK(qcos_get_options_set_range_from(go, len - 5));
    OK(qcos_client_get_object_to_buffer(c, "dir/data.bin", go, small, sizeof small, &n, NULL));
    CHECK(n == 5 && memcmp(small, data + len - 5, 5) == 0);
    qcos_get_options_free(go);

    /* If-* conditions: If-None-Match with the current ETag answers 304, If-Match with
     * another ETag 412. */
    OK(qcos_get_options_new(&go));
    OK(qcos_client_head_object(c, "dir/data.bin", NULL, &info));
    OK(qcos_get_options_set_if_none_match(go, qcos_object_info_etag(info)));
    EXPECT_STATUS(qcos_client_get_object(c, "dir/data.bin", go, &buf, NULL), QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 304);
    qcos_get_options_free(go);
    OK(qcos_get_options_new(&go));
    OK(qcos_get_options_set_if_match(go, "\"0123456789abcdef0123456789abcdef\""));
    EXPECT_STATUS(qcos_client_get_object(c, "dir/data.bin", go, &buf, NULL), QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 412);
    OK(qcos_get_options_set_if_match(go, qcos_object_info_etag(info)));
    OK(qcos_client_get_object(c, "dir/data.bin", go, &buf, NULL));
    CHECK(qcos_buffer_len(buf) == len);
    qcos_buffer_free(buf);
    qcos_get_options_free(go);
    qcos_object_info_free(info);
    info = NULL;

    /* GET to a file (atomic: a failed download leaves no file). */
    snprintf(path, sizeof path, "%s/download.bin", dir);
    OK(qcos_client_get_object_to_file(c, "dir/data.bin", path, NULL, &info));
    CHECK(qcos_object_info_content_length(info) == len);
    qcos_object_info_free(info);
    info = NULL;
    {
        size_t flen = 0;
        uint8_t *f = read_file(path, &flen);
        CHECK(f != NULL && flen == len && memcmp(f, data, len) == 0);
        free(f);
    }
    snprintf(path, sizeof path, "%s/missing.bin", dir);
    EXPECT_STATUS(qcos_client_get_object_to_file(c, "no/such/key", path, NULL, NULL),
                  QCOS_STATUS_SERVICE, NULL);
    CHECK(!file_exists(path));
    snprintf(path, sizeof path, "%s/no-such-dir/file.bin", dir);
    EXPECT_STATUS(qcos_client_get_object_to_file(c, "dir/data.bin", path, NULL, NULL), QCOS_STATUS_IO,
                  NULL);

    /* GET to a write callback, and a callback that stops the download. */
    {
        struct sink s;
        memset(&s, 0, sizeof s);
        OK(qcos_client_get_object_to_callback(c, "dir/data.bin", NULL, write_cb, &s, &info));
        CHECK(s.len == len && memcmp(s.data, data, len) == 0);
        CHECK(qcos_object_info_content_length(info) == len);
        qcos_object_info_free(info);
        info = NULL;
        free(s.data);
        memset(&s, 0, sizeof s);
        s.stop_after = 1;
        EXPECT_STATUS(qcos_client_get_object_to_callback(c, "dir/data.bin", NULL, write_cb, &s, &info),
                      QCOS_STATUS_CANCELLED, "write callback returned 7");
        CHECK(info == NULL);
        free(s.data);
    }

    /* PUT from a file. */
    snprintf(path, sizeof path, "%s/download.bin", dir);
    OK(qcos_client_put_object_from_file(c, "dir/from-file.bin", path, NULL, NULL));
    OK(qcos_client_head_object(c, "dir/from-file.bin", NULL, &info));
    CHECK(qcos_object_info_content_length(info) == len);
    qcos_object_info_free(info);
    info = NULL;
    snprintf(path, sizeof path, "%s/does-not-exist", dir);
    EXPECT_STATUS(qcos_client_put_object_from_file(c, "dir/x", path, NULL, NULL), QCOS_STATUS_IO, NULL);

    /* PUT from a read callback with a known length, in small pieces. */
    {
        struct reader r;
        memset(&r, 0, sizeof r);
        r.data = data;
        r.len = len;
        r.chunk = 1000;
        OK(qcos_client_put_object_from_callback(c, "dir/from-cb.bin", len, read_cb, &r, NULL, NULL));
        CHECK(r.pos == len && r.calls > 100);
        OK(qcos_client_get_object(c, "dir/from-cb.bin", NULL, &buf, NULL));
        CHECK(qcos_buffer_len(buf) == len && memcmp(qcos_buffer_data(buf), data, len) == 0);
        qcos_buffer_free(buf);
        buf = NULL;
        memset(&r, 0, sizeof r);
        r.data = data;
        r.len = len;
        r.chunk = 4096;
        r.fail_at = 3;
        EXPECT_STATUS(qcos_client_put_object_from_callback(c, "dir/cancelled.bin", len, read_cb, &r, NULL,
                                                           NULL),
                      QCOS_STATUS_CANCELLED, "read callback returned 3");
        EXPECT_STATUS(qcos_client_head_object(c, "dir/cancelled.bin", NULL, &info), QCOS_STATUS_SERVICE,
                      NULL);
        CHECK(qcos_last_error_http_status() == 404);
        /* A callback that ends before the announced length: the upload fails. */
        memset(&r, 0, sizeof r);
        r.data = data;
        r.len = 1000;
        r.chunk = 300;
        CHECK(qcos_client_put_object_from_callback(c, "dir/short.bin", 2000, read_cb, &r, NULL, NULL) !=
              QCOS_STATUS_OK);
        CHECK(strlen(qcos_last_error_message()) > 0);
        EXPECT_STATUS(qcos_client_head_object(c, "dir/short.bin", NULL, &info), QCOS_STATUS_SERVICE, NULL);
    }

    /* Empty object from (NULL, 0). */
    OK(qcos_client_put_object(c, "dir/empty", NULL, 0, NULL, NULL));
    OK(qcos_client_get_object(c, "dir/empty", NULL, &buf, NULL));
    CHECK(qcos_buffer_len(buf) == 0);
    qcos_buffer_free(buf);
    buf = NULL;
    n = 99;
    OK(qcos_client_get_object_to_buffer(c, "dir/empty", NULL, NULL, 0, &n, NULL));
    CHECK(n == 0);

    qcos_put_result_free(pr);
    free(data);
}

static void test_copy(const qcos_client *c, const char *bucket, const char *region) {
    qcos_put_result *pr = NULL;
    qcos_object_info *info = NULL;
    qcos_put_options *po = NULL;
    OK(qcos_client_copy_object(c, "copy/plain.bin", bucket, region, "dir/data.bin", NULL, NULL, &pr));
    CHECK(strlen(qcos_put_result_etag(pr)) > 2);
    CHECK(strlen(qcos_put_result_last_modified(pr)) > 0);
    qcos_put_result_free(pr);
    OK(qcos_client_head_object(c, "copy/plain.bin", NULL, &info));
    CHECK(qcos_object_info_content_length(info) == 300000);
    CHECK(qcos_object_info_meta_get(info, "author") != NULL); /* metadata copied */
    qcos_object_info_free(info);

    OK(qcos_put_options_new(&po));
    OK(qcos_put_options_add_meta(po, "author", "replaced"));
    OK(qcos_put_options_set_content_type(po, "text/plain"));
    OK(qcos_client_copy_object(c, "copy/replaced.bin", bucket, region, "dir/data.bin", NULL, po, NULL));
    qcos_put_options_free(po);
    OK(qcos_client_head_object(c, "copy/replaced.bin", NULL, &info));
    CHECK(qcos_object_info_meta_get(info, "author") != NULL &&
          strcmp(qcos_object_info_meta_get(info, "author"), "replaced") == 0);
    CHECK(strcmp(qcos_object_info_content_type(info), "text/plain") == 0);
    qcos_object_info_free(info);

    EXPECT_STATUS(qcos_client_copy_object(c, "copy/none", bucket, region, "no/such", NULL, NULL, NULL),
                  QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 404);
}

static void test_list(const qcos_client *c) {
    const char *names[] = {"list/a", "list/b", "list/c/d", "list/c/e", "list/f"};
    size_t i, total = 0, pages = 0, prefixes = 0;
    qcos_list *list = NULL;
    bool more = false;
    for (i = 0; i < 5; i++) {
        OK(qcos_client_put_object(c, names[i], (const uint8_t *)names[i], strlen(names[i]), NULL, NULL));
    }
    /* Two keys per page: the iterator follows NextMarker over three pages. */
    OK(qcos_client_list_objects(c, "list/", NULL, NULL, 2, &list));
    while (qcos_list_next(list, &more) == QCOS_STATUS_OK && more) {
        pages++;
        for (i = 0; i < qcos_list_object_count(list); i++) {
            const char *key = qcos_list_object_key(list, i);
            CHECK(strncmp(key, "list/", 5) == 0);
            CHECK(qcos_list_object_size(list, i) == strlen(key));
            CHECK(strlen(qcos_list_object_etag(list, i)) > 2);
            CHECK(strlen(qcos_list_object_last_modified(list, i)) > 0);
            CHECK(qcos_list_object_storage_class(list, i) != NULL);
            total++;
        }
        CHECK(qcos_list_object_key(list, qcos_list_object_count(list)) == NULL);
        if (qcos_list_is_truncated(list)) CHECK(strlen(qcos_list_next_marker(list)) > 0);
    }
    CHECK(qcos_last_error_status() == QCOS_STATUS_OK);
    CHECK(!more);
    CHECK(total == 5);
    CHECK(pages == 3);
    /* After the end: still finished, empty page. */
    OK(qcos_list_next(list, &more));
    CHECK(!more && qcos_list_object_count(list) == 0);
    qcos_list_free(list);

    /* Delimiter: "list/c/" is a common prefix. Marker skips "list/a". */
    OK(qcos_client_list_objects(c, "list/", "/", "list/a", 0, &list));
    total = 0;
    while (qcos_list_next(list, &more) == QCOS_STATUS_OK && more) {
        total += qcos_list_object_count(list);
        for (i = 0; i < qcos_list_prefix_count(list); i++) {
            CHECK(strcmp(qcos_list_prefix(list, i), "list/c/") == 0);
            prefixes++;
        }
    }
    CHECK(total == 2); /* list/b, list/f */
    CHECK(prefixes == 1);
    qcos_list_free(list);
}

/* Listing a bucket that does not exist: the error, then a finished list. */
static void test_list_error(void) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    qcos_list *list = NULL;
    bool more = true;
    OK(qcos_config_from_env(&cfg));
    OK(qcos_config_set_bucket(cfg, "nosuchbucket-1250000000"));
    OK(qcos_client_new(cfg, &c));
    OK(qcos_client_list_objects(c, NULL, NULL, NULL, 0, &list));
    EXPECT_STATUS(qcos_list_next(list, &more), QCOS_STATUS_SERVICE, "NoSuchBucket");
    CHECK(more); /* not written on failure */
    CHECK(qcos_last_error_http_status() == 404);
    CHECK(strcmp(qcos_last_error_code(), "NoSuchBucket") == 0);
    OK(qcos_list_next(list, &more));
    CHECK(!more);
    qcos_list_free(list);
    qcos_client_free(c);
}

static void test_list_outlives_client(void) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    qcos_list *list = NULL;
    bool more = false;
    OK(qcos_config_from_env(&cfg));
    OK(qcos_client_new(cfg, &c));
    OK(qcos_client_list_objects(c, "list/", NULL, NULL, 0, &list));
    qcos_client_free(c);
    OK(qcos_list_next(list, &more));
    CHECK(more && qcos_list_object_count(list) == 5);
    qcos_list_free(list);
}

static void test_delete(const qcos_client *c) {
    const char *keys[] = {"list/a", "list/b", "list/c/d", "list/c/e", "list/f", "never-existed"};
    qcos_delete_result *dr = NULL;
    qcos_buffer *buf = NULL;
    size_t i, found = 0;

    OK(qcos_client_delete_objects(c, keys, 3, false, &dr));
    CHECK(qcos_delete_result_deleted_count(dr) == 3);
    CHECK(qcos_delete_result_error_count(dr) == 0);
    for (i = 0; i < qcos_delete_result_deleted_count(dr); i++) {
        if (strcmp(qcos_delete_result_deleted_key(dr, i), "list/b") == 0) found++;
    }
    CHECK(found == 1);
    CHECK(qcos_delete_result_deleted_key(dr, 3) == NULL);
    CHECK(qcos_delete_result_error_key(dr, 0) == NULL);
    qcos_delete_result_free(dr);
    OK(qcos_client_delete_objects(c, keys + 3, 3, true, &dr));
    CHECK(qcos_delete_result_deleted_count(dr) == 0); /* quiet: only failures listed */
    CHECK(qcos_delete_result_error_count(dr) == 0);
    qcos_delete_result_free(dr);

    /* NoSuchKey: every last-error field. */
    OK(qcos_client_delete_object(c, "dir/data.bin"));
    EXPECT_STATUS(qcos_client_get_object(c, "dir/data.bin", NULL, &buf, NULL), QCOS_STATUS_SERVICE,
                  "NoSuchKey");
    CHECK(buf == NULL);
    CHECK(qcos_last_error_status() == QCOS_STATUS_SERVICE);
    CHECK(qcos_last_error_http_status() == 404);
    CHECK(strcmp(qcos_last_error_code(), "NoSuchKey") == 0);
    CHECK(strlen(qcos_last_error_request_id()) > 0);
    CHECK(qcos_last_error_trace_id() != NULL);
    CHECK(qcos_last_error_resource() != NULL);
    /* Reading it does not change it; an accessor does not clear it. */
    CHECK(qcos_buffer_len(NULL) == 0);
    CHECK(strcmp(qcos_last_error_code(), "NoSuchKey") == 0);
    /* The next status-returning call clears it. */
    OK(qcos_client_delete_object(c, "dir/data.bin")); /* deleting a missing key succeeds */
    CHECK(qcos_last_error_http_status() == 0);
    CHECK(strcmp(qcos_last_error_code(), "") == 0);
    CHECK(strcmp(qcos_last_error_message(), "") == 0);

    /* Empty the bucket and delete it. */
    {
        const char *rest[] = {"dir/from-file.bin", "dir/from-cb.bin", "dir/empty", "copy/plain.bin",
                              "copy/replaced.bin"};
        OK(qcos_client_delete_objects(c, rest, 5, true, &dr));
        CHECK(qcos_delete_result_error_count(dr) == 0);
        qcos_delete_result_free(dr);
    }
}

/* ------------------------------------------------------------------------------ */

struct provider {
    const char *id, *key, *token;
    int calls;
    int mode; /* 0 = fill, 1 = fail with -1, 2 = return 0 without filling, 3 = bad set */
    int set_status;
};

static int provider_cb(void *user_data, qcos_credentials *out) {
    struct provider *p = (struct provider *)user_data;
    p->calls++;
    switch (p->mode) {
    case 0:
        p->set_status = (int)qcos_credentials_set(out, p->id, p->key, p->token, 0,
                                                  p->token != NULL ? 4102444800LL : 0);
        return p->set_status == QCOS_STATUS_OK ? 0 : 1;
    case 1:
        return -1;
    case 2:
        return 0;
    case 3:
        p->set_status = (int)qcos_credentials_set(out, "", "k", NULL, 0, 0);
        return 0;
    default:
        /* NULL arguments and bad UTF-8 are refused by qcos_credentials_set too. */
        if (qcos_credentials_set(out, NULL, "k", NULL, 0, 0) != QCOS_STATUS_INVALID_ARGUMENT ||
            qcos_credentials_set(out, "i", NULL, NULL, 0, 0) != QCOS_STATUS_INVALID_ARGUMENT ||
            qcos_credentials_set(out, "i", "k", BAD_UTF8, 0, 1) != QCOS_STATUS_INVALID_ARGUMENT ||
            qcos_credentials_set(out, "i", "k", NULL, 0, 100) != QCOS_STATUS_INVALID_ARGUMENT) {
            p->set_status = -1;
            return 0;
        }
        p->set_status = (int)qcos_credentials_set(out, p->id, p->key, NULL, 0, 0);
        return 0;
    }
}

static const qcos_client *client_with_provider(struct provider *p) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    OK(qcos_config_new(env("COS_REGION"), env("COS_BUCKET"), &cfg));
    OK(qcos_config_set_endpoint(cfg, env("COS_ENDPOINT")));
    OK(qcos_config_set_credentials_provider(cfg, provider_cb, p));
    OK(qcos_client_new(cfg, &c));
    return c;
}

static void test_credentials(void) {
    struct provider p;
    const qcos_client *c;
    qcos_object_info *info = NULL;
    qcos_config *cfg = NULL;

    /* Permanent keys from a provider. */
    memset(&p, 0, sizeof p);
    p.id = env("COS_SECRET_ID");
    p.key = env("COS_SECRET_KEY");
    c = client_with_provider(&p);
    OK(qcos_client_put_object(c, "cred/p", (const uint8_t *)"x", 1, NULL, NULL));
    OK(qcos_client_head_object(c, "cred/p", NULL, &info));
    qcos_object_info_free(info);
    info = NULL;
    CHECK(p.calls == 1); /* cached: permanent keys never expire */
    OK(qcos_client_delete_object(c, "cred/p"));
    qcos_client_free(c);

    /* Temporary keys (with a token) from a provider. */
    memset(&p, 0, sizeof p);
    p.id = env("QCOS_TEST_TMP_ID");
    p.key = env("QCOS_TEST_TMP_KEY");
    p.token = env("QCOS_TEST_TMP_TOKEN");
    c = client_with_provider(&p);
    OK(qcos_client_put_object(c, "cred/t", (const uint8_t *)"x", 1, NULL, NULL));
    OK(qcos_client_delete_object(c, "cred/t"));
    CHECK(p.calls >= 1);
    qcos_client_free(c);

    /* Temporary keys with a wrong token: the server refuses them. */
    OK(qcos_config_new(env("COS_REGION"), env("COS_BUCKET"), &cfg));
    OK(qcos_config_set_endpoint(cfg, env("COS_ENDPOINT")));
    OK(qcos_config_set_max_retries(cfg, 0));
    OK(qcos_config_set_temporary_credentials(cfg, env("QCOS_TEST_TMP_ID"), env("QCOS_TEST_TMP_KEY"),
                                             "wrong-token", 0, 0));
    OK(qcos_client_new(cfg, &c));
    EXPECT_STATUS(qcos_client_head_bucket(c), QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 403);
    qcos_client_free(c);

    /* A wrong SecretKey: 403, and the key never appears in the message. */
    OK(qcos_config_new(env("COS_REGION"), env("COS_BUCKET"), &cfg));
    OK(qcos_config_set_endpoint(cfg, env("COS_ENDPOINT")));
    OK(qcos_config_set_credentials(cfg, env("COS_SECRET_ID"), "wrongSECRETkey42"));
    OK(qcos_client_new(cfg, &c));
    EXPECT_STATUS(qcos_client_put_object(c, "cred/w", (const uint8_t *)"x", 1, NULL, NULL),
                  QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 403);
    CHECK(strlen(qcos_last_error_code()) > 0);
    CHECK(strstr(qcos_last_error_message(), "wrongSECRETkey42") == NULL);
    qcos_client_free(c);

    /* Providers that fail. */
    memset(&p, 0, sizeof p);
    p.mode = 1;
    c = client_with_provider(&p);
    EXPECT_STATUS(qcos_client_head_bucket(c), QCOS_STATUS_AUTH, "returned -1");
    qcos_client_free(c);
    memset(&p, 0, sizeof p);
    p.mode = 2;
    c = client_with_provider(&p);
    EXPECT_STATUS(qcos_client_head_bucket(c), QCOS_STATUS_AUTH, "without calling qcos_credentials_set");
    qcos_client_free(c);
    memset(&p, 0, sizeof p);
    p.mode = 3;
    c = client_with_provider(&p);
    EXPECT_STATUS(qcos_client_head_bucket(c), QCOS_STATUS_AUTH, "SecretId");
    CHECK(p.set_status == QCOS_STATUS_AUTH);
    qcos_client_free(c);
    memset(&p, 0, sizeof p);
    p.mode = 4;
    p.id = env("COS_SECRET_ID");
    p.key = env("COS_SECRET_KEY");
    c = client_with_provider(&p);
    OK(qcos_client_head_bucket(c)); /* the failed sets left no trace; the last one counts */
    CHECK(qcos_last_error_status() == QCOS_STATUS_OK);
    CHECK(strcmp(qcos_last_error_message(), "") == 0);
    CHECK(p.set_status == QCOS_STATUS_OK && p.calls == 1);
    qcos_client_free(c);

    /* No credentials at all. */
    OK(qcos_config_new(env("COS_REGION"), env("COS_BUCKET"), &cfg));
    OK(qcos_config_set_endpoint(cfg, env("COS_ENDPOINT")));
    OK(qcos_client_new(cfg, &c));
    EXPECT_STATUS(qcos_client_head_bucket(c), QCOS_STATUS_AUTH, NULL);
    qcos_client_free(c);
}

/* ------------------------------------------------------------------------------ */

struct worker {
    const qcos_client *c;
    int id;
    int errors;
};

static void *worker_main(void *arg) {
    struct worker *w = (struct worker *)arg;
    char key[64], body[64];
    int i;
    for (i = 0; i < 10; i++) {
        qcos_buffer *buf = NULL;
        size_t n = (size_t)snprintf(body, sizeof body, "worker %d round %d", w->id, i);
        snprintf(key, sizeof key, "threads/%d", w->id);
        if (qcos_client_put_object(w->c, key, (const uint8_t *)body, n, NULL, NULL) != QCOS_STATUS_OK) {
            w->errors++;
            continue;
        }
        if (qcos_client_get_object(w->c, key, NULL, &buf, NULL) != QCOS_STATUS_OK ||
            qcos_buffer_len(buf) != n || memcmp(qcos_buffer_data(buf), body, n) != 0) {
            w->errors++;
        }
        qcos_buffer_free(buf);
        /* The last error is per thread: this failure is only this thread's. */
        if (qcos_client_get_object(w->c, "threads/none", NULL, &buf, NULL) != QCOS_STATUS_SERVICE ||
            qcos_last_error_http_status() != 404) {
            w->errors++;
        }
    }
    if (qcos_client_delete_object(w->c, key) != QCOS_STATUS_OK) w->errors++;
    return NULL;
}

static void test_threads(const qcos_client *c) {
    pthread_t t[4];
    struct worker w[4];
    int i;
    for (i = 0; i < 4; i++) {
        w[i].c = c;
        w[i].id = i;
        w[i].errors = 0;
        CHECK(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
    }
    OK(qcos_client_head_bucket(c)); /* meanwhile, on the main thread */
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].errors == 0);
    }
}

int main(void) {
    const char *bucket = env("COS_BUCKET");
    const char *region = env("COS_REGION");
    const char *dir = env("QCOS_TEST_DIR");
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;

    test_version_and_status();
    test_free_null_is_noop();
    test_accessors_on_null();
    test_panic_is_caught();

    OK(qcos_config_from_env(&cfg));
    OK(qcos_config_set_max_retries(cfg, 1));
    OK(qcos_client_new(cfg, &c));
    if (c == NULL) {
        fprintf(stderr, "cannot build a client; stopping\n");
        return 1;
    }
    test_null_arguments(c);
    test_invalid_input(c);
    test_bucket_ops(c, bucket);
    test_put_head_get(c, dir);
    test_copy(c, bucket, region);
    test_list(c);
    test_list_outlives_client();
    test_list_error();
    test_network_error();
    test_credentials();
    test_threads(c);
    test_delete(c);
    OK(qcos_client_delete_bucket(c));
    EXPECT_STATUS(qcos_client_head_bucket(c), QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 404);
    qcos_client_free(c);

    printf("%d checks, %d failed\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
