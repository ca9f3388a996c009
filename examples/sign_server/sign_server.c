/*
 * sign_server: the small signing service of the mini-program "direct upload" guide,
 * in C on libqcos. A browser or mini program asks it how to upload a file of a given
 * extension and size; it picks a random dated key and answers with either a presigned
 * PUT URL (plus an Authorization for the same PUT, for clients that prefer headers)
 * or the form fields of a POST Object upload. The client then uploads straight to COS
 * (or qcos-server): the keys never leave this process.
 *
 *   GET /sign?ext=png&size=12345[&method=put|post]
 *   GET /presign?ext=png&size=12345      (= /sign with method=put)
 *   GET /post-policy?ext=png&size=12345  (= /sign with method=post)
 *   GET /, GET /<file>                   files of --static DIR (a web page to test with)
 *
 * - `ext` must be in the allow list below (case-insensitive); the object's
 *   Content-Type follows from it and is signed, so the upload must use it.
 * - `size` (bytes, 1 .. --max-size, default 10 MiB) is signed too: as Content-Length
 *   of the PUT, as the upper end of the POST policy's content-length-range.
 * - The signatures are valid for 10 minutes.
 *
 * PUT answer:
 *   {"method":"PUT","host":"<host[:port] of the URL>","key":"uploads/2026/11/21/<32 hex>.png","url":"<presigned URL>",
 *    "object_url":"<unsigned URL>","authorization":"<Authorization for object_url>",
 *    "headers":{"Content-Type":"image/png","Content-Length":"12345",...}}
 *   (send `headers` with either form; with temporary credentials they include
 *   x-cos-security-token, which the URL form carries in the URL instead)
 * POST answer:
 *   {"method":"POST","host":"...","key":"...","url":"<bucket URL>","fields":{"key":...,"policy":...,...}}
 *   (send the fields in order, then the file as the last part, named "file")
 * Errors: 400/404 with {"error":"..."}. Every answer allows any origin (CORS).
 *
 * Configuration (environment, as qcos_config_from_env reads it): COS_REGION,
 * COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY, optional COS_SECURITY_TOKEN and
 * COS_ENDPOINT (e.g. http://127.0.0.1:9000 for a local qcos-server).
 *
 * Options: --port N (default 0: any free port; it listens on 127.0.0.1 only),
 * --max-size BYTES, --max-requests N (exit after N requests; for tests), --static DIR
 * (serve the files directly in DIR: .html, .js, .css, .txt; `/` is index.html).
 * It prints "listening on http://127.0.0.1:PORT" once ready.
 *
 * Build (from the repository root, after `cargo build`):
 *   cc -std=c11 -Wall -Wextra -Iinclude examples/sign_server/sign_server.c \
 *      target/debug/libqcos.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o sign_server
 */
#define _POSIX_C_SOURCE 200809L

#include "qcos.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LIFETIME_SECS 600

static const char *const ALLOWED[][2] = {
    {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"png", "image/png"},
    {"gif", "image/gif"},  {"webp", "image/webp"}, {"txt", "text/plain"},
    {"pdf", "application/pdf"},
};

/* ---- a growing string ---------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* A JSON string literal. */
static void sb_json(sbuf *b, const char *s) {
    sb_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_add(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            sb_add(b, esc, 6);
        } else {
            sb_add(b, s, 1);
        }
    }
    sb_add(b, "\"", 1);
}

/* "name":"value" with a leading comma unless first. */
static void sb_member(sbuf *b, int *first, const char *name, const char *value) {
    if (!*first) sb_add(b, ",", 1);
    *first = 0;
    sb_json(b, name);
    sb_add(b, ":", 1);
    sb_json(b, value);
}

/* ---- HTTP ---------------------------------------------------------------------- */

static void respond_typed(int fd, int status, const char *ctype, const char *body,
                          size_t blen) {
    const char *reason = status == 200   ? "OK"
                         : status == 204 ? "No Content"
                         : status == 400 ? "Bad Request"
                         : status == 404 ? "Not Found"
                         : status == 405 ? "Method Not Allowed"
                                         : "Internal Server Error";
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n"
                     "Access-Control-Allow-Origin: *\r\n"
                     "Access-Control-Allow-Methods: GET, OPTIONS\r\n"
                     "Access-Control-Allow-Headers: Content-Type\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason, ctype, blen);
    if (n > 0 && write(fd, head, (size_t)n) < 0) return;
    for (size_t off = 0; off < blen;) {
        ssize_t w = write(fd, body + off, blen - off);
        if (w <= 0) return;
        off += (size_t)w;
    }
}

