/*
 * ACL and tags set at write time, and the ACL as a document, from C:
 * qcos_put_options_set_acl / _add_tag / _set_tags, the copy directives,
 * qcos_acl_policy_new / _add_grant and qcos_client_put_object_acl_policy. Built against
 * include/qcos.h and libqcos.a and run by tests/c_api.rs against an in-process
 * qcos-server (natively and under valgrind).
 *
 * Environment (set by the harness): COS_ENDPOINT, COS_REGION, COS_BUCKET,
 * COS_SECRET_ID, COS_SECRET_KEY. The exit status is the number of failed checks.
 */
#include "qcos.h"
#include "check.h"

#define OWNER "qcs::cam::uin/100000000001:uin/100000000001"
#define ALL_USERS "http://cam.qcloud.com/groups/global/AllUsers"
#define MIB (1024u * 1024u)

/* The tags of `key` as "k=v;k=v;" into `buf`. */
static const char *tags_of(const qcos_client *c, const char *key, char *buf, size_t cap) {
    qcos_tags *t = NULL;
    size_t i, used = 0;
    buf[0] = 0;
    OK(qcos_client_get_object_tagging(c, key, NULL, &t));
    for (i = 0; t != NULL && i < qcos_tags_count(t); i++) {
        int n = snprintf(buf + used, cap - used, "%s=%s;", qcos_tags_key(t, i),
                         qcos_tags_value(t, i));
        if (n < 0 || (size_t)n >= cap - used) {
            break;
        }
        used += (size_t)n;
    }
    qcos_tags_free(t);
    return buf;
}

/* The canned ACL COS reports for `key` (copied into buf) and the grant count. */
static const char *canned_of(const qcos_client *c, const char *key, char *buf, size_t cap,
                             size_t *count) {
    qcos_acl_policy *p = NULL;
    buf[0] = 0;
    *count = 0;
    OK(qcos_client_get_object_acl(c, key, &p));
    if (p != NULL) {
        snprintf(buf, cap, "%s", qcos_acl_policy_canned(p) ? qcos_acl_policy_canned(p) : "");
        *count = qcos_acl_policy_grant_count(p);
    }
    qcos_acl_policy_free(p);
    return buf;
}

