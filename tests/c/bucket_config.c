/*
 * Bucket configuration from C: bucket CORS (qcos_cors_rules, qcos_client_*_bucket_cors),
 * bucket ACL (qcos_bucket_acl, qcos_client_put/get_bucket_acl) and bucket tagging
 * (qcos_bucket_tags_new, qcos_client_*_bucket_tagging), built against include/qcos.h and
 * libqcos.a and run by tests/c_api.rs against an in-process qcos-server (natively and
 * under valgrind).
 *
 * Environment (set by the harness): COS_ENDPOINT, COS_REGION, COS_BUCKET,
 * COS_SECRET_ID, COS_SECRET_KEY. The exit status is the number of failed checks.
 */
#include "qcos.h"
#include "check.h"

/* Handles and accessors without a server: NULLs, bad input, limits. */
static void test_handles(void) {
    qcos_cors_rules *r = NULL;
    qcos_bucket_acl *acl = NULL;
    qcos_tags *t = NULL;
    char id[300];
    size_t i;

    NULLARG(qcos_cors_rules_new(NULL), "rules_out");
    OK(qcos_cors_rules_new(&r));
    CHECK(r != NULL && qcos_cors_rules_count(r) == 0);
    INVALID(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_ORIGIN, "*"), "no rule yet");
    NULLARG(qcos_cors_rules_add_rule(NULL, NULL, -1), "rules");
    EXPECT_STATUS(qcos_cors_rules_add_rule(r, BAD_UTF8, -1), QCOS_STATUS_INVALID_ARGUMENT,
                  "UTF-8");
    memset(id, 'i', 256);
    id[256] = '\0';
    INVALID(qcos_cors_rules_add_rule(r, id, -1), "at most 255");
    INVALID(qcos_cors_rules_add_rule(r, "a\nb", -1), "control character");
    CHECK(qcos_cors_rules_count(r) == 0);
    OK(qcos_cors_rules_add_rule(r, "web", 600));
    NULLARG(qcos_cors_rules_add_value(NULL, QCOS_CORS_FIELD_ALLOWED_ORIGIN, "*"), "rules");
    NULLARG(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_ORIGIN, NULL), "value");
    EXPECT_STATUS(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_ORIGIN, BAD_UTF8),
                  QCOS_STATUS_INVALID_ARGUMENT, "UTF-8");
    INVALID(qcos_cors_rules_add_value(r, 4, "x"), "not a qcos_cors_field");
    INVALID(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_METHOD, "PATCH"),
            "\"PATCH\" is not one of GET, PUT, POST, DELETE, HEAD");
    INVALID(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_ORIGIN, ""), "empty allowed origin");
    INVALID(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_ORIGIN, "http://a\r\nX: 1"),
            "allowed origin");
    INVALID(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_HEADER, "x-*-*"),
            "more than one '*'");
    INVALID(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_EXPOSE_HEADER, "x-*"), "expose header");
    CHECK(qcos_cors_rules_value_count(r, 0, QCOS_CORS_FIELD_ALLOWED_ORIGIN) == 0);
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_ORIGIN, "http://127.0.0.1:*"));
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_METHOD, "put"));
    CHECK(streq(qcos_cors_rules_id(r, 0), "web"));
    CHECK(qcos_cors_rules_max_age(r, 0) == 600);
    CHECK(streq(qcos_cors_rules_value(r, 0, QCOS_CORS_FIELD_ALLOWED_METHOD, 0), "PUT"));
    CHECK(qcos_cors_rules_value(r, 0, QCOS_CORS_FIELD_ALLOWED_METHOD, 1) == NULL);
    CHECK(qcos_cors_rules_value(r, 1, QCOS_CORS_FIELD_ALLOWED_METHOD, 0) == NULL);
    CHECK(qcos_cors_rules_value(r, 0, 9, 0) == NULL);
    CHECK(qcos_cors_rules_value_count(r, 0, 9) == 0);
    CHECK(qcos_cors_rules_id(r, 1) == NULL && qcos_cors_rules_max_age(r, 1) == -1);
    CHECK(qcos_cors_rules_count(NULL) == 0 && qcos_cors_rules_id(NULL, 0) == NULL &&
          qcos_cors_rules_max_age(NULL, 0) == -1 &&
          qcos_cors_rules_value_count(NULL, 0, 0) == 0 &&
          qcos_cors_rules_value(NULL, 0, 0, 0) == NULL);
    for (i = 1; i < 100; i++) {
        OK(qcos_cors_rules_add_rule(r, NULL, -1));
    }
    INVALID(qcos_cors_rules_add_rule(r, NULL, -1), "at most 100");
    CHECK(qcos_cors_rules_count(r) == 100);
    qcos_cors_rules_free(r);
    qcos_cors_rules_free(NULL);

    NULLARG(qcos_bucket_acl_new(NULL), "acl_out");
    OK(qcos_bucket_acl_new(&acl));
    NULLARG(qcos_bucket_acl_set_canned(NULL, "private"), "acl");
    INVALID(qcos_bucket_acl_set_canned(acl, "default"), "not a canned bucket ACL");
    EXPECT_STATUS(qcos_bucket_acl_set_canned(acl, BAD_UTF8), QCOS_STATUS_INVALID_ARGUMENT,
                  "UTF-8");
    OK(qcos_bucket_acl_set_canned(acl, "public-read-write"));
    OK(qcos_bucket_acl_set_canned(acl, NULL));
    NULLARG(qcos_bucket_acl_add_grant(NULL, QCOS_GRANT_KIND_WRITE, "1"), "acl");
    NULLARG(qcos_bucket_acl_add_grant(acl, QCOS_GRANT_KIND_WRITE, NULL), "id");
    INVALID(qcos_bucket_acl_add_grant(acl, 5, "1"), "not a qcos_grant_kind");
    INVALID(qcos_bucket_acl_add_grant(acl, QCOS_GRANT_KIND_WRITE, ""), "empty");
    INVALID(qcos_bucket_acl_add_grant(acl, QCOS_GRANT_KIND_WRITE, "1\r\nx-evil: 1"),
            "printable ASCII");
    qcos_bucket_acl_free(acl);
    qcos_bucket_acl_free(NULL);

    /* A bucket tag list takes 50 tags; an object's takes 10. */
    NULLARG(qcos_bucket_tags_new(NULL), "tags_out");
    OK(qcos_bucket_tags_new(&t));
    INVALID(qcos_tags_add(t, "new", "a\r\nb"), "U+000D");
    INVALID(qcos_tags_add(t, "", "v"), "is empty");
    for (i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%u", (unsigned)i);
        OK(qcos_tags_add(t, k, "v"));
    }
    INVALID(qcos_tags_add(t, "k50", "v"), "at most 50 tags per bucket");
    CHECK(qcos_tags_count(t) == 50);
    qcos_tags_free(t);
}

