/*
 * What the C test programs share: check counters and macros that print where a check
 * failed with the library's last error, the statuses a call must return, the test
 * environment, and CRC-64/XZ (COS's crc64ecma) computed independently of the library.
 *
 * Include it after "qcos.h". Every program reports `checks` and `failures` itself.
 */
#ifndef QCOS_TEST_CHECK_H
#define QCOS_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* `got` must be `want`, and then the last error must mention `needle` (when given). */
static inline void expect_status(const char *file, int line, const char *expr, qcos_status got,
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
#define INVALID(call, needle) EXPECT_STATUS(call, QCOS_STATUS_INVALID_ARGUMENT, (needle))
#define NULLARG(call, name) INVALID(call, "`" name "`")

/* A NUL-terminated string that is not UTF-8. */
#define BAD_UTF8 ((const char[]){'k', (char)0xff, (char)0xfe, 0})

static inline int streq(const char *a, const char *b) {
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* The environment variable `name`; exits with status 100 when it is unset or empty. */
static inline const char *env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "environment variable %s is not set\n", name);
        exit(100);
    }
    return v;
}

/* CRC-64/XZ (COS's crc64ecma), bit by bit. */
static inline uint64_t crc64(uint64_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xC96C5795D7870F42ULL & (0 - (crc & 1)));
    }
    return ~crc;
}

#endif