/* Setters without a server: NULLs, bad input, conflicts with extra headers. */
static void test_setters(void) {
    qcos_put_options *o = NULL;
    qcos_acl *acl = NULL;
    qcos_tags *t = NULL;
    qcos_acl_policy *p = NULL;
    int i;
    char k[16];

    OK(qcos_put_options_new(&o));
    OK(qcos_acl_new(&acl));
    OK(qcos_acl_set_canned(acl, "private"));
    NULLARG(qcos_put_options_set_acl(NULL, acl), "opts");
    OK(qcos_put_options_set_acl(o, acl));
    OK(qcos_put_options_set_acl(o, NULL));
    NULLARG(qcos_put_options_add_tag(NULL, "k", "v"), "opts");
    NULLARG(qcos_put_options_add_tag(o, NULL, "v"), "key");
    NULLARG(qcos_put_options_add_tag(o, "k", NULL), "value");
    EXPECT_STATUS(qcos_put_options_add_tag(o, BAD_UTF8, "v"), QCOS_STATUS_INVALID_ARGUMENT,
                  "UTF-8");
    INVALID(qcos_put_options_add_tag(o, "", "v"), "empty");
    INVALID(qcos_put_options_add_tag(o, "k", "a\nb"), "U+000A");
    for (i = 0; i < 10; i++) {
        snprintf(k, sizeof k, "k%d", i);
        OK(qcos_put_options_add_tag(o, k, "v"));
    }
    INVALID(qcos_put_options_add_tag(o, "k10", "v"), "11 tags");
    INVALID(qcos_put_options_add_tag(o, "k1", "again"), "11 tags");
    OK(qcos_put_options_set_tags(o, NULL));
    OK(qcos_put_options_add_tag(o, "a", "1"));
    INVALID(qcos_put_options_add_tag(o, "a", "2"), "given twice");
    NULLARG(qcos_put_options_set_tags(NULL, NULL), "opts");
    OK(qcos_tags_new(&t));
    OK(qcos_tags_add(t, "x", "y"));
    OK(qcos_put_options_set_tags(o, t));

    /* The typed ACL/tags and an extra header for the same thing: refused, either order. */
    INVALID(qcos_put_options_add_header(o, "X-Cos-Tagging", "a=b"), "tagging");
    OK(qcos_put_options_set_acl(o, acl));
    INVALID(qcos_put_options_add_header(o, "x-cos-grant-read", "id=\"1\""), "acl");
    OK(qcos_put_options_set_acl(o, NULL));
    OK(qcos_put_options_set_tags(o, NULL));
    OK(qcos_put_options_add_header(o, "x-cos-acl", "private"));
    INVALID(qcos_put_options_set_acl(o, acl), "x-cos-acl");
    OK(qcos_put_options_add_header(o, "x-cos-tagging", "a=b"));
    INVALID(qcos_put_options_add_tag(o, "a", "b"), "x-cos-tagging");
    INVALID(qcos_put_options_set_tags(o, t), "x-cos-tagging");

    NULLARG(qcos_put_options_set_metadata_directive(NULL, QCOS_COPY_DIRECTIVE_COPY), "opts");
    NULLARG(qcos_put_options_set_tagging_directive(NULL, QCOS_COPY_DIRECTIVE_COPY), "opts");
    INVALID(qcos_put_options_set_metadata_directive(o, 2), "qcos_copy_directive");
    INVALID(qcos_put_options_set_tagging_directive(o, 7), "qcos_copy_directive");
    OK(qcos_put_options_set_tagging_directive(o, QCOS_COPY_DIRECTIVE_REPLACED));

    /* Policy documents. */
    NULLARG(qcos_acl_policy_new(NULL, &p), "owner_id");
    NULLARG(qcos_acl_policy_new(OWNER, NULL), "policy_out");
    INVALID(qcos_acl_policy_new("", &p), "owner_id");
    CHECK(p == NULL);
    OK(qcos_acl_policy_new(OWNER, &p));
    CHECK(p != NULL && qcos_acl_policy_grant_count(p) == 0);
    CHECK(streq(qcos_acl_policy_owner_id(p), OWNER) && qcos_acl_policy_canned(p) == NULL);
    NULLARG(qcos_acl_policy_add_grant(NULL, "Group", ALL_USERS, "READ"), "policy");
    NULLARG(qcos_acl_policy_add_grant(p, NULL, ALL_USERS, "READ"), "grantee_type");
    NULLARG(qcos_acl_policy_add_grant(p, "Group", NULL, "READ"), "who");
    NULLARG(qcos_acl_policy_add_grant(p, "Group", ALL_USERS, NULL), "permission");
    INVALID(qcos_acl_policy_add_grant(p, "Robot", "1", "READ"), "Robot");
    INVALID(qcos_acl_policy_add_grant(p, "Group", ALL_USERS, "ALL"), "ALL");
    INVALID(qcos_acl_policy_add_grant(p, "CanonicalUser", "", "READ"), "grant 0");
    INVALID(qcos_acl_policy_add_grant(p, "CanonicalUser", "a\tb", "READ"), "control");
    CHECK(qcos_acl_policy_grant_count(p) == 0);
    OK(qcos_acl_policy_add_grant(p, "Group", ALL_USERS, "READ"));
    CHECK(qcos_acl_policy_grant_count(p) == 1);
    CHECK(streq(qcos_acl_policy_grant_type(p, 0), "Group"));
    CHECK(streq(qcos_acl_policy_grant_uri(p, 0), ALL_USERS));
    CHECK(qcos_acl_policy_grant_id(p, 0) == NULL);
    for (i = 1; i < 1000; i++) {
        OK(qcos_acl_policy_add_grant(p, "CanonicalUser", "1", "READ"));
    }
    INVALID(qcos_acl_policy_add_grant(p, "CanonicalUser", "1", "READ"), "1000");
    CHECK(qcos_acl_policy_grant_count(p) == 1000);
    qcos_acl_policy_free(p);
    qcos_acl_policy_free(NULL);

    qcos_tags_free(t);
    qcos_acl_free(acl);
    qcos_put_options_free(o);
}

