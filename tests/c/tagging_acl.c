/*
 * Object tagging and object ACL from C (qcos_tags, qcos_acl, qcos_acl_policy and the
 * qcos_client_*_object_tagging / _object_acl calls), built against include/qcos.h and
 * libqcos.a and run by tests/c_api.rs against an in-process qcos-server (natively and
 * under valgrind).
 *
 * Environment (set by the harness): COS_ENDPOINT, COS_REGION, COS_BUCKET,
 * COS_SECRET_ID, COS_SECRET_KEY. The exit status is the number of failed checks.
 */
#include "qcos.h"
#include "check.h"

static void put(const qcos_client *c, const char *key, const char *data) {
    OK(qcos_client_put_object(c, key, (const uint8_t *)data, strlen(data), NULL, NULL));
}

/* Handles and accessors without a server: NULLs, bad input, limits. */
static void test_handles(void) {
    qcos_tags *t = NULL;
    qcos_acl *acl = NULL;
    char key[200];
    char value[300];
    size_t i;

    NULLARG(qcos_tags_new(NULL), "tags_out");
    OK(qcos_tags_new(&t));
    CHECK(t != NULL && qcos_tags_count(t) == 0);
    NULLARG(qcos_tags_add(NULL, "k", "v"), "tags");
    NULLARG(qcos_tags_add(t, NULL, "v"), "key");
    NULLARG(qcos_tags_add(t, "k", NULL), "value");
    EXPECT_STATUS(qcos_tags_add(t, BAD_UTF8, "v"), QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    INVALID(qcos_tags_add(t, "", "v"), "is empty");
    INVALID(qcos_tags_add(t, "a\nb", "v"), "U+000A");
    memset(key, 'k', 129);
    key[129] = '\0';
    INVALID(qcos_tags_add(t, key, "v"), "at most 128");
    key[128] = '\0';
    OK(qcos_tags_add(t, key, ""));
    memset(value, 'v', 257);
    value[257] = '\0';
    INVALID(qcos_tags_add(t, "long", value), "at most 256");
    value[256] = '\0';
    OK(qcos_tags_add(t, "long", value));
    INVALID(qcos_tags_add(t, "long", "again"), "given twice");
    for (i = 2; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%u", (unsigned)i);
        OK(qcos_tags_add(t, k, "x"));
    }
    INVALID(qcos_tags_add(t, "eleventh", "x"), "at most 10");
    CHECK(qcos_tags_count(t) == 10);
    CHECK(streq(qcos_tags_key(t, 0), key));
    CHECK(streq(qcos_tags_value(t, 0), ""));
    CHECK(streq(qcos_tags_key(t, 1), "long") && strlen(qcos_tags_value(t, 1)) == 256);
    CHECK(qcos_tags_key(t, 10) == NULL && qcos_tags_value(t, 10) == NULL);
    CHECK(qcos_tags_count(NULL) == 0 && qcos_tags_key(NULL, 0) == NULL &&
          qcos_tags_value(NULL, 0) == NULL);
    qcos_tags_free(t);
    qcos_tags_free(NULL);

    NULLARG(qcos_acl_new(NULL), "acl_out");
    OK(qcos_acl_new(&acl));
    NULLARG(qcos_acl_set_canned(NULL, "private"), "acl");
    INVALID(qcos_acl_set_canned(acl, "public-read-write"), "not a canned object ACL");
    EXPECT_STATUS(qcos_acl_set_canned(acl, BAD_UTF8), QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    OK(qcos_acl_set_canned(acl, "private"));
    OK(qcos_acl_set_canned(acl, NULL));
    NULLARG(qcos_acl_add_grant(NULL, QCOS_GRANT_KIND_READ, "1"), "acl");
    NULLARG(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_READ, NULL), "id");
    INVALID(qcos_acl_add_grant(acl, 5, "1"), "not a qcos_grant_kind");
    INVALID(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_WRITE, "1"), "bucket ACLs");
    INVALID(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_READ, ""), "empty");
    INVALID(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_READ, "1\r\nx-evil: 1"), "printable ASCII");
    INVALID(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_READ, "a\"b"), "printable ASCII");
    INVALID(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_READ, "a,b"), "printable ASCII");
    qcos_acl_free(acl);
    qcos_acl_free(NULL);

    CHECK(qcos_acl_policy_owner_id(NULL) == NULL);
    CHECK(qcos_acl_policy_canned(NULL) == NULL);
    CHECK(qcos_acl_policy_grant_count(NULL) == 0);
    CHECK(qcos_acl_policy_grant_type(NULL, 0) == NULL);
    CHECK(qcos_acl_policy_grant_id(NULL, 0) == NULL);
    CHECK(qcos_acl_policy_grant_uri(NULL, 0) == NULL);
    CHECK(qcos_acl_policy_grant_permission(NULL, 0) == NULL);
    qcos_acl_policy_free(NULL);
}

