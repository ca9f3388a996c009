/*
 * Hostile input through the C API, beyond tests/c/api_test.c: object keys that try to
 * escape or alias (`..`, `./`, leading `/` or `\`, control characters, keys whose GET
 * would simplify to the bucket root), header injection through metadata, hostile bucket,
 * region and endpoint names, huge counts and lengths, odd local paths. Odd but legal
 * keys must round-trip byte for byte. Run by tests/reliability_hostile_c.rs under
 * valgrind against an in-process qcos-server.
 *
 * Environment: COS_ENDPOINT, COS_REGION, COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY,
 * QCOS_TEST_DIR (a scratch directory).
 *
 * Prints "hostile: N checks, M failed"; exit status = min(M, 100).
 */
#define _POSIX_C_SOURCE 200809L
#include "qcos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures = 0;
static int checks = 0;

static void expect(const char *file, int line, const char *what, qcos_status got,
                   qcos_status want, const char *needle) {
    checks++;
    const char *msg = qcos_last_error_message();
    if (got != want) {
        failures++;
        fprintf(stderr, "%s:%d: %s returned %s, expected %s\n  last error: %s\n", file, line,
                what, qcos_status_str((uint32_t)got), qcos_status_str((uint32_t)want), msg);
        return;
    }
    if (want != QCOS_STATUS_OK) {
        /* Every failure names its problem. */
        if (msg == NULL || strlen(msg) < 8) {
            failures++;
            fprintf(stderr, "%s:%d: %s: empty or thin message \"%s\"\n", file, line, what,
                    msg ? msg : "(null)");
        } else if (needle != NULL && strstr(msg, needle) == NULL) {
            failures++;
            fprintf(stderr, "%s:%d: %s: message \"%s\" does not mention \"%s\"\n", file, line,
                    what, msg, needle);
        }
    }
}

#define EXPECT(call, want, needle) expect(__FILE__, __LINE__, #call, (call), (want), (needle))
#define OK(call) EXPECT(call, QCOS_STATUS_OK, NULL)
#define CHECK(cond)                                                                       \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                 \
    } while (0)

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "environment variable %s is not set\n", name);
        exit(100);
    }
    return v;
}

/* Keys no operation may send: each must be refused before anything goes out. */
static const char *const BAD_KEYS[] = {
    "",
    "..",
    ".",
    "../secret",
    "a/../../b",
    "./a",
    "a/./b",
    "a/..",
    "a/.",
    "/leading",
    "//double",
    "\\leading-backslash",
    "a\x01" "b",
    "a\x1f" "b",
    "a\x7f" "b",
    "tab\tkey",
    "nul-looking\\0",  /* legal (a backslash and a zero): handled below, not here */
    "a\r\nx-cos-acl: public-read",
    "line\nfeed",
    "c1-control-\xc2\x85",
};

/* GETs whose key, normalised as a path with `\` as a separator too, is the bucket
 * root (the seed SDK's ObjectKeySimplifyCheck): a GET would list the bucket. */
static const char *const ROOT_KEYS[] = {
    "a\\..",
    "x\\y\\..\\..",
    "a\\.\\..",
};