static void respond(int fd, int status, const char *body) {
    respond_typed(fd, status, "application/json", body, body ? strlen(body) : 0);
}

static void respond_error(int fd, int status, const char *message) {
    sbuf b = {0};
    int first = 1;
    sb_str(&b, "{");
    sb_member(&b, &first, "error", message);
    sb_str(&b, "}");
    respond(fd, b.oom ? 500 : status, b.oom ? "{\"error\":\"out of memory\"}" : b.p);
    free(b.p);
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The decoded value of query parameter `name` into out (at most cap-1 bytes).
 * Returns 1 when found, 0 when absent, -1 when malformed or too long. */
static int query_get(const char *query, const char *name, char *out, size_t cap) {
    size_t nlen = strlen(name);
    const char *p = query;
    while (p && *p) {
        const char *end = strchr(p, '&');
        size_t seg = end ? (size_t)(end - p) : strlen(p);
        if (seg > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t o = 0;
            for (size_t i = nlen + 1; i < seg; i++) {
                int c = (unsigned char)p[i];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    if (i + 2 >= seg) return -1;
                    int h = hexval(p[i + 1]), l = hexval(p[i + 2]);
                    if (h < 0 || l < 0) return -1;
                    c = h * 16 + l;
                    i += 2;
                }
                if (o + 1 >= cap) return -1;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* "host":"<authority of url>" (what the client connects to and what got signed). */
static void sb_host_member(sbuf *b, int *first, const char *url) {
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    size_t n = strcspn(h, "/?#");
    char host[256];
    if (n >= sizeof host) n = sizeof host - 1;
    memcpy(host, h, n);
    host[n] = '\0';
    sb_member(b, first, "host", host);
}

/* ---- static files (the test page) ------------------------------------------------ */

static const char *static_type(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return NULL;
    if (strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0) return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0) return "text/css; charset=utf-8";
    if (strcmp(dot, ".txt") == 0) return "text/plain; charset=utf-8";
    return NULL;
}

/* Serve `/name` from dir: plain names only (letters, digits, '-', '_', '.'; no "..").
 * Returns 0 when this was not a static file request. */
static int serve_static(int fd, const char *dir, const char *path) {
    const char *name = path[0] == '/' ? path + 1 : path;
    if (!*name) name = "index.html";
    if (strstr(name, "..")) return 0;
    for (const char *c = name; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.')) return 0;
    const char *ctype = static_type(name);
    if (!ctype) return 0;
    char file[4096];
    int n = snprintf(file, sizeof file, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof file) return 0;
    FILE *f = fopen(file, "rb");
    if (!f) return 0;
    sbuf body = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) sb_add(&body, chunk, got);
    fclose(f);
    if (body.oom) {
        respond_error(fd, 500, "out of memory");
    } else {
        respond_typed(fd, 200, ctype, body.p ? body.p : "", body.len);
    }
    free(body.p);
    return 1;
}

/* ---- signing ------------------------------------------------------------------- */

static const char *content_type_of(const char *ext) {
    for (size_t i = 0; i < sizeof ALLOWED / sizeof ALLOWED[0]; i++) {
        const char *a = ALLOWED[i][0];
        size_t j = 0;
        while (a[j] && ext[j] && tolower((unsigned char)ext[j]) == a[j]) j++;
        if (!a[j] && !ext[j]) return ALLOWED[i][1];
    }
    return NULL;
}

/* uploads/YYYY/MM/DD/<32 random hex>.<ext> */
static int make_key(const char *ext, char *out, size_t cap) {
    unsigned char rnd[16];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f) return -1;
    size_t got = fread(rnd, 1, sizeof rnd, f);
    fclose(f);
    if (got != sizeof rnd) return -1;
    char hex[33];
    for (size_t i = 0; i < sizeof rnd; i++) snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm)) return -1;
    char lower[8];
    size_t i = 0;
    for (; ext[i] && i < sizeof lower - 1; i++) lower[i] = (char)tolower((unsigned char)ext[i]);
    lower[i] = '\0';
    int n = snprintf(out, cap, "uploads/%04d/%02d/%02d/%s.%s", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, hex, lower);
    return (n > 0 && (size_t)n < cap) ? 0 : -1;
}