static void test_cors(const qcos_client *c) {
    qcos_cors_rules *r = NULL;
    qcos_cors_rules *got = NULL;
    qcos_cors_rules *sentinel = (qcos_cors_rules *)&failures;

    NULLARG(qcos_client_get_bucket_cors(NULL, &got), "client");
    NULLARG(qcos_client_get_bucket_cors(c, NULL), "rules_out");
    NULLARG(qcos_client_delete_bucket_cors(NULL), "client");

    /* None set: an empty list. */
    OK(qcos_client_get_bucket_cors(c, &got));
    CHECK(got != NULL && qcos_cors_rules_count(got) == 0);
    qcos_cors_rules_free(got);

    OK(qcos_cors_rules_new(&r));
    NULLARG(qcos_client_put_bucket_cors(NULL, r), "client");
    NULLARG(qcos_client_put_bucket_cors(c, NULL), "rules");
    INVALID(qcos_client_put_bucket_cors(c, r), "no CORS rule");
    OK(qcos_cors_rules_add_rule(r, "web", 600));
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_ORIGIN, "https://app.example.com"));
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_METHOD, "PUT"));
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_METHOD, "get"));
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_HEADER, "*"));
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_EXPOSE_HEADER, "ETag"));
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_EXPOSE_HEADER, "x-cos-request-id"));
    /* A second rule without a method is refused before sending, naming it. */
    OK(qcos_cors_rules_add_rule(r, NULL, -1));
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_ORIGIN, "*"));
    INVALID(qcos_client_put_bucket_cors(c, r), "rule 2: no allowed method");
    OK(qcos_cors_rules_add_value(r, QCOS_CORS_FIELD_ALLOWED_METHOD, "HEAD"));
    OK(qcos_client_put_bucket_cors(c, r));
    qcos_cors_rules_free(r);

    got = NULL;
    OK(qcos_client_get_bucket_cors(c, &got));
    CHECK(qcos_cors_rules_count(got) == 2);
    CHECK(streq(qcos_cors_rules_id(got, 0), "web") && qcos_cors_rules_max_age(got, 0) == 600);
    CHECK(qcos_cors_rules_value_count(got, 0, QCOS_CORS_FIELD_ALLOWED_ORIGIN) == 1);
    CHECK(streq(qcos_cors_rules_value(got, 0, QCOS_CORS_FIELD_ALLOWED_ORIGIN, 0),
                "https://app.example.com"));
    CHECK(qcos_cors_rules_value_count(got, 0, QCOS_CORS_FIELD_ALLOWED_METHOD) == 2);
    CHECK(streq(qcos_cors_rules_value(got, 0, QCOS_CORS_FIELD_ALLOWED_METHOD, 0), "PUT"));
    CHECK(streq(qcos_cors_rules_value(got, 0, QCOS_CORS_FIELD_ALLOWED_METHOD, 1), "GET"));
    CHECK(streq(qcos_cors_rules_value(got, 0, QCOS_CORS_FIELD_ALLOWED_HEADER, 0), "*"));
    CHECK(qcos_cors_rules_value_count(got, 0, QCOS_CORS_FIELD_EXPOSE_HEADER) == 2);
    CHECK(streq(qcos_cors_rules_value(got, 0, QCOS_CORS_FIELD_EXPOSE_HEADER, 1),
                "x-cos-request-id"));
    CHECK(qcos_cors_rules_id(got, 1) == NULL && qcos_cors_rules_max_age(got, 1) == -1);
    CHECK(streq(qcos_cors_rules_value(got, 1, QCOS_CORS_FIELD_ALLOWED_METHOD, 0), "HEAD"));
    CHECK(qcos_cors_rules_value_count(got, 1, QCOS_CORS_FIELD_ALLOWED_HEADER) == 0);
    qcos_cors_rules_free(got);

    OK(qcos_client_delete_bucket_cors(c));
    got = NULL;
    OK(qcos_client_get_bucket_cors(c, &got));
    CHECK(qcos_cors_rules_count(got) == 0);
    qcos_cors_rules_free(got);
    got = sentinel;
    NULLARG(qcos_client_get_bucket_cors(NULL, &got), "client");
    CHECK(got == sentinel);
}

