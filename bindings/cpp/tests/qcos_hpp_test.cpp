// Tests of bindings/cpp/qcos.hpp against a qcos-server (run by tests/bindings_cpp.rs).
// Environment: COS_ENDPOINT, COS_REGION, COS_SECRET_ID, COS_SECRET_KEY,
// QCOS_TEST_TMP_ID/KEY/TOKEN (temporary keys the server accepts), QCOS_TEST_DIR (scratch).
// Prints "N passed, M failed" and exits non-zero on any failure.
#include "qcos.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <type_traits>

static int passed = 0, failed = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            passed++;                                                                \
        } else {                                                                     \
            failed++;                                                                \
            std::cerr << __FILE__ << ":" << __LINE__ << ": CHECK(" #cond ") failed\n"; \
        }                                                                            \
    } while (0)

// Runs `f`, expecting a qcos::Error; returns it (status Ok when nothing was thrown).
template <typename F>
static qcos::Error expect_error(F &&f) {
    try {
        f();
    } catch (const qcos::Error &e) {
        return e;
    }
    failed++;
    std::cerr << "expected a qcos::Error, nothing was thrown\n";
    return qcos::Error(qcos::Status::Ok, "nothing thrown");
}

static std::string env(const char *name) {
    const char *v = std::getenv(name);
    if (!v) {
        std::cerr << "missing environment variable " << name << "\n";
        std::exit(2);
    }
    return v;
}

static qcos::Config config(const std::string &bucket) {
    qcos::Config cfg(env("COS_REGION"), bucket);
    cfg.endpoint(env("COS_ENDPOINT")).credentials(env("COS_SECRET_ID"), env("COS_SECRET_KEY")).max_retries(0);
    return cfg;
}

static_assert(!std::is_copy_constructible_v<qcos::Client>, "Client is move-only");
static_assert(std::is_nothrow_move_constructible_v<qcos::Client>, "Client moves");
static_assert(!std::is_copy_constructible_v<qcos::Buffer>, "Buffer is move-only");
static_assert(!std::is_copy_constructible_v<qcos::ObjectList>, "ObjectList is move-only");
static_assert(!std::is_copy_assignable_v<qcos::Config>, "Config is move-only");
static_assert(!std::is_copy_constructible_v<qcos::PutOptions>, "PutOptions is move-only");

static void test_version() {
    CHECK(qcos::version() == QCOS_VERSION);
    CHECK(qcos::version_number() == QCOS_VERSION_NUMBER);
    CHECK(std::string(qcos::status_str(qcos::Status::BufferTooSmall)) == "buffer too small");
}

