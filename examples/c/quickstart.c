/*
 * qcos quickstart: upload an object, list the bucket, download the object, check its
 * bytes, delete it.
 *
 * Configuration comes from the environment:
 *   COS_REGION      e.g. ap-guangzhou                      (required)
 *   COS_BUCKET      e.g. examplebucket-1250000000          (required)
 *   COS_SECRET_ID, COS_SECRET_KEY                          (required)
 *   COS_SECURITY_TOKEN  temporary credentials' token       (optional)
 *   COS_ENDPOINT    e.g. http://127.0.0.1:9000 for a local qcos-server (optional)
 *
 * Build (from the repository root, after `cargo build`):
 *   cc -std=c11 -Wall -Wextra -Iinclude examples/c/quickstart.c target/debug/libqcos.a \
 *      -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o quickstart
 */
#include "qcos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Print what failed, with every detail the library keeps about it. */
static int fail(const char *what, qcos_status st) {
    fprintf(stderr, "%s failed: %s: %s\n", what, qcos_status_str((uint32_t)st),
            qcos_last_error_message());
    if (st == QCOS_STATUS_SERVICE) {
        fprintf(stderr, "  HTTP %u, Code %s, RequestId %s\n", (unsigned)qcos_last_error_http_status(),
                qcos_last_error_code(), qcos_last_error_request_id());
    }
    return 1;
}

int main(void) {
    static const char key[] = "quickstart/hello.txt";
    static const char text[] = "Hello from the qcos C API!\n";
    const size_t len = sizeof text - 1;
    qcos_config *cfg = NULL;
    const qcos_client *client = NULL;
    qcos_put_options *opts = NULL;
    qcos_list *list = NULL;
    qcos_buffer *body = NULL;
    qcos_status st;
    bool has_page = false;
    size_t i;
    int rc = 1;

    if (qcos_version_number() != QCOS_VERSION_NUMBER) {
        fprintf(stderr, "header %s but library %s\n", QCOS_VERSION, qcos_version());
        return 1;
    }
    printf("qcos %s\n", qcos_version());

    /* 1. Configure from the environment and build a client (which takes the config). */
    if ((st = qcos_config_from_env(&cfg)) != QCOS_STATUS_OK) return fail("reading COS_* variables", st);
    if ((st = qcos_client_new(cfg, &client)) != QCOS_STATUS_OK) return fail("creating the client", st);

    /* 2. Upload, with a content type and one metadata entry. */
    if ((st = qcos_put_options_new(&opts)) != QCOS_STATUS_OK) {
        fail("qcos_put_options_new", st);
        goto out;
    }
    qcos_put_options_set_content_type(opts, "text/plain");
    qcos_put_options_add_meta(opts, "example", "quickstart");
    st = qcos_client_put_object(client, key, (const uint8_t *)text, len, opts, NULL);
    qcos_put_options_free(opts);
    if (st != QCOS_STATUS_OK) {
        fail("upload", st);
        goto out;
    }
    printf("uploaded %s (%zu bytes)\n", key, len);

    /* 3. List the objects under "quickstart/", page by page. */
    if ((st = qcos_client_list_objects(client, "quickstart/", NULL, NULL, 0, &list)) != QCOS_STATUS_OK) {
        fail("list", st);
        goto out;
    }
    while ((st = qcos_list_next(list, &has_page)) == QCOS_STATUS_OK && has_page) {
        for (i = 0; i < qcos_list_object_count(list); i++) {
            printf("listed %s (%llu bytes)\n", qcos_list_object_key(list, i),
                   (unsigned long long)qcos_list_object_size(list, i));
        }
    }
    qcos_list_free(list);
    if (st != QCOS_STATUS_OK) {
        fail("list", st);
        goto out;
    }

    /* 4. Download into a library-owned buffer and check the bytes. */
    if ((st = qcos_client_get_object(client, key, NULL, &body, NULL)) != QCOS_STATUS_OK) {
        fail("download", st);
        goto out;
    }
    if (qcos_buffer_len(body) != len || memcmp(qcos_buffer_data(body), text, len) != 0) {
        fprintf(stderr, "downloaded bytes differ from the uploaded ones\n");
        qcos_buffer_free(body);
        goto out;
    }
    printf("downloaded %zu bytes: verified\n", qcos_buffer_len(body));
    qcos_buffer_free(body);

    /* 5. Delete it. */
    if ((st = qcos_client_delete_object(client, key)) != QCOS_STATUS_OK) {
        fail("delete", st);
        goto out;
    }
    printf("deleted %s\n", key);
    rc = 0;

out:
    qcos_client_free(client);
    return rc;
}
