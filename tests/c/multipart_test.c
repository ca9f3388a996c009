/*
 * The multipart upload operations one by one through the C API (Initiate, Upload Part
 * from memory and from a file range, List Parts, List Multipart Uploads, Complete,
 * Abort), built against include/qcos.h and libqcos.a and run by tests/c_api.rs against
 * an in-process qcos-server (buckets created on first use).
 *
 * Environment: COS_ENDPOINT, COS_REGION, COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY,
 * QCOS_TEST_DIR (a scratch directory).
 *
 * The exit status is the number of failed checks (capped).
 */
#include "qcos.h"
#include "check.h"

static void test_null_and_bad_input(const qcos_client *c) {
    char uid[256];
    size_t n = 7;
    const uint8_t b[1] = {'x'};
    const uint32_t nums[2] = {2, 1};
    const char *etags[2] = {"\"a\"", "\"b\""};
    qcos_part_list *parts = NULL;
    qcos_upload_list *ups = NULL;
    NULLARG(qcos_client_initiate_multipart_upload(NULL, "k", NULL, uid, sizeof uid, &n), "client");
    NULLARG(qcos_client_initiate_multipart_upload(c, NULL, NULL, uid, sizeof uid, &n), "key");
    NULLARG(qcos_client_initiate_multipart_upload(c, "k", NULL, uid, sizeof uid, NULL), "len_out");
    NULLARG(qcos_client_upload_part(c, "k", NULL, 1, b, 1, NULL, NULL), "upload_id");
    NULLARG(qcos_client_upload_part(c, "k", "u", 1, NULL, 1, NULL, NULL), "data");
    NULLARG(qcos_client_upload_part_from_file(c, "k", "u", 1, NULL, 0, 1, NULL, NULL), "path");
    NULLARG(qcos_client_complete_multipart_upload(c, "k", "u", NULL, etags, 2, NULL), "part_numbers");
    NULLARG(qcos_client_complete_multipart_upload(c, "k", "u", nums, NULL, 2, NULL), "etags");
    NULLARG(qcos_client_abort_multipart_upload(c, "k", NULL), "upload_id");
    NULLARG(qcos_client_list_parts(c, "k", "u", NULL), "list_out");
    NULLARG(qcos_client_list_multipart_uploads(c, "", NULL), "list_out");
    EXPECT_STATUS(qcos_client_upload_part(c, "k", "u", 0, b, 1, NULL, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "part_number");
    EXPECT_STATUS(qcos_client_upload_part(c, "k", "u", 10001, b, 1, NULL, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "10000");
    EXPECT_STATUS(qcos_client_complete_multipart_upload(c, "k", "u", nums, etags, 0, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "at least one part");
    EXPECT_STATUS(qcos_client_complete_multipart_upload(c, "k", "u", nums, etags, 2, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "ascend");
    const char *with_null[2] = {"\"a\"", NULL};
    const uint32_t up[2] = {1, 2};
    EXPECT_STATUS(qcos_client_complete_multipart_upload(c, "k", "u", up, with_null, 2, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "element 1 is NULL");
    const char bad_utf8[] = {'k', (char)0xff, 0};
    EXPECT_STATUS(qcos_client_abort_multipart_upload(c, bad_utf8, "u"),
                  QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    EXPECT_STATUS(qcos_client_list_multipart_uploads(c, bad_utf8, &ups),
                  QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    CHECK(n == 7 && parts == NULL && ups == NULL); /* outputs untouched on failure */
    /* Accessors on NULL or out of range answer their documented defaults. */
    CHECK(qcos_part_list_count(NULL) == 0 && qcos_part_list_etag(NULL, 0) == NULL);
    CHECK(qcos_upload_list_count(NULL) == 0 && qcos_upload_list_key(NULL, 0) == NULL);
    qcos_part_list_free(NULL);
    qcos_upload_list_free(NULL);
}

static void test_by_hand(const qcos_client *c, const char *dir) {
    static uint8_t first[1 << 20];
    for (size_t i = 0; i < sizeof first; i++)
        first[i] = (uint8_t)(i * 7 + 3);
    const char *tail = "the last part";
    char path[1024];
    snprintf(path, sizeof path, "%s/c-part.bin", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fprintf(f, "xx%syy", tail);
    fclose(f);

    qcos_put_options *o = NULL;
    OK(qcos_put_options_new(&o));
    OK(qcos_put_options_set_content_type(o, "text/x-parts"));
    char uid[256];
    size_t n = 0;
    OK(qcos_client_initiate_multipart_upload(c, "c-mp", o, uid, sizeof uid, &n));
    qcos_put_options_free(o);
    CHECK(n > 0 && strlen(uid) == n);

    qcos_upload_list *ups = NULL;
    OK(qcos_client_list_multipart_uploads(c, "c-mp", &ups));
    CHECK(qcos_upload_list_count(ups) == 1);
    CHECK(strcmp(qcos_upload_list_key(ups, 0), "c-mp") == 0);
    CHECK(strcmp(qcos_upload_list_upload_id(ups, 0), uid) == 0);
    CHECK(qcos_upload_list_initiated(ups, 0)[0] != '\0');
    CHECK(qcos_upload_list_storage_class(ups, 0) != NULL);
    CHECK(qcos_upload_list_key(ups, 1) == NULL);
    qcos_upload_list_free(ups);

    qcos_put_options *md5 = NULL;
    OK(qcos_put_options_new(&md5));
    OK(qcos_put_options_set_check_content_md5(md5, true));
    qcos_put_result *r1 = NULL, *r2 = NULL, *done = NULL;
    OK(qcos_client_upload_part(c, "c-mp", uid, 1, first, sizeof first, md5, &r1));
    qcos_put_options_free(md5);
    OK(qcos_client_upload_part_from_file(c, "c-mp", uid, 2, path, 2, strlen(tail), NULL, &r2));
    CHECK(r1 != NULL && r2 != NULL);
    if (r1 == NULL || r2 == NULL) {
        qcos_put_result_free(r1);
        qcos_put_result_free(r2);
        return;
    }
    CHECK(qcos_put_result_has_crc64(r1) &&
          qcos_put_result_crc64(r1) == crc64(0, first, sizeof first));
    CHECK(qcos_put_result_crc64(r2) == crc64(0, (const uint8_t *)tail, strlen(tail)));

    qcos_part_list *parts = NULL;
    OK(qcos_client_list_parts(c, "c-mp", uid, &parts));
    CHECK(qcos_part_list_count(parts) == 2);
    CHECK(qcos_part_list_number(parts, 0) == 1 && qcos_part_list_number(parts, 1) == 2);
    CHECK(strcmp(qcos_part_list_etag(parts, 0), qcos_put_result_etag(r1)) == 0);
    CHECK(strcmp(qcos_part_list_etag(parts, 1), qcos_put_result_etag(r2)) == 0);
    CHECK(qcos_part_list_size(parts, 0) == sizeof first);
    CHECK(qcos_part_list_size(parts, 1) == strlen(tail));
    CHECK(qcos_part_list_last_modified(parts, 0)[0] != '\0');
    CHECK(qcos_part_list_number(parts, 2) == 0 && qcos_part_list_etag(parts, 2) == NULL);
    qcos_part_list_free(parts);

    const uint32_t nums[2] = {1, 2};
    const char *etags[2] = {qcos_put_result_etag(r1), qcos_put_result_etag(r2)};
    OK(qcos_client_complete_multipart_upload(c, "c-mp", uid, nums, etags, 2, &done));
    qcos_put_result_free(r1);
    qcos_put_result_free(r2);
    qcos_object_info *info = NULL;
    OK(qcos_client_head_object(c, "c-mp", NULL, &info));
    CHECK(done != NULL && info != NULL);
    if (done != NULL && info != NULL) {
        CHECK(qcos_object_info_content_length(info) == sizeof first + strlen(tail));
        CHECK(qcos_put_result_has_crc64(done) &&
              qcos_object_info_crc64(info) == qcos_put_result_crc64(done));
        CHECK(strcmp(qcos_object_info_content_type(info), "text/x-parts") == 0);
    }
    qcos_object_info_free(info);
    qcos_put_result_free(done);

    OK(qcos_client_list_multipart_uploads(c, NULL, &ups));
    CHECK(qcos_upload_list_count(ups) == 0);
    qcos_upload_list_free(ups);
}

static void test_abort(const qcos_client *c) {
    char uid[256];
    size_t n = 0;
    const uint8_t b[3] = {'a', 'b', 'c'};
    OK(qcos_client_initiate_multipart_upload(c, "c-abort", NULL, uid, sizeof uid, &n));
    OK(qcos_client_upload_part(c, "c-abort", uid, 1, b, sizeof b, NULL, NULL));
    OK(qcos_client_abort_multipart_upload(c, "c-abort", uid));
    qcos_part_list *parts = NULL;
    EXPECT_STATUS(qcos_client_list_parts(c, "c-abort", uid, &parts), QCOS_STATUS_SERVICE, NULL);
    CHECK(strcmp(qcos_last_error_code(), "NoSuchUpload") == 0);
    CHECK(parts == NULL);
    EXPECT_STATUS(qcos_client_abort_multipart_upload(c, "c-abort", uid), QCOS_STATUS_SERVICE, NULL);

    /* An id that does not fit: BUFFER_TOO_SMALL with the length, and no upload left. */
    char tiny[4];
    n = 0;
    EXPECT_STATUS(qcos_client_initiate_multipart_upload(c, "c-tiny", NULL, tiny, sizeof tiny, &n),
                  QCOS_STATUS_BUFFER_TOO_SMALL, NULL);
    CHECK(n >= sizeof tiny);
    qcos_upload_list *ups = NULL;
    OK(qcos_client_list_multipart_uploads(c, "c-tiny", &ups));
    CHECK(qcos_upload_list_count(ups) == 0);
    qcos_upload_list_free(ups);
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
    test_by_hand(c, dir);
    test_abort(c);
    qcos_client_free(c);
    printf("%d checks, %d failed\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