static void test_tagging(const qcos_client *c) {
    qcos_tags *t = NULL;
    qcos_tags *got = NULL;
    qcos_tags *sentinel = (qcos_tags *)&failures; /* must stay untouched on failure */

    put(c, "tag/obj.txt", "hello");
    OK(qcos_tags_new(&t));
    OK(qcos_tags_add(t, "project", "qcos"));
    OK(qcos_tags_add(t, "a&b <c>", "\"x\" 'y'"));
    OK(qcos_tags_add(t, "中文", "值"));

    /* NULL and bad arguments. */
    NULLARG(qcos_client_put_object_tagging(NULL, "k", t, NULL), "client");
    NULLARG(qcos_client_put_object_tagging(c, NULL, t, NULL), "key");
    NULLARG(qcos_client_put_object_tagging(c, "k", NULL, NULL), "tags");
    EXPECT_STATUS(qcos_client_put_object_tagging(c, BAD_UTF8, t, NULL),
                  QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    INVALID(qcos_client_put_object_tagging(c, "tag/obj.txt", t, ""), "version id is empty");
    NULLARG(qcos_client_get_object_tagging(NULL, "k", NULL, &got), "client");
    NULLARG(qcos_client_get_object_tagging(c, NULL, NULL, &got), "key");
    got = sentinel;
    NULLARG(qcos_client_get_object_tagging(c, "tag/obj.txt", NULL, NULL), "tags_out");
    EXPECT_STATUS(qcos_client_get_object_tagging(c, "tag/obj.txt", BAD_UTF8, &got),
                  QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    CHECK(got == sentinel);
    NULLARG(qcos_client_delete_object_tagging(NULL, "k", NULL), "client");
    NULLARG(qcos_client_delete_object_tagging(c, NULL, NULL), "key");

    /* No tags yet: an empty list. */
    got = NULL;
    OK(qcos_client_get_object_tagging(c, "tag/obj.txt", NULL, &got));
    CHECK(got != NULL && qcos_tags_count(got) == 0);
    qcos_tags_free(got);

    OK(qcos_client_put_object_tagging(c, "tag/obj.txt", t, NULL));
    got = NULL;
    OK(qcos_client_get_object_tagging(c, "tag/obj.txt", "null", &got));
    CHECK(qcos_tags_count(got) == 3);
    CHECK(streq(qcos_tags_key(got, 0), "project") && streq(qcos_tags_value(got, 0), "qcos"));
    CHECK(streq(qcos_tags_key(got, 1), "a&b <c>") && streq(qcos_tags_value(got, 1), "\"x\" 'y'"));
    CHECK(streq(qcos_tags_key(got, 2), "中文") && streq(qcos_tags_value(got, 2), "值"));
    qcos_tags_free(got);

    /* Overwriting the object drops its tags. */
    put(c, "tag/obj.txt", "new data");
    got = NULL;
    OK(qcos_client_get_object_tagging(c, "tag/obj.txt", NULL, &got));
    CHECK(qcos_tags_count(got) == 0);
    qcos_tags_free(got);

    /* Delete. */
    OK(qcos_client_put_object_tagging(c, "tag/obj.txt", t, NULL));
    OK(qcos_client_delete_object_tagging(c, "tag/obj.txt", NULL));
    got = NULL;
    OK(qcos_client_get_object_tagging(c, "tag/obj.txt", NULL, &got));
    CHECK(qcos_tags_count(got) == 0);
    qcos_tags_free(got);

    /* A missing key is 404 NoSuchKey, for each call. */
    EXPECT_STATUS(qcos_client_put_object_tagging(c, "tag/missing", t, NULL), QCOS_STATUS_SERVICE,
                  NULL);
    CHECK(qcos_last_error_http_status() == 404 && streq(qcos_last_error_code(), "NoSuchKey"));
    got = sentinel;
    EXPECT_STATUS(qcos_client_get_object_tagging(c, "tag/missing", NULL, &got),
                  QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 404 && streq(qcos_last_error_code(), "NoSuchKey"));
    CHECK(got == sentinel);
    EXPECT_STATUS(qcos_client_delete_object_tagging(c, "tag/missing", NULL), QCOS_STATUS_SERVICE,
                  NULL);
    CHECK(streq(qcos_last_error_code(), "NoSuchKey"));
    qcos_tags_free(t);
}

static void test_acl(const qcos_client *c) {
    qcos_acl *acl = NULL;
    qcos_acl_policy *p = NULL;
    qcos_acl_policy *sentinel = (qcos_acl_policy *)&failures;

    put(c, "acl/obj.txt", "hello");
    OK(qcos_acl_new(&acl));
    INVALID(qcos_client_put_object_acl(c, "acl/obj.txt", acl), "nothing to send");
    NULLARG(qcos_client_put_object_acl(NULL, "k", acl), "client");
    NULLARG(qcos_client_put_object_acl(c, NULL, acl), "key");
    NULLARG(qcos_client_put_object_acl(c, "k", NULL), "acl");
    NULLARG(qcos_client_get_object_acl(NULL, "k", &p), "client");
    NULLARG(qcos_client_get_object_acl(c, NULL, &p), "key");
    NULLARG(qcos_client_get_object_acl(c, "acl/obj.txt", NULL), "policy_out");

    OK(qcos_client_get_object_acl(c, "acl/obj.txt", &p));
    CHECK(streq(qcos_acl_policy_owner_id(p), "qcs::cam::uin/100000000001:uin/100000000001"));
    CHECK(streq(qcos_acl_policy_canned(p), "default"));
    CHECK(qcos_acl_policy_grant_count(p) == 1);
    CHECK(streq(qcos_acl_policy_grant_type(p, 0), "CanonicalUser"));
    CHECK(streq(qcos_acl_policy_grant_permission(p, 0), "FULL_CONTROL"));
    qcos_acl_policy_free(p);

    OK(qcos_acl_set_canned(acl, "public-read"));
    OK(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_READ, "100000000002"));
    OK(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_WRITE_ACP, "100000000003"));
    OK(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_FULL_CONTROL,
                          "qcs::cam::uin/100000000004:uin/100000000004"));
    OK(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_READ_ACP, "100000000005"));
    OK(qcos_client_put_object_acl(c, "acl/obj.txt", acl));
    p = NULL;
    OK(qcos_client_get_object_acl(c, "acl/obj.txt", &p));
    CHECK(streq(qcos_acl_policy_canned(p), "public-read"));
    CHECK(qcos_acl_policy_grant_count(p) == 6);
    /* owner, AllUsers READ, then the grants in header order (full control, read,
     * read-acp, write-acp). */
    CHECK(streq(qcos_acl_policy_grant_type(p, 1), "Group"));
    CHECK(qcos_acl_policy_grant_id(p, 1) == NULL);
    CHECK(streq(qcos_acl_policy_grant_uri(p, 1), "http://cam.qcloud.com/groups/global/AllUsers"));
    CHECK(streq(qcos_acl_policy_grant_permission(p, 1), "READ"));
    CHECK(streq(qcos_acl_policy_grant_id(p, 2), "qcs::cam::uin/100000000004:uin/100000000004"));
    CHECK(streq(qcos_acl_policy_grant_permission(p, 2), "FULL_CONTROL"));
    CHECK(streq(qcos_acl_policy_grant_id(p, 3), "qcs::cam::uin/100000000002:uin/100000000002"));
    CHECK(streq(qcos_acl_policy_grant_permission(p, 3), "READ"));
    CHECK(qcos_acl_policy_grant_uri(p, 3) == NULL);
    CHECK(streq(qcos_acl_policy_grant_permission(p, 4), "READ_ACP"));
    CHECK(streq(qcos_acl_policy_grant_id(p, 5), "qcs::cam::uin/100000000003:uin/100000000003"));
    CHECK(streq(qcos_acl_policy_grant_permission(p, 5), "WRITE_ACP"));
    CHECK(qcos_acl_policy_grant_type(p, 6) == NULL && qcos_acl_policy_grant_id(p, 6) == NULL &&
          qcos_acl_policy_grant_uri(p, 6) == NULL &&
          qcos_acl_policy_grant_permission(p, 6) == NULL);
    qcos_acl_policy_free(p);

    /* Overwrite drops the ACL. */
    put(c, "acl/obj.txt", "again");
    p = NULL;
    OK(qcos_client_get_object_acl(c, "acl/obj.txt", &p));
    CHECK(streq(qcos_acl_policy_canned(p), "default") && qcos_acl_policy_grant_count(p) == 1);
    qcos_acl_policy_free(p);

    /* Missing key. */
    EXPECT_STATUS(qcos_client_put_object_acl(c, "acl/missing", acl), QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 404 && streq(qcos_last_error_code(), "NoSuchKey"));
    p = sentinel;
    EXPECT_STATUS(qcos_client_get_object_acl(c, "acl/missing", &p), QCOS_STATUS_SERVICE, NULL);
    CHECK(streq(qcos_last_error_code(), "NoSuchKey"));
    CHECK(p == sentinel);
    qcos_acl_free(acl);
}

int main(void) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;

    test_handles();
    OK(qcos_config_from_env(&cfg));
    OK(qcos_client_new(cfg, &c));
    if (c == NULL) {
        fprintf(stderr, "cannot build a client; stopping\n");
        return 1;
    }
    OK(qcos_client_create_bucket(c));
    test_tagging(c);
    test_acl(c);
    qcos_client_free(c);

    printf("%d checks, %d failed\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