/* Odd but legal keys: stored and read back exactly, and listed exactly. */
static const char *const ODD_KEYS[] = {
    "a..b",
    "...",
    "dir/...",
    ".hidden",
    "..leading-dots",
    "a/.../b",
    "trailing/",
    "a//b",
    "sp ace+plus%20pct?q#h&a=b",
    "\xc3\xa9t\xc3\xa9/\xf0\x9d\x84\x9e",
    "semi;colon,comma:colon@at!bang$dollar'quote(paren)*star",
    "nul-looking\\0",
    "<xml>&amp;\"'",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void bad_keys(const qcos_client *c, const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/never-written", dir);
    uint8_t buf[16];
    for (size_t i = 0; i < N(BAD_KEYS); i++) {
        const char *k = BAD_KEYS[i];
        if (strcmp(k, "nul-looking\\0") == 0) {
            continue;
        }
        size_t n = 0;
        qcos_buffer *b = NULL;
        qcos_object_info *info = NULL;
        qcos_put_result *pr = NULL;
        EXPECT(qcos_client_put_object(c, k, (const uint8_t *)"x", 1, NULL, &pr),
               QCOS_STATUS_INVALID_ARGUMENT, "key");
        CHECK(pr == NULL);
        EXPECT(qcos_client_get_object(c, k, NULL, &b, &info), QCOS_STATUS_INVALID_ARGUMENT,
               "key");
        CHECK(b == NULL && info == NULL);
        EXPECT(qcos_client_get_object_to_buffer(c, k, NULL, buf, sizeof buf, &n, NULL),
               QCOS_STATUS_INVALID_ARGUMENT, "key");
        EXPECT(qcos_client_get_object_to_file(c, k, path, NULL, NULL),
               QCOS_STATUS_INVALID_ARGUMENT, "key");
        EXPECT(qcos_client_head_object(c, k, NULL, &info), QCOS_STATUS_INVALID_ARGUMENT, "key");
        EXPECT(qcos_client_delete_object(c, k), QCOS_STATUS_INVALID_ARGUMENT, "key");
        EXPECT(qcos_client_copy_object(c, k, env("COS_BUCKET"), env("COS_REGION"), "src", NULL,
                                       NULL, NULL),
               QCOS_STATUS_INVALID_ARGUMENT, "key");
        EXPECT(qcos_client_copy_object(c, "dst", env("COS_BUCKET"), env("COS_REGION"), k, NULL,
                                       NULL, NULL),
               QCOS_STATUS_INVALID_ARGUMENT, "key");
        const char *keys[2] = {"fine", k};
        qcos_delete_result *dr = NULL;
        EXPECT(qcos_client_delete_objects(c, keys, 2, true, &dr), QCOS_STATUS_INVALID_ARGUMENT,
               "key");
        CHECK(dr == NULL);
    }
    FILE *f = fopen(path, "rb");
    CHECK(f == NULL);
    if (f) {
        fclose(f);
    }
}

static void root_keys(const qcos_client *c) {
    for (size_t i = 0; i < N(ROOT_KEYS); i++) {
        qcos_buffer *b = NULL;
        size_t n = 0;
        uint8_t buf[16];
        EXPECT(qcos_client_get_object(c, ROOT_KEYS[i], NULL, &b, NULL),
               QCOS_STATUS_INVALID_ARGUMENT, "root");
        CHECK(b == NULL);
        EXPECT(qcos_client_get_object_to_buffer(c, ROOT_KEYS[i], NULL, buf, sizeof buf, &n, NULL),
               QCOS_STATUS_INVALID_ARGUMENT, "root");
    }
}

static void odd_keys(const qcos_client *c) {
    for (size_t i = 0; i < N(ODD_KEYS); i++) {
        const char *k = ODD_KEYS[i];
        char body[512];
        snprintf(body, sizeof body, "body of [%s]", k);
        size_t len = strlen(body);
        OK(qcos_client_put_object(c, k, (const uint8_t *)body, len, NULL, NULL));
        qcos_buffer *b = NULL;
        OK(qcos_client_get_object(c, k, NULL, &b, NULL));
        CHECK(b != NULL && qcos_buffer_len(b) == len &&
              memcmp(qcos_buffer_data(b), body, len) == 0);
        qcos_buffer_free(b);
    }
    /* Listed exactly: every odd key appears once, with its exact bytes. */
    qcos_list *l = NULL;
    OK(qcos_client_list_objects(c, NULL, NULL, NULL, 5, &l));
    size_t seen[N(ODD_KEYS)] = {0};
    bool more = false;
    while (qcos_list_next(l, &more) == QCOS_STATUS_OK && more) {
        for (size_t j = 0; j < qcos_list_object_count(l); j++) {
            const char *key = qcos_list_object_key(l, j);
            for (size_t i = 0; i < N(ODD_KEYS); i++) {
                if (key && strcmp(key, ODD_KEYS[i]) == 0) {
                    seen[i]++;
                }
            }
        }
    }
    qcos_list_free(l);
    for (size_t i = 0; i < N(ODD_KEYS); i++) {
        if (seen[i] != 1) {
            fprintf(stderr, "odd key [%s] listed %zu times\n", ODD_KEYS[i], seen[i]);
        }
        CHECK(seen[i] == 1);
    }
    /* And deleted in one Delete Multiple Objects request (keys carried in XML). */
    qcos_delete_result *dr = NULL;
    OK(qcos_client_delete_objects(c, ODD_KEYS, N(ODD_KEYS), false, &dr));
    CHECK(dr != NULL && qcos_delete_result_deleted_count(dr) == N(ODD_KEYS) &&
          qcos_delete_result_error_count(dr) == 0);
    qcos_delete_result_free(dr);
}

static void header_injection(const qcos_client *c) {
    qcos_put_options *o = NULL;
    OK(qcos_put_options_new(&o));
    EXPECT(qcos_put_options_add_meta(o, "x", "v\r\nx-cos-acl: public-read"),
           QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT(qcos_put_options_add_meta(o, "bad\r\nname", "v"), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT(qcos_put_options_add_meta(o, "sp ace", "v"), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT(qcos_put_options_add_meta(o, "", "v"), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT(qcos_put_options_add_header(o, "x-cos-acl\r\nhost", "evil"),
           QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT(qcos_put_options_add_header(o, "x-cos-x", "a\nb"), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT(qcos_put_options_set_content_type(o, "text/plain\r\nx-cos-acl: public-read"),
           QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT(qcos_put_options_set_cache_control(o, "no-cache\n"), QCOS_STATUS_INVALID_ARGUMENT,
           NULL);
    EXPECT(qcos_put_options_set_storage_class(o, "STANDARD\r\n"), QCOS_STATUS_INVALID_ARGUMENT,
           NULL);
    /* The options stayed usable and clean: an upload with them carries nothing injected. */
    OK(qcos_put_options_add_meta(o, "ok", "value with spaces and \xc3\xa9"));
    qcos_object_info *info = NULL;
    OK(qcos_client_put_object(c, "inj", (const uint8_t *)"x", 1, o, NULL));
    OK(qcos_client_head_object(c, "inj", NULL, &info));
    CHECK(info != NULL && qcos_object_info_meta_count(info) == 1);
    qcos_object_info_free(info);
    qcos_put_options_free(o);
    OK(qcos_client_delete_object(c, "inj"));

    qcos_get_options *g = NULL;
    OK(qcos_get_options_new(&g));
    EXPECT(qcos_get_options_set_if_match(g, "\"e\"\r\nx: y"), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT(qcos_get_options_set_response_content_type(g, "a\nb"), QCOS_STATUS_INVALID_ARGUMENT,
           NULL);
    qcos_get_options_free(g);
}

static void huge(const qcos_client *c) {
    /* Counts: never read past what the caller gave. */
    const char *one[1] = {"k"};
    qcos_delete_result *dr = NULL;
    EXPECT(qcos_client_delete_objects(c, one, SIZE_MAX, true, &dr), QCOS_STATUS_INVALID_ARGUMENT,
           NULL);
    EXPECT(qcos_client_delete_objects(c, one, 1001, true, &dr), QCOS_STATUS_INVALID_ARGUMENT,
           NULL);
    EXPECT(qcos_client_delete_objects(c, one, 0, true, &dr), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    CHECK(dr == NULL);
    /* A key of 851 bytes (limit 850); 850 is fine. */
    char *k = malloc(852);
    memset(k, 'k', 851);
    k[851] = 0;
    EXPECT(qcos_client_put_object(c, k, (const uint8_t *)"x", 1, NULL, NULL),
           QCOS_STATUS_INVALID_ARGUMENT, "850");
    k[850] = 0;
    OK(qcos_client_put_object(c, k, (const uint8_t *)"x", 1, NULL, NULL));
    OK(qcos_client_delete_object(c, k));
    free(k);
    /* A 1 MiB key: refused quickly, not sent. */
    char *big = malloc(1 << 20);
    memset(big, 'b', (1 << 20) - 1);
    big[(1 << 20) - 1] = 0;
    EXPECT(qcos_client_head_object(c, big, NULL, NULL), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    /* Metadata of 1 MiB (COS allows 2 KB in total): refused before sending. */
    qcos_put_options *o = NULL;
    OK(qcos_put_options_new(&o));
    qcos_status st = qcos_put_options_add_meta(o, "big", big);
    if (st == QCOS_STATUS_OK) {
        st = qcos_client_put_object(c, "bigmeta", (const uint8_t *)"x", 1, o, NULL);
    }
    expect(__FILE__, __LINE__, "1 MiB of metadata", st, QCOS_STATUS_INVALID_ARGUMENT, "2048");
    qcos_put_options_free(o);
    free(big);
    /* Ranges past the end, and first > last. */
    OK(qcos_client_put_object(c, "r", (const uint8_t *)"0123456789", 10, NULL, NULL));
    qcos_get_options *g = NULL;
    OK(qcos_get_options_new(&g));
    qcos_buffer *b = NULL;
    if (qcos_get_options_set_range(g, UINT64_MAX - 1, UINT64_MAX) == QCOS_STATUS_OK) {
        EXPECT(qcos_client_get_object(c, "r", g, &b, NULL), QCOS_STATUS_SERVICE, "416");
        CHECK(b == NULL);
    }
    EXPECT(qcos_get_options_set_range(g, 5, 2), QCOS_STATUS_INVALID_ARGUMENT, NULL);
    qcos_get_options_free(g);
    /* A caller's buffer of 0 bytes for 10: the size needed comes back. */
    size_t n = 0;
    uint8_t tiny[1];
    EXPECT(qcos_client_get_object_to_buffer(c, "r", NULL, tiny, 0, &n, NULL),
           QCOS_STATUS_BUFFER_TOO_SMALL, NULL);
    CHECK(n == 10);
    OK(qcos_client_delete_object(c, "r"));
}

static void bad_names(void) {
    const char *buckets[] = {"../x", "UPPER-1250000000", "b-1250000000/../x", "b 1250000000",
                             "b\r\n-1250000000", "-b-1250000000"};
    const char *regions[] = {"ap-guangzhou/../x", "ap guangzhou", "ap-guangzhou\r\nx", "a.b",
                             ""};
    for (size_t i = 0; i < N(buckets); i++) {
        qcos_config *cfg = NULL;
        qcos_status st = qcos_config_new("ap-guangzhou", buckets[i], &cfg);
        if (st == QCOS_STATUS_OK) {
            const qcos_client *cl = NULL;
            OK(qcos_config_set_credentials(cfg, "AKIDx", "secret"));
            st = qcos_client_new(cfg, &cl); /* consumes cfg */
            qcos_client_free(cl);
        }
        checks++;
        if (st != QCOS_STATUS_INVALID_ARGUMENT) {
            failures++;
            fprintf(stderr, "bucket [%s] accepted (%s)\n", buckets[i],
                    qcos_status_str((uint32_t)st));
        }
    }
    for (size_t i = 0; i < N(regions); i++) {
        qcos_config *cfg = NULL;
        qcos_status st = qcos_config_new(regions[i], "b-1250000000", &cfg);
        if (st == QCOS_STATUS_OK) {
            const qcos_client *cl = NULL;
            OK(qcos_config_set_credentials(cfg, "AKIDx", "secret"));
            st = qcos_client_new(cfg, &cl); /* consumes cfg */
            qcos_client_free(cl);
        }
        checks++;
        if (st != QCOS_STATUS_INVALID_ARGUMENT) {
            failures++;
            fprintf(stderr, "region [%s] accepted (%s)\n", regions[i],
                    qcos_status_str((uint32_t)st));
        }
    }
    const char *endpoints[] = {"http://127.0.0.1:1/\r\nX: y", "ftp://host", "http://",
                               "http://h:99999", "not a url at all"};
    for (size_t i = 0; i < N(endpoints); i++) {
        qcos_config *cfg = NULL;
        OK(qcos_config_new("ap-guangzhou", "b-1250000000", &cfg));
        OK(qcos_config_set_credentials(cfg, "AKIDx", "secret"));
        qcos_status st = qcos_config_set_endpoint(cfg, endpoints[i]);
        if (st == QCOS_STATUS_OK) {
            const qcos_client *cl = NULL;
            st = qcos_client_new(cfg, &cl); /* consumes cfg */
            qcos_client_free(cl);
        } else {
            qcos_config_free(cfg);
        }
        checks++;
        if (st != QCOS_STATUS_INVALID_ARGUMENT) {
            failures++;
            fprintf(stderr, "endpoint [%s] accepted (%s)\n", endpoints[i],
                    qcos_status_str((uint32_t)st));
        }
    }
    /* Credentials with CR/LF would be header injection through the token. */
    qcos_config *cfg = NULL;
    OK(qcos_config_new("ap-guangzhou", "b-1250000000", &cfg));
    qcos_status st = qcos_config_set_temporary_credentials(cfg, "AKIDx", "k", "tok\r\nx: y", 0, 0);
    checks++;
    if (st != QCOS_STATUS_AUTH && st != QCOS_STATUS_INVALID_ARGUMENT) {
        failures++;
        fprintf(stderr, "CR/LF in the token: %s\n", qcos_status_str((uint32_t)st));
    }
    qcos_config_free(cfg);
}

static void paths(const qcos_client *c, const char *dir) {
    char p[4096];
    OK(qcos_client_put_object(c, "p", (const uint8_t *)"abc", 3, NULL, NULL));
    EXPECT(qcos_client_get_object_to_file(c, "p", "", NULL, NULL), QCOS_STATUS_INVALID_ARGUMENT,
           NULL);
    /* A directory as destination; a missing parent directory. */
    EXPECT(qcos_client_get_object_to_file(c, "p", dir, NULL, NULL), QCOS_STATUS_INVALID_ARGUMENT,
           "directory");
    snprintf(p, sizeof p, "%s/no/such/dir/f", dir);
    EXPECT(qcos_client_get_object_to_file(c, "p", p, NULL, NULL), QCOS_STATUS_IO, NULL);
    /* Uploading a directory or a missing file. */
    EXPECT(qcos_client_put_object_from_file(c, "d", dir, NULL, NULL),
           QCOS_STATUS_INVALID_ARGUMENT, "regular file");
    snprintf(p, sizeof p, "%s/missing", dir);
    EXPECT(qcos_client_put_object_from_file(c, "d", p, NULL, NULL), QCOS_STATUS_IO, NULL);
    OK(qcos_client_delete_object(c, "p"));
}

/* Progress on stdout with the time spent so far (the harness shows it on failure). */
static void section(const char *name) {
    static struct timespec t0;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (t0.tv_sec == 0 && t0.tv_nsec == 0) {
        t0 = t;
    }
    printf("[%6.2fs] %s\n", (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9, name);
    fflush(stdout);
}

int main(void) {
    const char *dir = env("QCOS_TEST_DIR");
    qcos_config *cfg = NULL;
    OK(qcos_config_from_env(&cfg));
    /* Hostile input is refused or answered at once: no retries needed (and a refused
     * huge header is not worth resending). */
    OK(qcos_config_set_max_retries(cfg, 0));
    const qcos_client *c = NULL;
    OK(qcos_client_new(cfg, &c)); /* consumes cfg */
    if (c == NULL) {
        fprintf(stderr, "no client\n");
        return 100;
    }
    OK(qcos_client_create_bucket(c));
    section("bad keys");
    bad_keys(c, dir);
    section("root keys");
    root_keys(c);
    section("odd keys");
    odd_keys(c);
    section("header injection");
    header_injection(c);
    section("huge");
    huge(c);
    section("bad names");
    bad_names();
    section("paths");
    paths(c, dir);
    section("done");
    qcos_client_free(c);
    printf("hostile: %d checks, %d failed\n", checks, failures);
    return failures > 100 ? 100 : failures;
}