static void test_acl(const qcos_client *c) {
    qcos_bucket_acl *acl = NULL;
    qcos_acl_policy *p = NULL;

    NULLARG(qcos_client_get_bucket_acl(NULL, &p), "client");
    NULLARG(qcos_client_get_bucket_acl(c, NULL), "policy_out");
    OK(qcos_client_get_bucket_acl(c, &p));
    CHECK(streq(qcos_acl_policy_canned(p), "private"));
    CHECK(streq(qcos_acl_policy_owner_id(p), "qcs::cam::uin/100000000001:uin/100000000001"));
    CHECK(qcos_acl_policy_grant_count(p) == 1);
    CHECK(streq(qcos_acl_policy_grant_permission(p, 0), "FULL_CONTROL"));
    qcos_acl_policy_free(p);

    OK(qcos_bucket_acl_new(&acl));
    NULLARG(qcos_client_put_bucket_acl(NULL, acl), "client");
    NULLARG(qcos_client_put_bucket_acl(c, NULL), "acl");
    INVALID(qcos_client_put_bucket_acl(c, acl), "nothing to send");
    OK(qcos_bucket_acl_set_canned(acl, "public-read-write"));
    OK(qcos_bucket_acl_add_grant(acl, QCOS_GRANT_KIND_WRITE, "100000000002"));
    OK(qcos_bucket_acl_add_grant(acl, QCOS_GRANT_KIND_READ_ACP, "100000000003"));
    OK(qcos_client_put_bucket_acl(c, acl));
    qcos_bucket_acl_free(acl);

    p = NULL;
    OK(qcos_client_get_bucket_acl(c, &p));
    CHECK(streq(qcos_acl_policy_canned(p), "public-read-write"));
    /* owner, AllUsers READ and WRITE, then the grants in header order (write, read-acp). */
    CHECK(qcos_acl_policy_grant_count(p) == 5);
    CHECK(streq(qcos_acl_policy_grant_type(p, 1), "Group") &&
          streq(qcos_acl_policy_grant_permission(p, 1), "READ"));
    CHECK(streq(qcos_acl_policy_grant_uri(p, 2), "http://cam.qcloud.com/groups/global/AllUsers") &&
          streq(qcos_acl_policy_grant_permission(p, 2), "WRITE"));
    CHECK(streq(qcos_acl_policy_grant_id(p, 3), "qcs::cam::uin/100000000002:uin/100000000002") &&
          streq(qcos_acl_policy_grant_permission(p, 3), "WRITE"));
    CHECK(streq(qcos_acl_policy_grant_id(p, 4), "qcs::cam::uin/100000000003:uin/100000000003") &&
          streq(qcos_acl_policy_grant_permission(p, 4), "READ_ACP"));
    qcos_acl_policy_free(p);
}

