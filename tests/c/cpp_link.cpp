// The header used from C++: compiled with g++ -std=c++17 and linked against
// libqcos.a, proving the extern "C" block and the enum declarations link and work.
#include "qcos.h"

#include <cstdio>
#include <cstring>
#include <memory>

struct ConfigFree {
    void operator()(qcos_config *c) const { qcos_config_free(c); }
};

int main() {
    if (qcos_version_number() != QCOS_VERSION_NUMBER) return 1;
    if (std::strcmp(qcos_version(), QCOS_VERSION) != 0) return 2;
    qcos_config *raw = nullptr;
    if (qcos_config_new("ap-guangzhou", "examplebucket-1250000000", &raw) != QCOS_STATUS_OK) return 3;
    std::unique_ptr<qcos_config, ConfigFree> cfg(raw);
    if (qcos_config_set_protocol(cfg.get(), QCOS_PROTOCOL_HTTP) != QCOS_STATUS_OK) return 4;
    qcos_status st = qcos_config_set_bucket(cfg.get(), "Not_Valid");
    if (st != QCOS_STATUS_INVALID_ARGUMENT) return 5;
    if (std::strstr(qcos_last_error_message(), "bucket") == nullptr) return 6;
    const qcos_client *client = nullptr;
    if (qcos_client_new(cfg.release(), &client) != QCOS_STATUS_OK) return 7;
    qcos_client_free(client);
    std::printf("c++ ok\n");
    return 0;
}
