/*
 * Directory transfers through the queue from C: qcos_queue_upload_directory and
 * qcos_queue_download_prefix with their qcos_task_list, built against include/qcos.h
 * and libqcos.a and run by tests/c_api.rs against an in-process qcos-server.
 *
 * A tree (nested directories, an empty file, UTF-8 names, a symbolic link that is
 * skipped) goes up and comes back byte for byte; the keys `chostile/ok` and
 * `chostile/a/../../escape`, stored by the Rust harness before this program runs, make
 * qcos_queue_download_prefix refuse with nothing written; NULL and bad input give
 * their documented statuses.
 *
 * Environment: COS_ENDPOINT, COS_REGION, COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY,
 * QCOS_TEST_DIR (a scratch directory).
 *
 * The exit status is the number of failed checks (capped).
 */
#define _POSIX_C_SOURCE 200809L
#include "qcos.h"
#include "check.h"

#include <sys/stat.h>
#include <unistd.h>

static char base[512];

static const char *at(char *buf, size_t cap, const char *rel) {
    snprintf(buf, cap, "%s/%s", base, rel);
    return buf;
}

static void write_file(const char *rel, const uint8_t *data, size_t n) {
    char p[1024];
    FILE *f = fopen(at(p, sizeof p, rel), "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    if (n > 0)
        CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

/* The whole file at `path` (malloc'd; *n its size), or NULL when it cannot be read. */
static uint8_t *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    *n = fread(buf, 1, (size_t)len, f);
    fclose(f);
    return buf;
}

static int exists(const char *rel) {
    char p[1024];
    struct stat st;
    return lstat(at(p, sizeof p, rel), &st) == 0;
}

static void test_null_and_bad_input(const qcos_queue *q) {
    qcos_task_list *tl = NULL;
    NULLARG(qcos_queue_upload_directory(NULL, base, "p/", NULL, NULL, &tl), "queue");
    NULLARG(qcos_queue_upload_directory(q, NULL, "p/", NULL, NULL, &tl), "dir");
    NULLARG(qcos_queue_upload_directory(q, base, NULL, NULL, NULL, &tl), "prefix");
    NULLARG(qcos_queue_upload_directory(q, base, "p/", NULL, NULL, NULL), "tasks_out");
    NULLARG(qcos_queue_download_prefix(NULL, "p/", base, NULL, &tl), "queue");
    NULLARG(qcos_queue_download_prefix(q, NULL, base, NULL, &tl), "prefix");
    NULLARG(qcos_queue_download_prefix(q, "p/", NULL, NULL, &tl), "dir");
    NULLARG(qcos_queue_download_prefix(q, "p/", base, NULL, NULL), "tasks_out");
    INVALID(qcos_queue_upload_directory(q, base, BAD_UTF8, NULL, NULL, &tl), "UTF-8");
    INVALID(qcos_queue_download_prefix(q, BAD_UTF8, base, NULL, &tl), "UTF-8");
    INVALID(qcos_queue_upload_directory(q, "", "p/", NULL, NULL, &tl), "empty");
    char p[1024];
    write_file("plain-file", (const uint8_t *)"x", 1);
    INVALID(qcos_queue_upload_directory(q, at(p, sizeof p, "plain-file"), "p/", NULL, NULL, &tl),
            "not a directory");
    INVALID(qcos_queue_download_prefix(q, "p/", p, NULL, &tl), "not a directory");
    EXPECT_STATUS(qcos_queue_upload_directory(q, at(p, sizeof p, "missing"), "p/", NULL, NULL, &tl),
                  QCOS_STATUS_IO, "missing");
    CHECK(tl == NULL); /* untouched on failure */
    CHECK(qcos_task_list_count(NULL) == 0);
    CHECK(qcos_task_list_id(NULL, 0) == 0);
    CHECK(qcos_task_list_key(NULL, 0) == NULL);
    CHECK(qcos_task_list_path(NULL, 0) == NULL);
    qcos_task_list_free(NULL);
}

static void wait_all(const qcos_queue *q, const qcos_task_list *tl) {
    for (size_t i = 0; i < qcos_task_list_count(tl); i++) {
        qcos_task_state st = QCOS_TASK_STATE_FAILED;
        OK(qcos_queue_wait(q, qcos_task_list_id(tl, i), -1, &st));
        CHECK(st == QCOS_TASK_STATE_SUCCEEDED);
    }
}

static const char *names[4] = {"a.txt", "empty", "sub/deep/b.bin", "\xe6\x97\xa5\xe6\x9c\xac/\xc3\xbc.txt"};

static void test_round_trip(const qcos_queue *q) {
    static uint8_t big[300000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13 + (i >> 9));
    char p[1024], p2[1024];
    mkdir(at(p, sizeof p, "up"), 0755);
    mkdir(at(p, sizeof p, "up/sub"), 0755);
    mkdir(at(p, sizeof p, "up/sub/deep"), 0755);
    mkdir(at(p, sizeof p, "up/\xe6\x97\xa5\xe6\x9c\xac"), 0755);
    write_file("up/a.txt", (const uint8_t *)"hello", 5);
    write_file("up/empty", NULL, 0);
    write_file("up/sub/deep/b.bin", big, sizeof big);
    write_file("up/\xe6\x97\xa5\xe6\x9c\xac/\xc3\xbc.txt", (const uint8_t *)"\xc3\xbc", 2);
    /* A symbolic link is not followed and not uploaded. */
    CHECK(symlink(at(p, sizeof p, "up/a.txt"), at(p2, sizeof p2, "up/link")) == 0);

    qcos_put_options *po = NULL;
    OK(qcos_put_options_new(&po));
    OK(qcos_put_options_set_content_type(po, "text/x-dir"));
    qcos_task_list *tl = NULL;
    OK(qcos_queue_upload_directory(q, at(p, sizeof p, "up"), "ctree/", po, NULL, &tl));
    qcos_put_options_free(po);
    CHECK(qcos_task_list_count(tl) == 4);
    for (size_t i = 0; i < 4 && i < qcos_task_list_count(tl); i++) {
        char key[256];
        snprintf(key, sizeof key, "ctree/%s", names[i]);
        CHECK(streq(qcos_task_list_key(tl, i), key));
        snprintf(key, sizeof key, "up/%s", names[i]);
        CHECK(streq(qcos_task_list_path(tl, i), at(p, sizeof p, key)));
        CHECK(qcos_task_list_id(tl, i) != 0);
    }
    CHECK(qcos_task_list_key(tl, 4) == NULL && qcos_task_list_id(tl, 4) == 0);
    wait_all(q, tl);
    qcos_task_list_free(tl);

    tl = NULL;
    OK(qcos_queue_download_prefix(q, "ctree/", at(p, sizeof p, "down"), NULL, &tl));
    CHECK(qcos_task_list_count(tl) == 4);
    wait_all(q, tl);
    for (size_t i = 0; i < 4 && i < qcos_task_list_count(tl); i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "down/%s", names[i]);
        CHECK(streq(qcos_task_list_path(tl, i), at(p, sizeof p, rel)));
        size_t n1 = 0, n2 = 0;
        uint8_t *got = read_all(p, &n1);
        snprintf(rel, sizeof rel, "up/%s", names[i]);
        uint8_t *want = read_all(at(p2, sizeof p2, rel), &n2);
        CHECK(got != NULL && want != NULL && n1 == n2 && memcmp(got, want, n1) == 0);
        free(got);
        free(want);
    }
    CHECK(!exists("down/link"));
    qcos_task_list_free(tl);
}

