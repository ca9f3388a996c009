/*
 * The AddressSanitizer pass's own check (tests/c_api.rs,
 * asan_pass_catches_misuse_of_library_buffers): a program that misuses what the
 * library hands out, one mistake per mode, so the harness can see that the pass,
 * built against the uninstrumented cdylib, really reports each kind of mistake.
 * No network: a client signs a request locally.
 *
 * Modes (argv[1]):
 *   clean        everything released correctly: exit 0, nothing printed
 *   leak         the signature is never released (LeakSanitizer)
 *   double-free  the signature is released twice (AddressSanitizer)
 *   overrun      reads one byte past the end of a string the library returned
 *   use-after-free  reads a string of a released signature
 */
#include "qcos.h"

#include <stdio.h>
#include <string.h>

static volatile char sink;

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "clean";
    qcos_config *cfg = NULL;
    const qcos_client *client = NULL;
    qcos_signature *sig = NULL;
    if (qcos_config_new("ap-guangzhou", "canary-1250000000", &cfg) != QCOS_STATUS_OK ||
        qcos_config_set_credentials(cfg, "AKIDcanary", "canarySecretKey") != QCOS_STATUS_OK ||
        qcos_client_new(cfg, &client) != QCOS_STATUS_OK ||
        qcos_sign(client, "GET", "canary.txt", NULL, &sig) != QCOS_STATUS_OK) {
        fprintf(stderr, "setup failed: %s\n", qcos_last_error_message());
        return 2;
    }
    const char *auth = qcos_signature_authorization(sig);
    size_t len = strlen(auth);
    if (strcmp(mode, "clean") == 0) {
        sink = auth[len];
        qcos_signature_free(sig);
    } else if (strcmp(mode, "leak") == 0) {
        sig = NULL;
    } else if (strcmp(mode, "double-free") == 0) {
        qcos_signature_free(sig);
        qcos_signature_free(sig);
    } else if (strcmp(mode, "overrun") == 0) {
        sink = auth[len + 1];
        qcos_signature_free(sig);
    } else if (strcmp(mode, "use-after-free") == 0) {
        qcos_signature_free(sig);
        sink = auth[0];
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    qcos_client_free(client);
    printf("done %s\n", mode);
    return 0;
}