static void test_tagging(const qcos_client *c) {
    qcos_tags *t = NULL;
    qcos_tags *obj = NULL;
    qcos_tags *got = NULL;
    size_t i;

    NULLARG(qcos_client_get_bucket_tagging(NULL, &got), "client");
    NULLARG(qcos_client_get_bucket_tagging(c, NULL), "tags_out");
    NULLARG(qcos_client_delete_bucket_tagging(NULL), "client");

    OK(qcos_client_get_bucket_tagging(c, &got));
    CHECK(got != NULL && qcos_tags_count(got) == 0);
    qcos_tags_free(got);

    OK(qcos_bucket_tags_new(&t));
    NULLARG(qcos_client_put_bucket_tagging(NULL, t), "client");
    NULLARG(qcos_client_put_bucket_tagging(c, NULL), "tags");
    OK(qcos_tags_add(t, "a&b <c>", "\"x\" 'y'"));
    OK(qcos_tags_add(t, "中文", "值"));
    for (i = 2; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%u", (unsigned)i);
        OK(qcos_tags_add(t, k, ""));
    }
    OK(qcos_client_put_bucket_tagging(c, t));
    got = NULL;
    OK(qcos_client_get_bucket_tagging(c, &got));
    CHECK(qcos_tags_count(got) == 50);
    CHECK(streq(qcos_tags_key(got, 0), "a&b <c>") && streq(qcos_tags_value(got, 0), "\"x\" 'y'"));
    CHECK(streq(qcos_tags_key(got, 1), "中文") && streq(qcos_tags_value(got, 1), "值"));
    CHECK(streq(qcos_tags_key(got, 49), "k49") && streq(qcos_tags_value(got, 49), ""));
    qcos_tags_free(got);

    /* An object's list works for a bucket too. */
    OK(qcos_tags_new(&obj));
    OK(qcos_tags_add(obj, "only", "one"));
    OK(qcos_client_put_bucket_tagging(c, obj));
    got = NULL;
    OK(qcos_client_get_bucket_tagging(c, &got));
    CHECK(qcos_tags_count(got) == 1 && streq(qcos_tags_key(got, 0), "only"));
    qcos_tags_free(got);
    /* ...but a bucket's list of 50 is too long for an object. */
    OK(qcos_client_put_object(c, "obj", (const uint8_t *)"x", 1, NULL, NULL));
    INVALID(qcos_client_put_object_tagging(c, "obj", t, NULL), "at most 10 tags per object");
    qcos_tags_free(obj);
    qcos_tags_free(t);

    OK(qcos_client_delete_bucket_tagging(c));
    got = NULL;
    OK(qcos_client_get_bucket_tagging(c, &got));
    CHECK(qcos_tags_count(got) == 0);
    qcos_tags_free(got);
}

/* A missing bucket is an error (404 NoSuchBucket), never an empty configuration. */
static void test_missing_bucket(void) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    qcos_cors_rules *r = NULL;
    qcos_tags *t = NULL;
    qcos_acl_policy *p = NULL;

    OK(qcos_config_from_env(&cfg));
    OK(qcos_config_set_bucket(cfg, "absent-1250000000"));
    OK(qcos_client_new(cfg, &c));
    if (c == NULL) {
        return;
    }
    EXPECT_STATUS(qcos_client_get_bucket_cors(c, &r), QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 404 && streq(qcos_last_error_code(), "NoSuchBucket"));
    CHECK(r == NULL);
    EXPECT_STATUS(qcos_client_get_bucket_tagging(c, &t), QCOS_STATUS_SERVICE, NULL);
    CHECK(streq(qcos_last_error_code(), "NoSuchBucket") && t == NULL);
    EXPECT_STATUS(qcos_client_get_bucket_acl(c, &p), QCOS_STATUS_SERVICE, NULL);
    CHECK(streq(qcos_last_error_code(), "NoSuchBucket") && p == NULL);
    EXPECT_STATUS(qcos_client_delete_bucket_tagging(c), QCOS_STATUS_SERVICE, NULL);
    CHECK(streq(qcos_last_error_code(), "NoSuchBucket"));
    qcos_client_free(c);
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
    test_cors(c);
    test_acl(c);
    test_tagging(c);
    test_missing_bucket();
    qcos_client_free(c);

    printf("%d checks, %d failed\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