static void test_hostile(const qcos_queue *q) {
    char p[1024];
    qcos_task_list *tl = NULL;
    mkdir(at(p, sizeof p, "outside"), 0755);
    EXPECT_STATUS(qcos_queue_download_prefix(q, "chostile/", at(p, sizeof p, "outside/target"),
                                             NULL, &tl),
                  QCOS_STATUS_INVALID_ARGUMENT, "\"chostile/a/../../escape\"");
    CHECK(tl == NULL);
    CHECK(!exists("outside/target"));
    CHECK(!exists("escape") && !exists("outside/escape"));

    /* A file name that would make a key download_prefix refuses: nothing queued. */
    mkdir(at(p, sizeof p, "bad"), 0755);
    write_file("bad/fine", (const uint8_t *)"x", 1);
    write_file("bad/back\\slash", (const uint8_t *)"x", 1);
    EXPECT_STATUS(qcos_queue_upload_directory(q, at(p, sizeof p, "bad"), "cbad/", NULL, NULL, &tl),
                  QCOS_STATUS_INVALID_ARGUMENT, "back\\slash");
    CHECK(tl == NULL);
}

int main(void) {
    snprintf(base, sizeof base, "%s", env("QCOS_TEST_DIR"));
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    OK(qcos_config_from_env(&cfg));
    OK(qcos_config_set_max_retries(cfg, 2));
    OK(qcos_client_new(cfg, &c));
    if (c == NULL) {
        fprintf(stderr, "cannot build a client; stopping\n");
        return 1;
    }
    qcos_queue *q = NULL;
    OK(qcos_queue_new(c, &q));
    if (q != NULL) {
        test_null_and_bad_input(q);
        test_round_trip(q);
        test_hostile(q);
        qcos_queue_free(q);
    }
    qcos_client_free(c);
    printf("%d checks, %d failed\n", checks, failures);
    return failures > 99 ? 99 : failures;
}