static void test_objects(const qcos::Client &c, const std::string &bucket, const std::string &region) {
    std::string body(10000, '\0');
    for (size_t i = 0; i < body.size(); i++) body[i] = static_cast<char>(i * 7);

    qcos::PutOptions po;
    po.content_type("application/x-cpp").meta("Author", "cpp").cache_control("no-cache").header("x-cos-acl", "private");
    qcos::PutResult r = c.put_object("a/b.bin", body, &po);
    CHECK(!r.etag.empty() && r.has_crc64);

    qcos::ObjectInfo info;
    qcos::Buffer got = c.get_object("a/b.bin", nullptr, &info);
    CHECK(got.view() == body);
    CHECK(info.http_status == 200 && info.content_length == body.size());
    CHECK(info.content_type == "application/x-cpp");
    CHECK(info.metadata["author"] == "cpp");
    CHECK(info.crc64 == r.crc64 && info.etag == r.etag);
    CHECK(c.head_object_meta("a/b.bin", "AUTHOR") == "cpp");

    // Moving a buffer keeps its bytes; the moved-from one is empty.
    qcos::Buffer moved = std::move(got);
    CHECK(moved.size() == body.size() && got.size() == 0);  // NOLINT(bugprone-use-after-move)

    qcos::GetOptions range;
    range.range(10, 19);
    qcos::ObjectInfo ri;
    CHECK(c.get_object("a/b.bin", &range, &ri).view() == body.substr(10, 10));
    CHECK(ri.http_status == 206 && ri.content_range == "bytes 10-19/10000");
    qcos::GetOptions tail;
    tail.range_from(9990).response_content_type("text/x-tail");
    qcos::ObjectInfo ti;
    CHECK(c.get_object("a/b.bin", &tail, &ti).view() == body.substr(9990));
    CHECK(ti.content_type == "text/x-tail");

    // Caller buffer: fits, then too small with the needed size.
    std::string dst(body.size(), 'x');
    CHECK(c.get_object_to_buffer("a/b.bin", &dst[0], dst.size()) == body.size() && dst == body);
    char small[8];
    qcos::Error e = expect_error([&] { c.get_object_to_buffer("a/b.bin", small, sizeof small); });
    CHECK(e.status() == qcos::Status::BufferTooSmall && e.needed() == body.size());

    // Conditional GET.
    qcos::GetOptions cond;
    cond.if_match("\"0000\"");
    e = expect_error([&] { c.get_object("a/b.bin", &cond); });
    CHECK(e.status() == qcos::Status::Service && e.http_status() == 412);

    // Streaming upload and download through std::function callbacks.
    size_t pos = 0;
    c.put_object_from_reader("stream", body.size(), [&](uint8_t *buf, size_t cap) {
        size_t n = std::min(cap, body.size() - pos);
        std::memcpy(buf, body.data() + pos, n);
        pos += n;
        return n;
    });
    std::string streamed;
    c.get_object_to_writer("stream", [&](const uint8_t *d, size_t n) {
        streamed.append(reinterpret_cast<const char *>(d), n);
        return true;
    });
    CHECK(streamed == body);

    // A callback that throws: the exception comes back here, unchanged.
    try {
        c.put_object_from_reader("never", 100, [](uint8_t *, size_t) -> size_t { throw std::out_of_range("reader boom"); });
        CHECK(false);
    } catch (const std::out_of_range &x) {
        CHECK(std::string(x.what()) == "reader boom");
    }
    try {
        c.get_object_to_writer("stream", [](const uint8_t *, size_t) -> bool { throw std::logic_error("writer boom"); });
        CHECK(false);
    } catch (const std::logic_error &x) {
        CHECK(std::string(x.what()) == "writer boom");
    }
    e = expect_error([&] { c.get_object_to_writer("stream", [](const uint8_t *, size_t) { return false; }); });
    CHECK(e.status() == qcos::Status::Cancelled);

    // Files.
    std::string dir = env("QCOS_TEST_DIR");
    {
        std::ofstream f(dir + "/up.bin", std::ios::binary);
        f << body;
    }
    c.put_object_from_file("file", dir + "/up.bin");
    qcos::ObjectInfo fi = c.get_object_to_file("file", dir + "/down.bin");
    std::ifstream in(dir + "/down.bin", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == body && fi.content_length == body.size());
    e = expect_error([&] { c.put_object_from_file("x", dir + "/missing"); });
    CHECK(e.status() == qcos::Status::Io);

    // Copy, keeping then replacing metadata.
    CHECK(!c.copy_object("copy", bucket, region, "a/b.bin").etag.empty());
    CHECK(c.head_object("copy").metadata["author"] == "cpp");
    qcos::PutOptions repl;
    repl.meta("author", "replaced").content_type("text/plain");
    c.copy_object("copy2", bucket, region, "a/b.bin", "", &repl);
    qcos::ObjectInfo ci = c.head_object("copy2");
    CHECK(ci.metadata["author"] == "replaced" && ci.content_type == "text/plain");

    // Delete one, then many.
    c.delete_object("copy2");
    e = expect_error([&] { c.head_object("copy2"); });
    CHECK(e.http_status() == 404);
    qcos::DeleteResult dr = c.delete_objects({"copy", "stream", "file"});
    CHECK(dr.deleted.size() == 3 && dr.errors.empty());
    e = expect_error([&] { c.delete_objects({}); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
}

static void test_listing(const qcos::Client &c) {
    for (int i = 0; i < 5; i++) c.put_object("l/" + std::to_string(i), "x");
    c.put_object("l/sub/deep", "x");
    qcos::ObjectList list = c.list_objects("l/", "", "", 2);
    std::vector<std::string> keys;
    int pages = 0;
    while (list.next()) {
        pages++;
        for (auto &o : list.objects()) keys.push_back(o.key);
    }
    CHECK(pages == 3 && keys.size() == 6 && keys.front() == "l/0" && keys.back() == "l/sub/deep");
    CHECK(!list.is_truncated());
    CHECK(!list.next());  // a finished listing stays finished

    qcos::ObjectList grouped = c.list_objects("l/", "/");
    CHECK(grouped.next());
    CHECK(grouped.objects().size() == 5);
    CHECK(grouped.common_prefixes() == std::vector<std::string>{"l/sub/"});

    qcos::ObjectList page = c.list_objects("l/", "", "", 2);
    CHECK(page.next() && page.is_truncated() && page.next_marker() == "l/1");
    qcos::ObjectList after = c.list_objects("l/", "", page.next_marker(), 1);
    CHECK(after.next() && after.objects().at(0).key == "l/2");
}

static void test_errors(const qcos::Client &c) {
    qcos::Error e = expect_error([&] { c.get_object("no/such/key"); });
    CHECK(e.status() == qcos::Status::Service);
    CHECK(e.http_status() == 404 && e.code() == "NoSuchKey" && !e.request_id().empty());
    CHECK(std::string(e.what()).find("NoSuchKey") != std::string::npos);
    CHECK(qcos::last_error_status() == qcos::Status::Service);

    e = expect_error([&] { c.put_object(std::string("a\0b", 3), "x"); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    e = expect_error([&] { c.put_object("", "x"); });
    CHECK(e.status() == qcos::Status::InvalidArgument && !e.message().empty());
    e = expect_error([&] { qcos::PutOptions o; o.content_type("a\r\nb: c"); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    e = expect_error([&] { qcos::Config("ap-guangzhou", "no-appid"); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    e = expect_error([&] { qcos::Config("ap-guangzhou", "").chunk_size(1); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    e = expect_error([&] { qcos::GetOptions().range(5, 1); });
    CHECK(e.status() == qcos::Status::InvalidArgument);

    // A moved-from client and config refuse politely.
    qcos::Client a(config(""));
    qcos::Client b(std::move(a));
    e = expect_error([&] { a.list_buckets(); });  // NOLINT(bugprone-use-after-move)
    CHECK(e.status() == qcos::Status::InvalidState);
    qcos::Config cfg = config("");
    qcos::Client used(std::move(cfg));
    e = expect_error([&] { cfg.max_retries(1); });  // NOLINT(bugprone-use-after-move)
    CHECK(e.status() == qcos::Status::InvalidState);

    // Wrong key: COS refuses; the key never shows in the message.
    qcos::Config bad(env("COS_REGION"), "");
    bad.endpoint(env("COS_ENDPOINT")).credentials(env("COS_SECRET_ID"), "wrong-secret-key").max_retries(0);
    qcos::Client wrong(std::move(bad));
    e = expect_error([&] { wrong.list_buckets(); });
    CHECK(e.http_status() == 403);
    CHECK(std::string(e.what()).find("wrong-secret-key") == std::string::npos);
}

static void test_provider(const std::string &bucket) {
    std::atomic<int> calls{0};
    std::string tmp_id = env("QCOS_TEST_TMP_ID"), tmp_key = env("QCOS_TEST_TMP_KEY"),
                tmp_token = env("QCOS_TEST_TMP_TOKEN");
    {
        qcos::Config cfg(env("COS_REGION"), bucket);
        cfg.endpoint(env("COS_ENDPOINT")).credentials_provider([&] {
            calls++;
            return qcos::Credentials{tmp_id, tmp_key, tmp_token, 0, 0};
        });
        qcos::Client c(std::move(cfg));
        c.put_object("prov", "p");
        CHECK(c.get_object("prov").view() == "p");
        // A listing keeps the provider alive after the client is gone.
        qcos::ObjectList l = c.list_objects("prov");
        qcos::Client gone(std::move(c));
        { qcos::Client drop(std::move(gone)); }
        CHECK(l.next() && l.objects().size() == 1);
    }
    CHECK(calls >= 1);

    qcos::Config cfg(env("COS_REGION"), bucket);
    cfg.endpoint(env("COS_ENDPOINT")).max_retries(0).credentials_provider(
        []() -> qcos::Credentials { throw std::runtime_error("vault unreachable"); });
    qcos::Client c(std::move(cfg));
    qcos::Error e = expect_error([&] { c.get_object("prov"); });
    CHECK(e.status() == qcos::Status::Auth);
    CHECK(std::string(e.what()).find("vault unreachable") != std::string::npos);
    CHECK(e.cause() != nullptr);
    // The process and the client survive; the next call asks again.
    e = expect_error([&] { c.head_bucket(); });
    CHECK(e.status() == qcos::Status::Auth);

    e = expect_error([&] { qcos::Config("ap-guangzhou", "").credentials_provider(nullptr); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
}

static void test_signing(const qcos::Client &c, const std::string &bucket) {
    std::string url = c.presign_url("GET", "dir/a b.txt");
    CHECK(url.rfind(env("COS_ENDPOINT") + "/" + bucket + "/dir/a%20b.txt?", 0) == 0);
    CHECK(url.find("q-signature=") != std::string::npos);
    CHECK(url.find(env("COS_SECRET_KEY")) == std::string::npos);

    qcos::SignOptions so;
    so.param("response-content-type", "text/plain").expires(60).start_time(1700000000).form(QCOS_SIGN_FORM_SIGN_PARAM);
    std::string pinned = c.presign_url("GET", "k", &so);
    CHECK(pinned == c.presign_url("GET", "k", &so));  // a pinned start makes it reproducible
    CHECK(pinned.find("sign=") != std::string::npos && pinned.find("response-content-type=text%2Fplain") != std::string::npos);
    qcos::SignOptions plain;
    plain.sign(false);
    CHECK(c.presign_url("GET", "k", &plain) == env("COS_ENDPOINT") + "/" + bucket + "/k");

    qcos::SignOptions hdr;
    hdr.header("Content-Type", "image/png");
    qcos::Signature sig = c.sign("PUT", "up.png", &hdr);
    CHECK(sig.authorization.rfind("q-sign-algorithm=sha1&", 0) == 0);
    CHECK(sig.query.empty() && sig.end_time > sig.start_time && !sig.headers.empty());
    CHECK(sig.authorization.find("content-type") != std::string::npos);

    qcos::SignOptions header_form;
    header_form.form(QCOS_SIGN_FORM_HEADER);
    qcos::Error e = expect_error([&] { c.presign_url("GET", "k", &header_form); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    e = expect_error([&] { qcos::SignOptions().expires(0); });
    CHECK(e.status() == qcos::Status::InvalidArgument);

    qcos::PostPolicyOptions po;
    po.key_prefix("uploads/").content_length_range(1, 1 << 20).content_type_prefix("image/").success_action_status(201)
        .field("x-cos-meta-origin", "cpp").expires(600);
    qcos::PostForm form = c.post_policy(po);
    CHECK(form.url == env("COS_ENDPOINT") + "/" + bucket + "/" || form.url.rfind(env("COS_ENDPOINT"), 0) == 0);
    CHECK(!form.get("policy").empty() && !form.get("q-signature").empty() && form.get("q-ak") == env("COS_SECRET_ID"));
    CHECK(form.policy_json.find("content-length-range") != std::string::npos);
    qcos::PostPolicyOptions exact;
    exact.key("exact.png").content_type("image/png").start_time(1700000000);
    CHECK(c.post_policy(exact).get("key") == "exact.png");
    e = expect_error([&] { c.post_policy(qcos::PostPolicyOptions()); });  // no key
    CHECK(e.status() == qcos::Status::InvalidArgument);
}

static void test_transfers(const std::string &bucket, const std::string &region) {
    qcos::Config cfg = config(bucket);
    cfg.slice_size(1 << 20).chunk_size(1 << 20).chunk_parallel_limit(2).copy_slice_size(1 << 20).copy_chunk_size(1 << 20)
        .progress_interval_ms(0);
    qcos::Client c(std::move(cfg));
    std::string data(3 * (1 << 20) + 777, '\0');
    for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<char>((i * 131) >> 3);
    std::string dir = env("QCOS_TEST_DIR");
    {
        std::ofstream f(dir + "/big.bin", std::ios::binary);
        f << data;
    }
    uint64_t last = 0;
    qcos::PutOptions po;
    po.content_type("application/x-big");
    qcos::TransferResult r = c.upload_file("big", dir + "/big.bin", &po, nullptr, [&](const qcos_progress &p) {
        last = p.loaded;
        return true;
    });
    CHECK(r.parts == 4 && !r.upload_id.empty() && r.crc64_verified && r.size == data.size());
    CHECK(last == data.size());
    CHECK(c.head_object("big").content_type == "application/x-big");

    qcos::TransferOptions par;
    par.parallel(3).resume(true);
    qcos::TransferResult d = c.download_file("big", dir + "/big.down", &par);
    std::ifstream in(dir + "/big.down", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == data && d.crc64_verified);

    std::string buf(data.size(), 'x');
    CHECK(c.download_to_buffer("big", &buf[0], buf.size()) == data.size() && buf == data);
    char tiny[4];
    qcos::Error e = expect_error([&] { c.download_to_buffer("big", tiny, sizeof tiny); });
    CHECK(e.status() == qcos::Status::BufferTooSmall && e.needed() == data.size());

    // Cancel from the progress callback, then resume.
    qcos::TransferOptions keep;
    keep.on_cancel(QCOS_LEFTOVER_KEEP).parallel(1);
    e = expect_error([&] { c.upload_file("resumable", dir + "/big.bin", nullptr, &keep, [](const qcos_progress &p) { return p.loaded == 0; }); });
    CHECK(e.status() == qcos::Status::Cancelled);
    qcos::TransferResult resumed = c.upload_file("resumable", dir + "/big.bin");
    // How many parts were kept depends on timing; the result is whole either way.
    CHECK(resumed.parts == 4 && resumed.resumed_parts <= resumed.parts && c.get_object("resumable").view() == data);

    // A throwing progress callback: the exception comes back unchanged.
    qcos::TransferOptions abort_opts;
    abort_opts.on_cancel(QCOS_LEFTOVER_ABORT).on_error(QCOS_LEFTOVER_ABORT).part_size(1 << 20).slice_size(1 << 20);
    try {
        c.upload_file("x", dir + "/big.bin", nullptr, &abort_opts, [](const qcos_progress &) -> bool { throw std::domain_error("progress boom"); });
        CHECK(false);
    } catch (const std::domain_error &x) {
        CHECK(std::string(x.what()) == "progress boom");
    }

    // Readers: sized and stream.
    size_t pos = 0;
    auto reader = [&](uint8_t *b, size_t cap) {
        size_t n = std::min(cap, data.size() - pos);
        std::memcpy(b, data.data() + pos, n);
        pos += n;
        return n;
    };
    CHECK(c.upload_from_reader("sized", data.size(), reader).parts == 4);
    pos = 0;
    CHECK(c.upload_from_stream("stream", reader).parts >= 1);
    CHECK(c.get_object("sized").view() == data && c.get_object("stream").view() == data);

    // Multipart copy.
    qcos::TransferResult cp = c.slice_copy("copied", bucket, region, "big");
    CHECK(cp.parts == 4 && c.get_object("copied").view() == data);

    // The queue.
    qcos::Queue q(c);
    uint64_t up = q.upload("queued", dir + "/big.bin");
    uint64_t down = q.download("big", dir + "/queued.down");
    CHECK(q.wait(up, 120000) == QCOS_TASK_STATE_SUCCEEDED);
    CHECK(q.wait(down) == QCOS_TASK_STATE_SUCCEEDED);
    qcos::TaskInfo ti = q.task_info(up);
    CHECK(ti.is_upload && ti.key == "queued" && ti.size == data.size() && ti.crc64_verified && ti.error_status == qcos::Status::Ok);
    int succeeded = 0;
    while (auto ev = q.next_event(200))
        if (ev->kind == QCOS_EVENT_KIND_STATE && ev->state == QCOS_TASK_STATE_SUCCEEDED) succeeded++;
    CHECK(succeeded == 2);
    uint64_t missing = q.download("no-such-key", dir + "/none");
    CHECK(q.wait(missing) == QCOS_TASK_STATE_FAILED);
    qcos::TaskInfo mi = q.task_info(missing);
    CHECK(mi.error_status == qcos::Status::Service && mi.error_http_status == 404 && !mi.error_message.empty());
    // A queued copy (multipart: the client's copy parts are 1 MiB), and one whose source is missing.
    uint64_t qc = q.copy("qcopied", bucket, region, "big");
    CHECK(q.wait(qc, 120000) == QCOS_TASK_STATE_SUCCEEDED);
    qcos::TaskInfo ci = q.task_info(qc);
    CHECK(ci.is_copy && !ci.is_upload && ci.key == "qcopied" && ci.path.empty());
    CHECK(ci.source_bucket == bucket && ci.source_region == region && ci.source_key == "big" && ci.source_version_id.empty());
    CHECK(ci.size == data.size() && ci.crc64_verified && ci.crc64 == cp.crc64);
    CHECK(c.get_object("qcopied").view() == data);
    uint64_t qm = q.copy("qcopied2", bucket, region, "no-such-source");
    CHECK(q.wait(qm) == QCOS_TASK_STATE_FAILED);
    CHECK(q.task_info(qm).error_http_status == 404);
    e = expect_error([&] { q.copy("qcopied3", "Bad_Bucket", region, "big"); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    e = expect_error([&] { q.pause(up); });
    CHECK(e.status() == qcos::Status::InvalidState);
    e = expect_error([&] { q.cancel(999999); });
    CHECK(e.status() == qcos::Status::NotFound);
    CHECK(std::string(qcos::Queue::state_str(QCOS_TASK_STATE_PAUSED)).size() > 0);

    // Queued readers: sized and stream; pause refused; a throwing reader cancels its task.
    {
        auto shared = std::make_shared<size_t>(0);  // captured: kept alive by the queue
        uint64_t qr = q.upload_from_reader("qreader", data.size(), [&data, shared](uint8_t *b, size_t cap) {
            size_t n = std::min(cap, data.size() - *shared);
            std::memcpy(b, data.data() + *shared, n);
            *shared += n;
            return n;
        });
        size_t spos = 0;
        std::thread::id reader_thread;
        uint64_t qs = q.upload_from_reader("qstream", std::nullopt, [&](uint8_t *b, size_t cap) {
            reader_thread = std::this_thread::get_id();
            size_t n = std::min(std::min(cap, size_t(5000)), data.size() - spos);
            std::memcpy(b, data.data() + spos, n);
            spos += n;
            return n;
        });
        CHECK(q.wait(qr, 120000) == QCOS_TASK_STATE_SUCCEEDED);
        CHECK(shared.use_count() == 1);  // the queue released the reader once the task ended
        CHECK(q.wait(qs, 120000) == QCOS_TASK_STATE_SUCCEEDED);
        CHECK(reader_thread != std::this_thread::get_id());
        qcos::TaskInfo ri = q.task_info(qs);
        CHECK(ri.is_stream && ri.is_upload && ri.path.empty() && ri.size == data.size() && ri.crc64_verified);
        CHECK(!q.task_info(up).is_stream);
        CHECK(c.get_object("qreader").view() == data && c.get_object("qstream").view() == data);
        size_t errors_before = q.callback_errors().size();
        size_t tpos = 0;
        uint64_t qt = q.upload_from_reader("qthrow", std::nullopt, [&](uint8_t *b, size_t cap) -> size_t {
            if (tpos >= (2u << 20)) throw std::runtime_error("reader boom");
            size_t n = std::min(cap, size_t(65536));
            std::memset(b, 'r', n);
            tpos += n;
            return n;
        });
        CHECK(q.wait(qt, 120000) == QCOS_TASK_STATE_CANCELLED);
        CHECK(q.callback_errors().size() == errors_before + 1);
        e = expect_error([&] { q.pause(qt); });
        CHECK(e.status() == qcos::Status::InvalidState);
        CHECK(c.list_multipart_uploads("qthrow").empty());
        e = expect_error([&] { q.upload_from_reader("qnull", 4, nullptr); });
        CHECK(e.status() == qcos::Status::InvalidArgument);
    }

    std::atomic<int> events{0};
    q.set_event_callback([&](const qcos_queue_event &) {
        events++;
        throw std::runtime_error("callback boom");  // caught by the trampoline
    });
    uint64_t cb = q.upload("cb", dir + "/big.bin");
    CHECK(q.wait(cb) == QCOS_TASK_STATE_SUCCEEDED);
    e = expect_error([&] { q.next_event(); });
    CHECK(e.status() == qcos::Status::InvalidState);
    q.set_event_callback(nullptr);
    CHECK(events > 0 && !q.callback_errors().empty());
}

static void test_threads(const qcos::Client &c) {
    std::atomic<int> ok{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++)
        ts.emplace_back([&, t] {
            for (int i = 0; i < 10; i++) {
                std::string key = "t" + std::to_string(t) + "/" + std::to_string(i);
                std::string data(100 + i, static_cast<char>('a' + t));
                try {
                    c.put_object(key, data);
                    if (c.get_object(key).view() == data) ok++;
                } catch (const qcos::Error &e) {
                    std::cerr << "thread: " << e.what() << "\n";
                }
            }
        });
    for (auto &t : ts) t.join();
    CHECK(ok == 40);
}

static void test_buckets(const std::string &name) {
    qcos::Client c(config(name));
    qcos::Error e = expect_error([&] { c.head_bucket(); });
    CHECK(e.http_status() == 404);
    c.create_bucket();
    c.head_bucket();
    bool found = false;
    for (auto &b : c.list_buckets()) found |= b.name == name && b.region == env("COS_REGION") && !b.creation_date.empty();
    CHECK(found);
    c.put_object("k", "v");
    e = expect_error([&] { c.delete_bucket(); });
    CHECK(e.code() == "BucketNotEmpty");
    c.delete_object("k");
    c.delete_bucket();
    e = expect_error([&] { c.head_bucket(); });
    CHECK(e.http_status() == 404);
}

static void test_domains(const std::string &bucket) {
    // A service domain is the Host of list_buckets; the connection stays the endpoint.
    qcos::Config cfg = config(bucket);
    cfg.service_domain("cos.{Region}.tencentcos.cn").auto_switch_host(false).auto_switch_host(true);
    qcos::Client c(std::move(cfg));
    bool found = false;
    for (auto &b : c.list_buckets()) found |= b.name == bucket;
    CHECK(found);
    qcos::Error e = expect_error([&] { config(bucket).service_domain("https://service.cos.myqcloud.com"); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    CHECK(e.message().find("service_domain") != std::string::npos);
    e = expect_error([&] { config("").service_domain("{AppId}.cos.example.com"); });
    CHECK(e.status() == qcos::Status::InvalidArgument && e.message().find("AppId") != std::string::npos);
}

static void test_tagging_acl(const qcos::Client &c) {
    c.put_object("tags/obj", "hello");
    CHECK(c.get_object_tagging("tags/obj").empty());
    std::vector<std::pair<std::string, std::string>> tags = {{"project", "qcos"}, {"a&b", "<v>"}, {"empty", ""}};
    c.put_object_tagging("tags/obj", tags);
    CHECK(c.get_object_tagging("tags/obj") == tags);
    CHECK(c.get_object_tagging("tags/obj", "null") == tags);
    c.delete_object_tagging("tags/obj");
    CHECK(c.get_object_tagging("tags/obj").empty());
    qcos::Error e = expect_error([&] { c.put_object_tagging("tags/obj", {{"a", "1"}, {"a", "2"}}); });
    CHECK(e.status() == qcos::Status::InvalidArgument && e.message().find("twice") != std::string::npos);
    e = expect_error([&] { c.get_object_tagging("tags/missing"); });
    CHECK(e.http_status() == 404 && e.code() == "NoSuchKey");

    qcos::AccessControlPolicy p = c.get_object_acl("tags/obj");
    CHECK(p.canned == std::optional<std::string>("default") && p.grants.size() == 1);
    qcos::ObjectAcl acl;
    acl.canned = "public-read";
    acl.grant_read = {"100000000002"};
    c.put_object_acl("tags/obj", acl);
    p = c.get_object_acl("tags/obj");
    CHECK(p.owner_id == "qcs::cam::uin/100000000001:uin/100000000001");
    CHECK(p.canned == std::optional<std::string>("public-read"));
    CHECK(p.grants.size() == 3);
    if (p.grants.size() == 3) {
        CHECK(p.grants[1].grantee_type == "Group" && !p.grants[1].id && p.grants[1].permission == "READ");
        CHECK(p.grants[2].id == std::optional<std::string>("qcs::cam::uin/100000000002:uin/100000000002"));
    }
    acl.canned = "public-read-write";
    e = expect_error([&] { c.put_object_acl("tags/obj", acl); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    e = expect_error([&] { c.get_object_acl("tags/missing"); });
    CHECK(e.code() == "NoSuchKey");
}

static void test_bucket_config(const std::string &bucket) {
    qcos::Client c(config(bucket));
    c.create_bucket();
    // CORS: none set reads as empty; what is put is read back (methods upper-cased).
    CHECK(c.get_bucket_cors().empty());
    qcos::CorsRule rule;
    rule.id = "web";
    rule.allowed_origins = {"https://app.example.com"};
    rule.allowed_methods = {"put", "GET"};
    rule.allowed_headers = {"*"};
    rule.expose_headers = {"ETag"};
    rule.max_age_seconds = 600;
    qcos::CorsRule any;
    any.allowed_origins = {"*"};
    any.allowed_methods = {"HEAD"};
    c.put_bucket_cors({rule, any});
    std::vector<qcos::CorsRule> got = c.get_bucket_cors();
    rule.allowed_methods = {"PUT", "GET"};
    CHECK(got.size() == 2 && got[0] == rule && got[1] == any);
    qcos::CorsRule bad = any;
    bad.allowed_methods = {"PATCH"};
    qcos::Error e = expect_error([&] { c.put_bucket_cors({any, bad}); });
    CHECK(e.status() == qcos::Status::InvalidArgument && e.message().find("PATCH") != std::string::npos);
    bad.allowed_methods = {"GET"};
    bad.allowed_origins.clear();
    e = expect_error([&] { c.put_bucket_cors({any, bad}); });
    CHECK(e.message().find("rule 2: no allowed origin") != std::string::npos);
    c.delete_bucket_cors();
    CHECK(c.get_bucket_cors().empty());

    // ACL.
    qcos::AccessControlPolicy p = c.get_bucket_acl();
    CHECK(p.canned == std::optional<std::string>("private") && p.grants.size() == 1);
    qcos::BucketAcl acl;
    acl.canned = "public-read";
    acl.grant_write = {"100000000002"};
    c.put_bucket_acl(acl);
    p = c.get_bucket_acl();
    CHECK(p.canned == std::optional<std::string>("public-read") && p.grants.size() == 3);
    if (p.grants.size() == 3) {
        CHECK(p.grants[1].grantee_type == "Group" && p.grants[1].permission == "READ");
        CHECK(p.grants[2].id == std::optional<std::string>("qcs::cam::uin/100000000002:uin/100000000002") &&
              p.grants[2].permission == "WRITE");
    }
    acl.canned = "default";
    e = expect_error([&] { c.put_bucket_acl(acl); });
    CHECK(e.status() == qcos::Status::InvalidArgument && e.message().find("canned bucket ACL") != std::string::npos);

    // Tagging: up to 50 tags.
    CHECK(c.get_bucket_tagging().empty());
    std::vector<std::pair<std::string, std::string>> tags;
    for (int i = 0; i < 50; i++) tags.emplace_back("k" + std::to_string(i), "v&<" + std::to_string(i));
    c.put_bucket_tagging(tags);
    CHECK(c.get_bucket_tagging() == tags);
    tags.emplace_back("k50", "v");
    e = expect_error([&] { c.put_bucket_tagging(tags); });
    CHECK(e.status() == qcos::Status::InvalidArgument && e.message().find("at most 50") != std::string::npos);
    c.delete_bucket_tagging();
    CHECK(c.get_bucket_tagging().empty());

    qcos::Client missing(config("cppabsent-1250000000"));
    e = expect_error([&] { missing.get_bucket_cors(); });
    CHECK(e.http_status() == 404 && e.code() == "NoSuchBucket");
}

static void test_write_acl(const qcos::Client &c, const std::string &bucket, const std::string &region) {
    qcos::ObjectAcl acl;
    acl.canned = "private";
    acl.grant_read = {"100000000002"};
    qcos::PutOptions o;
    o.acl(acl).tag("project", "qcos").tag("a b", "c&d");
    c.put_object("wacl/obj", "hello", &o);
    std::vector<std::pair<std::string, std::string>> want = {{"project", "qcos"}, {"a b", "c&d"}};
    CHECK(c.get_object_tagging("wacl/obj") == want);
    qcos::AccessControlPolicy p = c.get_object_acl("wacl/obj");
    CHECK(p.canned == std::optional<std::string>("private") && p.grants.size() == 2);
    qcos::Error e = expect_error([&] { o.tag("project", "again"); });
    CHECK(e.status() == qcos::Status::InvalidArgument && e.message().find("twice") != std::string::npos);
    e = expect_error([&] { o.header("x-cos-acl", "public-read"); });
    CHECK(e.status() == qcos::Status::InvalidArgument);

    // Copies: keep the metadata, set an ACL, replace the tags.
    qcos::PutOptions co;
    qcos::ObjectAcl pub;
    pub.canned = "public-read";
    co.replace_metadata(false).acl(pub).replace_tags(true).tags({{"origin", "copy"}});
    c.copy_object("wacl/copy", bucket, region, "wacl/obj", {}, &co);
    CHECK(c.get_object_tagging("wacl/copy") == (std::vector<std::pair<std::string, std::string>>{{"origin", "copy"}}));
    CHECK(c.get_object_acl("wacl/copy").canned == std::optional<std::string>("public-read"));
    co.replace_tags(false);
    e = expect_error([&] { c.copy_object("wacl/copy2", bucket, region, "wacl/obj", {}, &co); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    co.tags({});
    c.copy_object("wacl/copy2", bucket, region, "wacl/obj", {}, &co);
    CHECK(c.get_object_tagging("wacl/copy2") == want);

    // The ACL as a document, round trip.
    qcos::AccessControlPolicy doc;
    doc.owner_id = "qcs::cam::uin/100000000001:uin/100000000001";
    doc.grants.push_back({"CanonicalUser", doc.owner_id, std::nullopt, "FULL_CONTROL"});
    doc.grants.push_back({"Group", std::nullopt, "http://cam.qcloud.com/groups/global/AllUsers", "READ"});
    c.put_object_acl_policy("wacl/obj", doc);
    p = c.get_object_acl("wacl/obj");
    CHECK(p.grants.size() == 2);
    if (p.grants.size() == 2) {
        CHECK(p.grants[0].id == doc.grants[0].id && p.grants[0].permission == "FULL_CONTROL");
        CHECK(p.grants[1].grantee_type == "Group" && p.grants[1].uri == doc.grants[1].uri);
    }
    c.put_object_acl_policy("wacl/obj", p);
    doc.grants[1].permission = "EVERYTHING";
    e = expect_error([&] { c.put_object_acl_policy("wacl/obj", doc); });
    CHECK(e.status() == qcos::Status::InvalidArgument && e.message().find("grant 1") != std::string::npos);
}

static void test_append(const qcos::Client &c, const std::string &dir) {
    qcos::PutOptions o;
    o.content_type("text/plain");
    qcos::AppendResult r = c.append_object("cpp-log", 0, std::string_view("one\n"), &o);
    CHECK(r.next_position == 4 && r.has_crc64 && !r.etag.empty() && !r.request_id.empty());
    r = c.append_object_checked("cpp-log", r.next_position, r.crc64, "two\n");
    CHECK(r.next_position == 8);
    const std::string path = dir + "/cpp-append.txt";
    {
        std::ofstream f(path, std::ios::binary);
        f << "three\n";
    }
    r = c.append_object_from_file("cpp-log", r.next_position, path);
    CHECK(r.next_position == 14);
    qcos::ObjectInfo info;
    qcos::Buffer b = c.get_object("cpp-log", nullptr, &info);
    CHECK(std::string(reinterpret_cast<const char *>(b.data()), b.size()) == "one\ntwo\nthree\n");
    CHECK(info.crc64 == r.crc64);

    qcos::Error e = expect_error([&] { c.append_object("cpp-log", 3, std::string_view("x")); });
    CHECK(e.status() == qcos::Status::Service && e.http_status() == 409);
    CHECK(e.code() == "PositionNotEqualToLength");
    CHECK(e.message().find("position 14") != std::string::npos);
    e = expect_error([&] { c.append_object_checked("cpp-log", 14, r.crc64 ^ 1, "!"); });
    CHECK(e.status() == qcos::Status::Integrity);
    c.put_object("cpp-plain", "abc");
    e = expect_error([&] { c.append_object("cpp-plain", 3, std::string_view("d")); });
    CHECK(e.http_status() == 409 && e.code() == "ObjectNotAppendable");
    e = expect_error([&] { c.append_object("", 0, std::string_view("x")); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
    e = expect_error([&] { c.append_object_from_file("k", 0, dir + "/missing.txt"); });
    CHECK(e.status() == qcos::Status::Io);
}

static void test_multipart(const qcos::Client &c, const std::string &dir) {
    std::string first(1 << 20, 'm');
    std::string tail = "the tail";
    const std::string path = dir + "/cpp-part.bin";
    {
        std::ofstream f(path, std::ios::binary);
        f << "--" << tail;
    }
    qcos::PutOptions o;
    o.content_type("text/x-parts");
    std::string uid = c.initiate_multipart_upload("cpp-mp", &o);
    CHECK(!uid.empty());
    std::vector<qcos::UploadSummary> ups = c.list_multipart_uploads("cpp-mp");
    CHECK(ups.size() == 1 && ups[0].key == "cpp-mp" && ups[0].upload_id == uid);
    qcos::PutResult p1 = c.upload_part("cpp-mp", uid, 1, first.data(), first.size());
    qcos::PutResult p2 = c.upload_part_from_file("cpp-mp", uid, 2, path, 2, tail.size());
    CHECK(p1.has_crc64 && !p1.etag.empty() && !p2.etag.empty());
    std::vector<qcos::PartSummary> parts = c.list_parts("cpp-mp", uid);
    CHECK(parts.size() == 2 && parts[0].number == 1 && parts[0].etag == p1.etag && parts[1].size == tail.size());
    qcos::PutResult done = c.complete_multipart_upload("cpp-mp", uid, {{1, p1.etag}, {2, p2.etag}});
    CHECK(done.has_crc64 && c.head_object("cpp-mp").crc64 == done.crc64);
    CHECK(c.get_object("cpp-mp").size() == first.size() + tail.size());
    CHECK(c.list_multipart_uploads("cpp-mp").empty());

    uid = c.initiate_multipart_upload("cpp-abort");
    c.abort_multipart_upload("cpp-abort", uid);
    qcos::Error e = expect_error([&] { c.list_parts("cpp-abort", uid); });
    CHECK(e.code() == "NoSuchUpload");
    e = expect_error([&] { c.upload_part("cpp-abort", uid, 0, "x", 1); });
    CHECK(e.status() == qcos::Status::InvalidArgument && e.message().find("part_number") != std::string::npos);
    e = expect_error([&] { c.complete_multipart_upload("cpp-abort", uid, {}); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
}

static std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

static void test_dir(const qcos::Client &c, const std::string &dir) {
    namespace fs = std::filesystem;
    const std::string up = dir + "/cpp-up";
    fs::create_directories(up + "/sub/deep");
    std::ofstream(up + "/a.txt", std::ios::binary) << "hello";
    std::ofstream(up + "/empty", std::ios::binary);
    std::ofstream(up + "/sub/deep/b.txt", std::ios::binary) << std::string(70000, 'b');
    fs::create_symlink(up + "/a.txt", up + "/link");
    qcos::Queue q(c);
    std::vector<qcos::DirTask> ts = q.upload_directory(up, "cppdir/");
    CHECK(ts.size() == 3);
    CHECK(ts.size() == 3 && ts[0].key == "cppdir/a.txt" && ts[0].path == up + "/a.txt" &&
          ts[2].key == "cppdir/sub/deep/b.txt" && ts[1].task != 0);
    for (const auto &t : ts) CHECK(q.wait(t.task) == QCOS_TASK_STATE_SUCCEEDED);
    const std::string down = dir + "/cpp-down";
    std::vector<qcos::DirTask> ds = q.download_prefix("cppdir/", down);
    CHECK(ds.size() == 3);
    for (const auto &t : ds) CHECK(q.wait(t.task) == QCOS_TASK_STATE_SUCCEEDED);
    CHECK(slurp(down + "/a.txt") == "hello" && slurp(down + "/empty").empty());
    CHECK(slurp(down + "/sub/deep/b.txt") == std::string(70000, 'b'));
    CHECK(!fs::exists(down + "/link"));

    c.put_object("cpphostile/ok", "ok");
    c.put_object("cpphostile/a//b", "evil");
    qcos::Error e = expect_error([&] { q.download_prefix("cpphostile/", dir + "/cpp-hostile"); });
    CHECK(e.status() == qcos::Status::InvalidArgument &&
          e.message().find("\"cpphostile/a//b\"") != std::string::npos);
    CHECK(!fs::exists(dir + "/cpp-hostile"));
    e = expect_error([&] { q.upload_directory(up + "/a.txt", "x/"); });
    CHECK(e.status() == qcos::Status::InvalidArgument);
}

int main() {
    const std::string region = env("COS_REGION");
    const std::string bucket = "cpptest-1250000000";
    try {
        test_version();
        qcos::Client c(config(bucket));
        c.create_bucket();
        test_objects(c, bucket, region);
        test_listing(c);
        test_errors(c);
        test_tagging_acl(c);
        test_write_acl(c, bucket, region);
        test_provider(bucket);
        test_signing(c, bucket);
        test_transfers(bucket, region);
        test_threads(c);
        test_append(c, env("QCOS_TEST_DIR"));
        test_multipart(c, env("QCOS_TEST_DIR"));
        test_dir(c, env("QCOS_TEST_DIR"));
        test_buckets("cppbuckets-1250000000");
        test_domains(bucket);
        test_bucket_config("cppbucketcfg-1250000000");
    } catch (const std::exception &e) {
        failed++;
        std::cerr << "unexpected exception: " << e.what() << "\n";
    }
    std::cout << passed << " passed, " << failed << " failed\n";
    return failed == 0 && passed > 0 ? 0 : 1;
}
