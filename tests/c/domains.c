/* Backup-domain switching and the GET Service host from C: the setters
 * qcos_config_set_auto_switch_host and qcos_config_set_service_domain (NULL and bad
 * input included), then end to end against the qcos-server tests/c_api.rs started,
 * which stores "domains/obj" (OBJ below) and resets every GET whose Host is the
 * primary domain "*.myqcloud.com":
 *
 *   domains switch     the GET succeeds (its retry went to the backup host
 *                      "*.tencentcos.cn"; the harness checks the Hosts the server saw),
 *                      and list_buckets with a service domain finds the bucket.
 *   domains noswitch   with switching off the GET fails with QCOS_STATUS_NETWORK.
 *
 * Every check prints one line ("ok ..." or "FAIL ..."), then "<n> passed, <m> failed";
 * the exit status is non-zero on any failure. */
#include "qcos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_passed, g_failed;

static void report(int ok, const char *what, int line) {
    if (ok) {
        g_passed++;
        printf("ok   %s\n", what);
    } else {
        g_failed++;
        printf("FAIL %s (line %d); last error: %s\n", what, line, qcos_last_error_message());
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

static const char OBJ[] = "hello from the backup host";

static int mentions(const char *needle) {
    const char *m = qcos_last_error_message();
    return m != NULL && strstr(m, needle) != NULL;
}

static void setters(void) {
    qcos_config *cfg = NULL;
    static const char *const bad[] = {
        "https://service.cos.myqcloud.com", /* a scheme */
        "service.cos.myqcloud.com/list",    /* a path */
        "service.cos.myqcloud.com\r\nX: 1", /* CR/LF */
        "{Bucket}.cos.myqcloud.com",        /* not a service placeholder */
        "",                                 /* empty */
    };
    size_t i;
    const char invalid_utf8[] = {'s', (char)0xff, '.', 'c', 'n', 0};

    CHECK_ST(qcos_config_set_auto_switch_host(NULL, true), QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(mentions("cfg"));
    CHECK_ST(qcos_config_set_service_domain(NULL, "service.cos.tencentcos.cn"),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(mentions("cfg"));

    CHECK_ST(qcos_config_new("ap-guangzhou", "", &cfg), QCOS_STATUS_OK);
    CHECK_ST(qcos_config_set_auto_switch_host(cfg, false), QCOS_STATUS_OK);
    CHECK_ST(qcos_config_set_auto_switch_host(cfg, true), QCOS_STATUS_OK);
    CHECK_ST(qcos_config_set_service_domain(cfg, "cos.{Region}.tencentcos.cn"), QCOS_STATUS_OK);
    CHECK_ST(qcos_config_set_service_domain(cfg, NULL), QCOS_STATUS_OK); /* removes it */
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_ST(qcos_config_set_service_domain(cfg, bad[i]), QCOS_STATUS_INVALID_ARGUMENT);
        CHECK(mentions("service_domain"));
    }
    CHECK_ST(qcos_config_set_service_domain(cfg, invalid_utf8), QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(mentions("service_domain"));
    /* {AppId} needs a bucket to take the APPID from. */
    CHECK_ST(qcos_config_set_service_domain(cfg, "{AppId}.cos.example.com"),
             QCOS_STATUS_INVALID_ARGUMENT);
    CHECK(mentions("AppId"));
    CHECK_ST(qcos_config_set_bucket(cfg, "domains-1250000000"), QCOS_STATUS_OK);
    CHECK_ST(qcos_config_set_service_domain(cfg, "{AppId}.cos.example.com"), QCOS_STATUS_OK);
    qcos_config_free(cfg);
}

static const qcos_client *make_client(int switch_hosts, const char *service_domain) {
    qcos_config *cfg = NULL;
    const qcos_client *c = NULL;
    if (qcos_config_from_env(&cfg) != QCOS_STATUS_OK) {
        fprintf(stderr, "config: %s\n", qcos_last_error_message());
        exit(2);
    }
    if (qcos_config_set_max_retries(cfg, 1) != QCOS_STATUS_OK ||
        qcos_config_set_retry_base_delay_ms(cfg, 5) != QCOS_STATUS_OK ||
        qcos_config_set_auto_switch_host(cfg, switch_hosts != 0) != QCOS_STATUS_OK ||
        qcos_config_set_service_domain(cfg, service_domain) != QCOS_STATUS_OK) {
        fprintf(stderr, "config: %s\n", qcos_last_error_message());
        qcos_config_free(cfg);
        exit(2);
    }
    if (qcos_client_new(cfg, &c) != QCOS_STATUS_OK) {
        fprintf(stderr, "client: %s\n", qcos_last_error_message());
        exit(2);
    }
    return c;
}

static void switched(void) {
    const qcos_client *c = make_client(1, "cos.{Region}.tencentcos.cn");
    uint8_t buf[64];
    size_t n = 0, i, count;
    int found = 0;
    qcos_bucket_list *list = NULL;
    const char *bucket = getenv("COS_BUCKET");

    CHECK_ST(qcos_client_get_object_to_buffer(c, "domains/obj", NULL, buf, sizeof buf, &n, NULL),
             QCOS_STATUS_OK);
    CHECK(n == strlen(OBJ) && memcmp(buf, OBJ, n) == 0);

    CHECK_ST(qcos_client_list_buckets(c, &list), QCOS_STATUS_OK);
    count = qcos_bucket_list_count(list);
    for (i = 0; i < count; i++) {
        const char *name = qcos_bucket_list_name(list, i);
        if (name && bucket && strcmp(name, bucket) == 0) found = 1;
    }
    CHECK(found);
    qcos_bucket_list_free(list);
    qcos_client_free(c);
}

static void not_switched(void) {
    const qcos_client *c = make_client(0, NULL);
    uint8_t buf[64];
    size_t n = 0;
    CHECK_ST(qcos_client_get_object_to_buffer(c, "domains/obj", NULL, buf, sizeof buf, &n, NULL),
             QCOS_STATUS_NETWORK);
    CHECK(strlen(qcos_last_error_message()) > 8);
    CHECK(!mentions("backup host"));
    qcos_client_free(c);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: domains switch|noswitch\n");
        return 2;
    }
    setters();
    if (strcmp(argv[1], "switch") == 0) {
        switched();
    } else if (strcmp(argv[1], "noswitch") == 0) {
        not_switched();
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