static void test_put_and_upload(const qcos_client *c, const char *dir) {
    qcos_put_options *o = NULL;
    qcos_acl *acl = NULL;
    qcos_transfer_options *to = NULL;
    qcos_transfer_result *r = NULL;
    char buf[512], canned[64], path[600];
    size_t count = 0, i;
    FILE *f;

    OK(qcos_put_options_new(&o));
    OK(qcos_acl_new(&acl));
    OK(qcos_acl_set_canned(acl, "public-read"));
    OK(qcos_acl_add_grant(acl, QCOS_GRANT_KIND_READ, "100000000002"));
    OK(qcos_put_options_set_acl(o, acl));
    OK(qcos_put_options_add_tag(o, "project", "qcos"));
    OK(qcos_put_options_add_tag(o, "a b&c", "中文=+"));

    OK(qcos_client_put_object(c, "w/put.txt", (const uint8_t *)"hello", 5, o, NULL));
    CHECK(streq(tags_of(c, "w/put.txt", buf, sizeof buf), "project=qcos;a b&c=中文=+;"));
    CHECK(streq(canned_of(c, "w/put.txt", canned, sizeof canned, &count), "public-read"));
    CHECK(count == 3); /* owner, AllUsers READ, the grant */

    /* A multipart upload: Initiate carries them, Complete makes the object. */
    snprintf(path, sizeof path, "%s/big.bin", dir);
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f != NULL) {
        for (i = 0; i < 2 * MIB + 100; i++) {
            fputc((int)(i % 251), f);
        }
        fclose(f);
    }
    OK(qcos_transfer_options_new(&to));
    OK(qcos_transfer_options_set_slice_size(to, MIB));
    OK(qcos_transfer_options_set_part_size(to, MIB));
    OK(qcos_upload_file(c, "w/big.bin", path, o, to, NULL, NULL, &r));
    CHECK(qcos_transfer_result_parts(r) == 3);
    qcos_transfer_result_free(r);
    CHECK(streq(tags_of(c, "w/big.bin", buf, sizeof buf), "project=qcos;a b&c=中文=+;"));
    CHECK(streq(canned_of(c, "w/big.bin", canned, sizeof canned, &count), "public-read"));
    CHECK(count == 3);

    /* An overwrite without them starts over. */
    OK(qcos_client_put_object(c, "w/put.txt", (const uint8_t *)"x", 1, NULL, NULL));
    CHECK(streq(tags_of(c, "w/put.txt", buf, sizeof buf), ""));
    CHECK(streq(canned_of(c, "w/put.txt", canned, sizeof canned, &count), "default"));

    qcos_transfer_options_free(to);
    qcos_acl_free(acl);
    qcos_put_options_free(o);
}

static void test_copy(const qcos_client *c, const char *bucket, const char *region) {
    qcos_put_options *src = NULL, *o = NULL;
    qcos_acl *acl = NULL;
    qcos_object_info *info = NULL;
    qcos_transfer_options *to = NULL;
    char buf[512], canned[64];
    size_t count = 0;

    OK(qcos_put_options_new(&src));
    OK(qcos_put_options_add_meta(src, "m", "1"));
    OK(qcos_put_options_add_tag(src, "origin", "source"));
    OK(qcos_client_put_object(c, "w/src.txt", (const uint8_t *)"source", 6, src, NULL));

    /* NULL options: metadata and tags copied, no ACL. */
    OK(qcos_client_copy_object(c, "w/c1.txt", bucket, region, "w/src.txt", NULL, NULL, NULL));
    CHECK(streq(tags_of(c, "w/c1.txt", buf, sizeof buf), "origin=source;"));
    CHECK(streq(canned_of(c, "w/c1.txt", canned, sizeof canned, &count), "default"));

    /* Metadata directive COPY + an ACL: the source's metadata and tags, our ACL. */
    OK(qcos_put_options_new(&o));
    OK(qcos_acl_new(&acl));
    OK(qcos_acl_set_canned(acl, "private"));
    OK(qcos_put_options_set_acl(o, acl));
    OK(qcos_put_options_set_metadata_directive(o, QCOS_COPY_DIRECTIVE_COPY));
    OK(qcos_client_copy_object(c, "w/c2.txt", bucket, region, "w/src.txt", NULL, o, NULL));
    CHECK(streq(tags_of(c, "w/c2.txt", buf, sizeof buf), "origin=source;"));
    CHECK(streq(canned_of(c, "w/c2.txt", canned, sizeof canned, &count), "private"));
    OK(qcos_client_head_object(c, "w/c2.txt", NULL, &info));
    CHECK(streq(qcos_object_info_meta_get(info, "m"), "1"));
    qcos_object_info_free(info);

    /* Tags with the tagging directive COPY: refused before sending. */
    OK(qcos_put_options_add_tag(o, "origin", "copy"));
    INVALID(qcos_client_copy_object(c, "w/c3.txt", bucket, region, "w/src.txt", NULL, o, NULL),
            "tagging_directive_replace");
    INVALID(qcos_slice_copy(c, "w/c3.txt", bucket, region, "w/src.txt", NULL, o, NULL, NULL,
                            NULL, NULL),
            "QCOS_COPY_DIRECTIVE_REPLACED");

    /* REPLACED: our tags. */
    OK(qcos_put_options_set_tagging_directive(o, QCOS_COPY_DIRECTIVE_REPLACED));
    OK(qcos_client_copy_object(c, "w/c3.txt", bucket, region, "w/src.txt", NULL, o, NULL));
    CHECK(streq(tags_of(c, "w/c3.txt", buf, sizeof buf), "origin=copy;"));

    /* slice_copy, multipart (a 2 MiB + source, 1 MiB parts), both directives. */
    {
        static uint8_t big[2 * MIB + 9];
        size_t i;
        for (i = 0; i < sizeof big; i++) {
            big[i] = (uint8_t)(i % 253);
        }
        OK(qcos_client_put_object(c, "w/big-src.bin", big, sizeof big, src, NULL));
    }
    OK(qcos_transfer_options_new(&to));
    OK(qcos_transfer_options_set_slice_size(to, MIB));
    OK(qcos_transfer_options_set_part_size(to, MIB));
    OK(qcos_slice_copy(c, "w/big-c1.bin", bucket, region, "w/big-src.bin", NULL, o, to, NULL,
                       NULL, NULL));
    CHECK(streq(tags_of(c, "w/big-c1.bin", buf, sizeof buf), "origin=copy;"));
    CHECK(streq(canned_of(c, "w/big-c1.bin", canned, sizeof canned, &count), "private"));
    OK(qcos_put_options_set_tags(o, NULL));
    OK(qcos_put_options_set_tagging_directive(o, QCOS_COPY_DIRECTIVE_COPY));
    OK(qcos_slice_copy(c, "w/big-c2.bin", bucket, region, "w/big-src.bin", NULL, o, to, NULL,
                       NULL, NULL));
    CHECK(streq(tags_of(c, "w/big-c2.bin", buf, sizeof buf), "origin=source;"));

    qcos_transfer_options_free(to);
    qcos_acl_free(acl);
    qcos_put_options_free(o);
    qcos_put_options_free(src);
}

