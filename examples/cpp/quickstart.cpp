// qcos C++ quickstart: upload an object, list the bucket, download and check it,
// delete it, with the header-only RAII wrapper bindings/cpp/qcos.hpp.
//
// Configuration comes from the environment (as qcos_config_from_env reads it):
//   COS_REGION, COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY     (required)
//   COS_SECURITY_TOKEN (temporary credentials), COS_ENDPOINT  (optional)
//
/* Build (after `cargo build`):
 *   c++ -std=c++17 -Wall -Wextra -Iinclude -Ibindings/cpp examples/cpp/quickstart.cpp \
 *       target/debug/libqcos.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o quickstart-cpp
 * or, with qcos installed (`make install`):
 *   c++ -std=c++17 examples/cpp/quickstart.cpp $(pkg-config --cflags --libs qcos) -o quickstart-cpp
 */
#include "qcos.hpp"

#include <iostream>
#include <string>
#include <utility>

int main() {
    try {
        if (qcos::version_number() != QCOS_VERSION_NUMBER) {
            std::cerr << "header " << QCOS_VERSION << " but library " << qcos::version() << "\n";
            return 1;
        }
        std::cout << "qcos " << qcos::version() << "\n";

        // 1. Configure from the environment; the client takes the config.
        qcos::Config cfg = qcos::Config::from_env();
        cfg.max_retries(2);
        qcos::Client client(std::move(cfg));

        // 2. Upload with a content type and one metadata entry.
        const std::string key = "quickstart/hello-cpp.txt";
        const std::string text = "Hello from the qcos C++ wrapper!\n";
        qcos::PutOptions opts;
        opts.content_type("text/plain").meta("example", "quickstart-cpp");
        qcos::PutResult put = client.put_object(key, text, &opts);
        std::cout << "uploaded " << key << " (" << text.size() << " bytes, ETag " << put.etag << ")\n";

        // 3. List the objects under "quickstart/", page by page.
        qcos::ObjectList list = client.list_objects("quickstart/");
        while (list.next())
            for (const qcos::ObjectSummary &o : list.objects())
                std::cout << "listed " << o.key << " (" << o.size << " bytes)\n";

        // 4. Download into a library-owned buffer and check the bytes and metadata.
        qcos::ObjectInfo info;
        qcos::Buffer body = client.get_object(key, nullptr, &info);
        if (body.view() != text || info.metadata["example"] != "quickstart-cpp") {
            std::cerr << "downloaded object differs from the uploaded one\n";
            return 1;
        }
        std::cout << "downloaded " << body.size() << " bytes: verified\n";

        // 5. Delete it; a second download now fails with COS's NoSuchKey.
        client.delete_object(key);
        std::cout << "deleted " << key << "\n";
        try {
            client.get_object(key);
            std::cerr << "the object is still there\n";
            return 1;
        } catch (const qcos::Error &e) {
            std::cout << "as expected: HTTP " << e.http_status() << " " << e.code() << "\n";
        }
        return 0;
    } catch (const qcos::Error &e) {
        std::cerr << "qcos error: " << e.what() << "\n";
        if (!e.request_id().empty()) std::cerr << "  RequestId " << e.request_id() << "\n";
        return 1;
    }
}