/* qcos_presign_url into a malloc'd string (NULL on failure; the last error says why). */
static char *presign(const qcos_client *c, const char *method, const char *key,
                     const qcos_sign_options *o) {
    size_t n = 0;
    qcos_status st = qcos_presign_url(c, method, key, o, NULL, 0, &n);
    if (st != QCOS_STATUS_BUFFER_TOO_SMALL) return NULL;
    /* A few bytes of slack: the window's digits may grow between the two calls. */
    size_t cap = n + 16;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    if (qcos_presign_url(c, method, key, o, buf, cap, &n) != QCOS_STATUS_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int sign_put(const qcos_client *c, const char *key, const char *ctype,
                    unsigned long long size, sbuf *out, const char **why) {
    qcos_sign_options *o = NULL, *plain = NULL;
    qcos_signature *sig = NULL;
    char *url = NULL, *object_url = NULL;
    char len[24];
    int rc = -1;
    snprintf(len, sizeof len, "%llu", size);
    if (qcos_sign_options_new(&o) != QCOS_STATUS_OK ||
        qcos_sign_options_add_header(o, "Content-Type", ctype) != QCOS_STATUS_OK ||
        qcos_sign_options_add_header(o, "Content-Length", len) != QCOS_STATUS_OK ||
        qcos_sign_options_set_expires(o, LIFETIME_SECS) != QCOS_STATUS_OK)
        goto done;
    if (!(url = presign(c, "PUT", key, o))) goto done;
    if (qcos_sign(c, "PUT", key, o, &sig) != QCOS_STATUS_OK) goto done;
    if (qcos_sign_options_new(&plain) != QCOS_STATUS_OK ||
        qcos_sign_options_set_signed(plain, false) != QCOS_STATUS_OK)
        goto done;
    if (!(object_url = presign(c, "PUT", key, plain))) goto done;

    int first = 1;
    sb_str(out, "{");
    sb_member(out, &first, "method", "PUT");
    sb_host_member(out, &first, url);
    sb_member(out, &first, "key", key);
    sb_member(out, &first, "url", url);
    sb_member(out, &first, "object_url", object_url);
    sb_member(out, &first, "authorization", qcos_signature_authorization(sig));
    sb_str(out, ",\"headers\":{");
    int hfirst = 1;
    sb_member(out, &hfirst, "Content-Type", ctype);
    sb_member(out, &hfirst, "Content-Length", len);
    for (size_t i = 0; i < qcos_signature_header_count(sig); i++) {
        const char *name = qcos_signature_header_name(sig, i);
        /* The HTTP client sets Host from the URL itself. */
        if (strcmp(name, "Host") == 0) continue;
        sb_member(out, &hfirst, name, qcos_signature_header_value(sig, i));
    }
    sb_str(out, "}}");
    rc = 0;
done:
    if (rc) *why = qcos_last_error_message();
    free(url);
    free(object_url);
    qcos_signature_free(sig);
    qcos_sign_options_free(o);
    qcos_sign_options_free(plain);
    return rc;
}

static int sign_post(const qcos_client *c, const char *key, const char *ctype,
                     unsigned long long size, sbuf *out, const char **why) {
    qcos_post_policy_options *po = NULL;
    qcos_post_form *form = NULL;
    int rc = -1;
    if (qcos_post_policy_options_new(&po) != QCOS_STATUS_OK ||
        qcos_post_policy_options_set_key(po, key) != QCOS_STATUS_OK ||
        qcos_post_policy_options_set_content_type(po, ctype) != QCOS_STATUS_OK ||
        qcos_post_policy_options_set_content_length_range(po, 0, (uint64_t)size) !=
            QCOS_STATUS_OK ||
        qcos_post_policy_options_set_expires(po, LIFETIME_SECS) != QCOS_STATUS_OK)
        goto done;
    if (qcos_post_policy(c, po, &form) != QCOS_STATUS_OK) goto done;
    int first = 1;
    sb_str(out, "{");
    sb_member(out, &first, "method", "POST");
    sb_host_member(out, &first, qcos_post_form_url(form));
    sb_member(out, &first, "key", key);
    sb_member(out, &first, "url", qcos_post_form_url(form));
    sb_str(out, ",\"fields\":{");
    int ffirst = 1;
    for (size_t i = 0; i < qcos_post_form_field_count(form); i++)
        sb_member(out, &ffirst, qcos_post_form_field_name(form, i),
                  qcos_post_form_field_value(form, i));
    sb_str(out, "}}");
    rc = 0;
done:
    if (rc) *why = qcos_last_error_message();
    qcos_post_form_free(form);
    qcos_post_policy_options_free(po);
    return rc;
}

/* ---- one request --------------------------------------------------------------- */

static void handle(int fd, const qcos_client *client, unsigned long long max_size,
                   const char *static_dir) {
    char req[8192];
    size_t got = 0;
    while (got < sizeof req - 1) {
        ssize_t n = read(fd, req + got, sizeof req - 1 - got);
        if (n <= 0) break;
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
    }
    req[got] = '\0';
    char method[8], target[2048];
    if (sscanf(req, "%7s %2047s", method, target) != 2) {
        respond_error(fd, 400, "malformed request");
        return;
    }
    if (strcmp(method, "OPTIONS") == 0) { /* CORS preflight */
        respond(fd, 204, NULL);
        return;
    }
    char *query = strchr(target, '?');
    if (query) *query++ = '\0';
    /* /presign and /post-policy fix the method; /sign takes it from the query. */
    const char *fixed = strcmp(target, "/presign") == 0       ? "put"
                        : strcmp(target, "/post-policy") == 0 ? "post"
                                                              : NULL;
    if (!fixed && strcmp(target, "/sign") != 0) {
        if (strcmp(method, "GET") == 0 && static_dir && serve_static(fd, static_dir, target))
            return;
        respond_error(fd, 404,
                      "not found: use GET /sign?ext=EXT&size=BYTES[&method=put|post], "
                      "/presign?ext=EXT&size=BYTES or /post-policy?ext=EXT&size=BYTES");
        return;
    }
    if (strcmp(method, "GET") != 0) {
        respond_error(fd, 405, "use GET");
        return;
    }
    char ext[16], size_s[24], how[8] = "put";
    if (query_get(query, "ext", ext, sizeof ext) != 1) {
        respond_error(fd, 400, "the ext parameter is missing or malformed");
        return;
    }
    const char *ctype = content_type_of(ext);
    if (!ctype) {
        respond_error(fd, 400, "this file extension is not allowed");
        return;
    }
    if (query_get(query, "size", size_s, sizeof size_s) != 1) {
        respond_error(fd, 400, "the size parameter is missing or malformed");
        return;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long size = strtoull(size_s, &end, 10);
    if (errno || !end || *end || size_s[0] == '-' || size < 1 || size > max_size) {
        char msg[96];
        snprintf(msg, sizeof msg, "size must be a number of bytes from 1 to %llu", max_size);
        respond_error(fd, 400, msg);
        return;
    }
    int r = fixed ? (snprintf(how, sizeof how, "%s", fixed), 1)
                  : query_get(query, "method", how, sizeof how);
    if (r < 0 || (strcmp(how, "put") != 0 && strcmp(how, "post") != 0)) {
        respond_error(fd, 400, "method must be put or post");
        return;
    }
    char key[128];
    if (make_key(ext, key, sizeof key) != 0) {
        respond_error(fd, 500, "cannot pick a key");
        return;
    }
    sbuf out = {0};
    const char *why = NULL;
    int rc = strcmp(how, "put") == 0 ? sign_put(client, key, ctype, size, &out, &why)
                                     : sign_post(client, key, ctype, size, &out, &why);
    if (rc != 0) {
        respond_error(fd, 500, why ? why : "signing failed");
    } else if (out.oom) {
        respond_error(fd, 500, "out of memory");
    } else {
        respond(fd, 200, out.p);
    }
    free(out.p);
}

int main(int argc, char **argv) {
    unsigned port = 0;
    unsigned long long max_size = 10ULL * 1024 * 1024;
    long max_requests = -1;
    const char *static_dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--max-size") == 0 && i + 1 < argc) {
            max_size = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--max-requests") == 0 && i + 1 < argc) {
            max_requests = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--static") == 0 && i + 1 < argc) {
            static_dir = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: %s [--port N] [--max-size BYTES] [--max-requests N] "
                    "[--static DIR]\n",
                    argv[0]);
            return 2;
        }
    }

    qcos_config *cfg = NULL;
    const qcos_client *client = NULL;
    qcos_status st = qcos_config_from_env(&cfg);
    if (st == QCOS_STATUS_OK) st = qcos_client_new(cfg, &client); /* cfg consumed */
    if (st != QCOS_STATUS_OK) {
        fprintf(stderr, "sign_server: configuration: %s\n", qcos_last_error_message());
        return 1;
    }

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((unsigned short)port);
    socklen_t alen = sizeof addr;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &alen) != 0) {
        perror("sign_server: listen");
        if (fd >= 0) close(fd);
        qcos_client_free(client);
        return 1;
    }
    printf("listening on http://127.0.0.1:%u\n", (unsigned)ntohs(addr.sin_port));
    fflush(stdout);

    for (long served = 0; max_requests < 0 || served < max_requests; served++) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR) continue;
            perror("sign_server: accept");
            break;
        }
        /* Requests are served one at a time: a client that connects and sends nothing
         * (browsers open spare connections) must not hold the others up for long. */
        struct timeval tv = {3, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        handle(c, client, max_size, static_dir);
        close(c);
    }
    close(fd);
    qcos_client_free(client);
    return 0;
}