static void test_policy(const qcos_client *c) {
    qcos_acl_policy *p = NULL, *got = NULL, *again = NULL;
    size_t i;

    OK(qcos_client_put_object(c, "w/p.txt", (const uint8_t *)"x", 1, NULL, NULL));
    OK(qcos_acl_policy_new(OWNER, &p));
    OK(qcos_acl_policy_add_grant(p, "CanonicalUser", OWNER, "FULL_CONTROL"));
    OK(qcos_acl_policy_add_grant(p, "CanonicalUser",
                                 "qcs::cam::uin/100000000001:uin/100000000007", "WRITE"));
    OK(qcos_acl_policy_add_grant(p, "Group", ALL_USERS, "READ"));
    NULLARG(qcos_client_put_object_acl_policy(NULL, "w/p.txt", p), "client");
    NULLARG(qcos_client_put_object_acl_policy(c, NULL, p), "key");
    NULLARG(qcos_client_put_object_acl_policy(c, "w/p.txt", NULL), "policy");
    OK(qcos_client_put_object_acl_policy(c, "w/p.txt", p));
    OK(qcos_client_get_object_acl(c, "w/p.txt", &got));
    CHECK(qcos_acl_policy_grant_count(got) == 3);
    for (i = 0; i < 3; i++) {
        CHECK(streq(qcos_acl_policy_grant_type(got, i), qcos_acl_policy_grant_type(p, i)));
        CHECK(streq(qcos_acl_policy_grant_permission(got, i),
                    qcos_acl_policy_grant_permission(p, i)));
        CHECK((qcos_acl_policy_grant_id(p, i) == NULL)
                  ? qcos_acl_policy_grant_id(got, i) == NULL
                  : streq(qcos_acl_policy_grant_id(got, i), qcos_acl_policy_grant_id(p, i)));
        CHECK((qcos_acl_policy_grant_uri(p, i) == NULL)
                  ? qcos_acl_policy_grant_uri(got, i) == NULL
                  : streq(qcos_acl_policy_grant_uri(got, i), qcos_acl_policy_grant_uri(p, i)));
    }
    CHECK(streq(qcos_acl_policy_canned(got), "public-read"));
    /* What GET returned goes back as it is. */
    OK(qcos_client_put_object_acl_policy(c, "w/p.txt", got));
    OK(qcos_client_get_object_acl(c, "w/p.txt", &again));
    CHECK(qcos_acl_policy_grant_count(again) == 3);
    CHECK(streq(qcos_acl_policy_grant_permission(again, 1), "WRITE"));
    EXPECT_STATUS(qcos_client_put_object_acl_policy(c, "w/missing", p), QCOS_STATUS_SERVICE, NULL);
    CHECK(qcos_last_error_http_status() == 404 && streq(qcos_last_error_code(), "NoSuchKey"));
    qcos_acl_policy_free(again);
    qcos_acl_policy_free(got);
    qcos_acl_policy_free(p);
}

int main(void) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    const char *bucket = getenv("COS_BUCKET");
    const char *region = getenv("COS_REGION");
    const char *tmp = getenv("TMPDIR");

    test_setters();
    OK(qcos_config_from_env(&cfg));
    OK(qcos_client_new(cfg, &c));
    if (c == NULL || bucket == NULL || region == NULL) {
        fprintf(stderr, "cannot build a client; stopping\n");
        return 1;
    }
    OK(qcos_client_create_bucket(c));
    test_put_and_upload(c, tmp != NULL ? tmp : "/tmp");
    test_copy(c, bucket, region);
    test_policy(c);
    qcos_client_free(c);

    printf("%d checks, %d failed\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
