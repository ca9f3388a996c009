/*
 * qcos.hpp: a header-only C++17 wrapper of the qcos C API (include/qcos.h).
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * - Every handle is a move-only RAII object (Config, Client, PutOptions,
 *   GetOptions, Buffer, ObjectList) that releases its C handle in its destructor.
 * - Every failed call throws qcos::Error, carrying the fields of the calling
 *   thread's last error: status, message, HTTP status, COS Code, RequestId,
 *   TraceId, Resource (and, for Status::BufferTooSmall, the size needed).
 * - Callbacks are std::function objects. The trampolines that the C library calls
 *   catch every exception (nothing unwinds through C frames); the exception is
 *   rethrown from the wrapper call once the C function has returned (read/write
 *   callbacks), or reported as an Error of status Auth that names it (credential
 *   providers, which may run on a library worker thread).
 * - Results are plain values (std::string, std::vector, std::map) copied out of
 *   the C result handles, which are freed before the call returns.
 *
 * Thread safety: as the C API. A Client may be used from many threads at once;
 * Config, options, Buffer and ObjectList one thread at a time.
 *
 * Build: C++17, include this file (it includes "qcos.h"), link libqcos.
 */
#ifndef QCOS_HPP
#define QCOS_HPP

#include "qcos.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qcos {

/** The C library's status codes (numbers are part of the ABI). */
enum class Status : int {
    Ok = QCOS_STATUS_OK,
    InvalidArgument = QCOS_STATUS_INVALID_ARGUMENT,
    Service = QCOS_STATUS_SERVICE,
    Network = QCOS_STATUS_NETWORK,
    Timeout = QCOS_STATUS_TIMEOUT,
    Cancelled = QCOS_STATUS_CANCELLED,
    Integrity = QCOS_STATUS_INTEGRITY,
    Auth = QCOS_STATUS_AUTH,
    Io = QCOS_STATUS_IO,
    BufferTooSmall = QCOS_STATUS_BUFFER_TOO_SMALL,
    NotFound = QCOS_STATUS_NOT_FOUND,
    InvalidState = QCOS_STATUS_INVALID_STATE,
    Protocol = QCOS_STATUS_PROTOCOL,
    Internal = QCOS_STATUS_INTERNAL,
};

/** Static English text for a status, e.g. "buffer too small". */
inline const char *status_str(Status s) noexcept { return qcos_status_str(static_cast<uint32_t>(s)); }

/** The status of this thread's last failed call (Ok after a success). */
inline Status last_error_status() noexcept { return static_cast<Status>(qcos_last_error_status()); }

/** The library's version ("0.1.0"); compare with QCOS_VERSION. */
inline std::string version() { return qcos_version(); }
/** major * 1000000 + minor * 1000 + patch; equals QCOS_VERSION_NUMBER when matched. */
inline uint32_t version_number() noexcept { return qcos_version_number(); }

/** A failed qcos call, with everything the library's last error held. */
class Error : public std::runtime_error {
public:
    Error(Status status, const std::string &message, uint16_t http_status = 0, std::string code = {},
          std::string request_id = {}, std::string trace_id = {}, std::string resource = {})
        : std::runtime_error(format(status, message, http_status, code, request_id)),
          status_(status), message_(message), http_status_(http_status), code_(std::move(code)),
          request_id_(std::move(request_id)), trace_id_(std::move(trace_id)),
          resource_(std::move(resource)) {}

    /** Build the error for `st` from this thread's last error (call right after the failing call). */
    static Error last(qcos_status st) {
        const char *msg = qcos_last_error_message();
        std::string message = (msg && *msg) ? msg : qcos_status_str(static_cast<uint32_t>(st));
        return Error(static_cast<Status>(st), message, qcos_last_error_http_status(),
                     qcos_last_error_code(), qcos_last_error_request_id(), qcos_last_error_trace_id(),
                     qcos_last_error_resource());
    }

    Status status() const noexcept { return status_; }
    /** The library's message (never contains secrets). */
    const std::string &message() const noexcept { return message_; }
    /** HTTP status of a COS service error, else 0. */
    uint16_t http_status() const noexcept { return http_status_; }
    /** COS error Code, e.g. "NoSuchKey", or "". */
    const std::string &code() const noexcept { return code_; }
    /** COS RequestId, or "". */
    const std::string &request_id() const noexcept { return request_id_; }
    const std::string &trace_id() const noexcept { return trace_id_; }
    const std::string &resource() const noexcept { return resource_; }
    /** For Status::BufferTooSmall: the number of bytes needed. */
    size_t needed() const noexcept { return needed_; }
    /** An exception a credentials provider threw, when that caused this error. */
    std::exception_ptr cause() const noexcept { return cause_; }

    Error &with_needed(size_t n) noexcept { needed_ = n; return *this; }
    Error &with_cause(std::exception_ptr e) noexcept { cause_ = std::move(e); return *this; }

private:
    static std::string format(Status s, const std::string &m, uint16_t http, const std::string &code,
                              const std::string &rid) {
        std::string out = std::string(status_str(s)) + ": " + m;
        if (http) {
            out += " (HTTP " + std::to_string(http);
            if (!code.empty()) out += ", Code " + code;
            if (!rid.empty()) out += ", RequestId " + rid;
            out += ")";
        }
        return out;
    }
    Status status_;
    std::string message_;
    uint16_t http_status_;
    std::string code_, request_id_, trace_id_, resource_;
    size_t needed_ = 0;
    std::exception_ptr cause_;
};

namespace detail {

inline void check(qcos_status st) {
    if (st != QCOS_STATUS_OK) throw Error::last(st);
}

inline std::string str(const char *p) { return p ? std::string(p) : std::string(); }

/** A NUL-terminated copy; refuses embedded NULs, which C would silently truncate. */
inline std::string cstr(std::string_view s, const char *what) {
    if (s.find('\0') != std::string_view::npos)
        throw Error(Status::InvalidArgument, std::string("argument `") + what + "` contains a NUL character");
    return std::string(s);
}

/** Remembers the first exception a callback threw, to rethrow after the C call. */
struct CallbackState {
    std::exception_ptr error;
    int fail() noexcept {
        if (!error) error = std::current_exception();
        return 1;
    }
    void rethrow_if_failed() {
        if (error) {
            std::exception_ptr e = error;
            error = nullptr;
            std::rethrow_exception(e);
        }
    }
};

}  // namespace detail

/** Credentials returned by a provider: a CAM key, or STS temporary credentials. */
struct Credentials {
    std::string secret_id;
    std::string secret_key;
    std::string token;          ///< "" for permanent credentials
    int64_t start_time = 0;     ///< Unix seconds, 0 when unknown
    int64_t expired_time = 0;   ///< Unix seconds, 0 when unknown
};

/** Called when the client needs credentials; may run on a library worker thread. */
using CredentialsProvider = std::function<Credentials()>;

namespace detail {

/** Owns the provider's std::function; shared by the Client and its listings so it
 *  outlives every C handle that may call it. */
struct ProviderState {
    CredentialsProvider fn;
    std::mutex mu;
    std::exception_ptr error;

    static int trampoline(void *user_data, qcos_credentials *out) noexcept {
        auto *self = static_cast<ProviderState *>(user_data);
        try {
            Credentials c = self->fn();
            qcos_status st = qcos_credentials_set(out, cstr(c.secret_id, "secret_id").c_str(),
                                                  cstr(c.secret_key, "secret_key").c_str(),
                                                  c.token.empty() ? nullptr : c.token.c_str(),
                                                  c.start_time, c.expired_time);
            if (st != QCOS_STATUS_OK) throw Error::last(st);
            return 0;
        } catch (...) {
            std::lock_guard<std::mutex> g(self->mu);
            self->error = std::current_exception();
            return 1;
        }
    }

    std::exception_ptr take_error() {
        std::lock_guard<std::mutex> g(mu);
        std::exception_ptr e = error;
        error = nullptr;
        return e;
    }
};

inline std::string what_of(const std::exception_ptr &e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception &x) {
        return x.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace detail

/** Bytes owned by the library (an object body). Move-only. */
class Buffer {
public:
    Buffer() noexcept = default;
    explicit Buffer(qcos_buffer *b) noexcept : b_(b) {}
    Buffer(Buffer &&o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
    Buffer &operator=(Buffer &&o) noexcept {
        if (this != &o) { qcos_buffer_free(b_); b_ = std::exchange(o.b_, nullptr); }
        return *this;
    }
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;
    ~Buffer() { qcos_buffer_free(b_); }

    const uint8_t *data() const noexcept { return qcos_buffer_data(b_); }
    size_t size() const noexcept { return qcos_buffer_len(b_); }
    bool empty() const noexcept { return size() == 0; }
    std::string_view view() const noexcept {
        return size() ? std::string_view(reinterpret_cast<const char *>(data()), size()) : std::string_view();
    }
    std::string str() const { return std::string(view()); }
    const qcos_buffer *get() const noexcept { return b_; }

private:
    qcos_buffer *b_ = nullptr;
};

/** What COS said about an object (HEAD, or a GET's headers). */
struct ObjectInfo {
    uint16_t http_status = 0;
    uint64_t content_length = 0;
    std::string content_type, etag, last_modified, storage_class, version_id, content_range, request_id;
    bool has_crc64 = false;
    uint64_t crc64 = 0;
    std::map<std::string, std::string> metadata;  ///< x-cos-meta-* (names lowercase, without the prefix)
    std::map<std::string, std::string> headers;   ///< every response header kept (names lowercase)

    /** Copy everything out of `h` (which stays owned by the caller). */
    static ObjectInfo from(const qcos_object_info *h) {
        ObjectInfo i;
        i.http_status = qcos_object_info_http_status(h);
        i.content_length = qcos_object_info_content_length(h);
        i.content_type = detail::str(qcos_object_info_content_type(h));
        i.etag = detail::str(qcos_object_info_etag(h));
        i.last_modified = detail::str(qcos_object_info_last_modified(h));
        i.storage_class = detail::str(qcos_object_info_storage_class(h));
        i.version_id = detail::str(qcos_object_info_version_id(h));
        i.content_range = detail::str(qcos_object_info_content_range(h));
        i.request_id = detail::str(qcos_object_info_request_id(h));
        i.has_crc64 = qcos_object_info_has_crc64(h);
        i.crc64 = qcos_object_info_crc64(h);
        for (size_t k = 0, n = qcos_object_info_meta_count(h); k < n; k++)
            i.metadata[detail::str(qcos_object_info_meta_name(h, k))] = detail::str(qcos_object_info_meta_value(h, k));
        for (size_t k = 0, n = qcos_object_info_header_count(h); k < n; k++)
            i.headers[detail::str(qcos_object_info_header_name(h, k))] = detail::str(qcos_object_info_header_value(h, k));
        return i;
    }
    /** Case-insensitive metadata lookup through the library; "" when absent. */
    static std::string meta_get(const qcos_object_info *h, const std::string &name) {
        return detail::str(qcos_object_info_meta_get(h, name.c_str()));
    }
};

/** COS's answer to an upload or copy. */
struct PutResult {
    std::string etag, version_id, last_modified, request_id;
    bool has_crc64 = false;
    uint64_t crc64 = 0;
};

/** The answer to Client::append_object: where the next append goes, and the whole
 *  object's ETag and CRC-64 (when COS sent it). */
struct AppendResult {
    uint64_t next_position = 0;
    std::string etag, request_id;
    bool has_crc64 = false;
    uint64_t crc64 = 0;
};

struct DeleteError {
    std::string key, code, message;
};

/** The outcome of Client::delete_objects. */
struct DeleteResult {
    std::vector<std::string> deleted;
    std::vector<DeleteError> errors;
};

struct ObjectSummary {
    std::string key;
    uint64_t size = 0;
    std::string etag, last_modified, storage_class;
};

struct BucketInfo {
    std::string name, region, creation_date;
};

/** One part of a multipart upload (Client::list_parts). */
struct PartSummary {
    uint32_t number = 0;
    std::string etag;
    uint64_t size = 0;
    std::string last_modified;
};

/** A multipart upload in progress (Client::list_multipart_uploads). */
struct UploadSummary {
    std::string key, upload_id, storage_class, initiated;
};

namespace detail {

struct InfoOut {
    qcos_object_info *h = nullptr;
    ~InfoOut() { qcos_object_info_free(h); }
    ObjectInfo take() const { return ObjectInfo::from(h); }
};

struct PutOut {
    qcos_put_result *h = nullptr;
    ~PutOut() { qcos_put_result_free(h); }
    PutResult take() const {
        PutResult r;
        r.etag = str(qcos_put_result_etag(h));
        r.version_id = str(qcos_put_result_version_id(h));
        r.last_modified = str(qcos_put_result_last_modified(h));
        r.request_id = str(qcos_put_result_request_id(h));
        r.has_crc64 = qcos_put_result_has_crc64(h);
        r.crc64 = qcos_put_result_crc64(h);
        return r;
    }
};

}  // namespace detail

struct ObjectAcl;

/** Upload options (Content-Type, metadata, storage class...). Move-only; setters
 *  return *this for chaining and throw Error on a refused value. */
class PutOptions {
public:
    PutOptions() { detail::check(qcos_put_options_new(&h_)); }
    PutOptions(PutOptions &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    PutOptions &operator=(PutOptions &&o) noexcept {
        if (this != &o) { qcos_put_options_free(h_); h_ = std::exchange(o.h_, nullptr); }
        return *this;
    }
    PutOptions(const PutOptions &) = delete;
    PutOptions &operator=(const PutOptions &) = delete;
    ~PutOptions() { qcos_put_options_free(h_); }

    PutOptions &content_type(std::string_view v) { return set(qcos_put_options_set_content_type, v); }
    PutOptions &cache_control(std::string_view v) { return set(qcos_put_options_set_cache_control, v); }
    PutOptions &content_disposition(std::string_view v) { return set(qcos_put_options_set_content_disposition, v); }
    PutOptions &content_encoding(std::string_view v) { return set(qcos_put_options_set_content_encoding, v); }
    PutOptions &expires(std::string_view v) { return set(qcos_put_options_set_expires, v); }
    PutOptions &storage_class(std::string_view v) { return set(qcos_put_options_set_storage_class, v); }
    /** Add an x-cos-meta-`name` entry. */
    PutOptions &meta(std::string_view name, std::string_view value) {
        detail::check(qcos_put_options_add_meta(h_, detail::cstr(name, "name").c_str(),
                                                detail::cstr(value, "value").c_str()));
        return *this;
    }
    /** Add an extra request header, e.g. ("x-cos-acl", "private"). */
    PutOptions &header(std::string_view name, std::string_view value) {
        detail::check(qcos_put_options_add_header(h_, detail::cstr(name, "name").c_str(),
                                                  detail::cstr(value, "value").c_str()));
        return *this;
    }
    PutOptions &check_content_md5(bool v) { detail::check(qcos_put_options_set_check_content_md5(h_, v)); return *this; }
    PutOptions &add_meta_md5(bool v) { detail::check(qcos_put_options_set_add_meta_md5(h_, v)); return *this; }
    PutOptions &traffic_limit(uint64_t bits_per_second) {
        detail::check(qcos_put_options_set_traffic_limit(h_, bits_per_second));
        return *this;
    }
    /** The object's ACL on writes (x-cos-acl, x-cos-grant-*; qcos_put_options_set_acl);
     *  a copy never takes the source's. Defined after ObjectAcl. */
    inline PutOptions &acl(const ObjectAcl &acl);
    /** Add one tag the object is written with (x-cos-tagging; qcos_put_options_add_tag). */
    PutOptions &tag(std::string_view key, std::string_view value) {
        detail::check(qcos_put_options_add_tag(h_, detail::cstr(key, "key").c_str(),
                                               detail::cstr(value, "value").c_str()));
        return *this;
    }
    /** Replace the tags the object is written with (empty removes them). */
    PutOptions &tags(const std::vector<std::pair<std::string, std::string>> &tags) {
        struct Tags {
            qcos_tags *h = nullptr;
            ~Tags() { qcos_tags_free(h); }
        } t;
        detail::check(qcos_tags_new(&t.h));
        for (const auto &kv : tags)
            detail::check(qcos_tags_add(t.h, detail::cstr(kv.first, "key").c_str(), detail::cstr(kv.second, "value").c_str()));
        detail::check(qcos_put_options_set_tags(h_, t.h));
        return *this;
    }
    /** As a copy's options: true (the default) replaces the source's metadata with these
     *  options' (x-cos-metadata-directive: Replaced), false keeps it. */
    PutOptions &replace_metadata(bool v) {
        detail::check(qcos_put_options_set_metadata_directive(h_, v ? QCOS_COPY_DIRECTIVE_REPLACED : QCOS_COPY_DIRECTIVE_COPY));
        return *this;
    }
    /** As a copy's options: true gives the copy these options' tags (x-cos-tagging-directive:
     *  Replaced); false (the default) keeps the source's. */
    PutOptions &replace_tags(bool v) {
        detail::check(qcos_put_options_set_tagging_directive(h_, v ? QCOS_COPY_DIRECTIVE_REPLACED : QCOS_COPY_DIRECTIVE_COPY));
        return *this;
    }
    const qcos_put_options *get() const noexcept { return h_; }

private:
    PutOptions &set(qcos_status (*fn)(qcos_put_options *, const char *), std::string_view v) {
        detail::check(fn(h_, detail::cstr(v, "value").c_str()));
        return *this;
    }
    qcos_put_options *h_ = nullptr;
};

/** Download/HEAD options (range, conditions, response-* overrides). Move-only. */
class GetOptions {
public:
    GetOptions() { detail::check(qcos_get_options_new(&h_)); }
    GetOptions(GetOptions &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    GetOptions &operator=(GetOptions &&o) noexcept {
        if (this != &o) { qcos_get_options_free(h_); h_ = std::exchange(o.h_, nullptr); }
        return *this;
    }
    GetOptions(const GetOptions &) = delete;
    GetOptions &operator=(const GetOptions &) = delete;
    ~GetOptions() { qcos_get_options_free(h_); }

    /** Bytes first..=last. */
    GetOptions &range(uint64_t first, uint64_t last) { detail::check(qcos_get_options_set_range(h_, first, last)); return *this; }
    /** Bytes first.. to the end. */
    GetOptions &range_from(uint64_t first) { detail::check(qcos_get_options_set_range_from(h_, first)); return *this; }
    GetOptions &if_match(std::string_view v) { return set(qcos_get_options_set_if_match, v); }
    GetOptions &if_none_match(std::string_view v) { return set(qcos_get_options_set_if_none_match, v); }
    GetOptions &if_modified_since(std::string_view v) { return set(qcos_get_options_set_if_modified_since, v); }
    GetOptions &if_unmodified_since(std::string_view v) { return set(qcos_get_options_set_if_unmodified_since, v); }
    GetOptions &response_content_type(std::string_view v) { return set(qcos_get_options_set_response_content_type, v); }
    GetOptions &response_content_disposition(std::string_view v) { return set(qcos_get_options_set_response_content_disposition, v); }
    GetOptions &response_content_encoding(std::string_view v) { return set(qcos_get_options_set_response_content_encoding, v); }
    GetOptions &response_content_language(std::string_view v) { return set(qcos_get_options_set_response_content_language, v); }
    GetOptions &response_cache_control(std::string_view v) { return set(qcos_get_options_set_response_cache_control, v); }
    GetOptions &response_expires(std::string_view v) { return set(qcos_get_options_set_response_expires, v); }
    GetOptions &version_id(std::string_view v) { return set(qcos_get_options_set_version_id, v); }
    GetOptions &traffic_limit(uint64_t bits_per_second) {
        detail::check(qcos_get_options_set_traffic_limit(h_, bits_per_second));
        return *this;
    }
    const qcos_get_options *get() const noexcept { return h_; }

private:
    GetOptions &set(qcos_status (*fn)(qcos_get_options *, const char *), std::string_view v) {
        detail::check(fn(h_, detail::cstr(v, "value").c_str()));
        return *this;
    }
    qcos_get_options *h_ = nullptr;
};

inline const qcos_put_options *raw(const PutOptions *o) noexcept { return o ? o->get() : nullptr; }
inline const qcos_get_options *raw(const GetOptions *o) noexcept { return o ? o->get() : nullptr; }

/** Options of Client::sign and Client::presign_url: parameters and headers to
 *  sign, lifetime, start, form. Move-only; setters chain. */
class SignOptions {
public:
    SignOptions() { detail::check(qcos_sign_options_new(&h_)); }
    SignOptions(SignOptions &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    SignOptions &operator=(SignOptions &&o) noexcept {
        if (this != &o) { qcos_sign_options_free(h_); h_ = std::exchange(o.h_, nullptr); }
        return *this;
    }
    SignOptions(const SignOptions &) = delete;
    SignOptions &operator=(const SignOptions &) = delete;
    ~SignOptions() { qcos_sign_options_free(h_); }

    /** A query parameter to sign (and, for a URL, to put in it); "" for a flag. */
    SignOptions &param(std::string_view name, std::string_view value) {
        detail::check(qcos_sign_options_add_param(h_, detail::cstr(name, "name").c_str(),
                                                  detail::cstr(value, "value").c_str()));
        return *this;
    }
    /** A header to sign; whoever sends the request must send it exactly. */
    SignOptions &header(std::string_view name, std::string_view value) {
        detail::check(qcos_sign_options_add_header(h_, detail::cstr(name, "name").c_str(),
                                                   detail::cstr(value, "value").c_str()));
        return *this;
    }
    /** Lifetime in seconds after the start (default 900). */
    SignOptions &expires(int64_t secs) { detail::check(qcos_sign_options_set_expires(h_, secs)); return *this; }
    /** Pin the start (Unix seconds) instead of now minus 60 s. */
    SignOptions &start_time(int64_t unix_secs) { detail::check(qcos_sign_options_set_start_time(h_, unix_secs)); return *this; }
    /** QCOS_SIGN_FORM_HEADER, QCOS_SIGN_FORM_QUERY or QCOS_SIGN_FORM_SIGN_PARAM. */
    SignOptions &form(uint32_t f) { detail::check(qcos_sign_options_set_form(h_, f)); return *this; }
    /** presign_url only: false gives a plain, unsigned URL. */
    SignOptions &sign(bool v) { detail::check(qcos_sign_options_set_signed(h_, v)); return *this; }
    const qcos_sign_options *get() const noexcept { return h_; }

private:
    qcos_sign_options *h_ = nullptr;
};

/** What a browser POST Object upload may do (Client::post_policy). Move-only. */
class PostPolicyOptions {
public:
    PostPolicyOptions() { detail::check(qcos_post_policy_options_new(&h_)); }
    PostPolicyOptions(PostPolicyOptions &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    PostPolicyOptions &operator=(PostPolicyOptions &&o) noexcept {
        if (this != &o) { qcos_post_policy_options_free(h_); h_ = std::exchange(o.h_, nullptr); }
        return *this;
    }
    PostPolicyOptions(const PostPolicyOptions &) = delete;
    PostPolicyOptions &operator=(const PostPolicyOptions &) = delete;
    ~PostPolicyOptions() { qcos_post_policy_options_free(h_); }

    PostPolicyOptions &key(std::string_view k) {
        detail::check(qcos_post_policy_options_set_key(h_, detail::cstr(k, "key").c_str()));
        return *this;
    }
    PostPolicyOptions &key_prefix(std::string_view p) {
        detail::check(qcos_post_policy_options_set_key_prefix(h_, detail::cstr(p, "prefix").c_str()));
        return *this;
    }
    PostPolicyOptions &content_length_range(uint64_t min, uint64_t max) {
        detail::check(qcos_post_policy_options_set_content_length_range(h_, min, max));
        return *this;
    }
    PostPolicyOptions &content_type(std::string_view t) {
        detail::check(qcos_post_policy_options_set_content_type(h_, detail::cstr(t, "content_type").c_str()));
        return *this;
    }
    PostPolicyOptions &content_type_prefix(std::string_view p) {
        detail::check(qcos_post_policy_options_set_content_type_prefix(h_, detail::cstr(p, "prefix").c_str()));
        return *this;
    }
    PostPolicyOptions &success_action_status(uint16_t status) {
        detail::check(qcos_post_policy_options_set_success_action_status(h_, status));
        return *this;
    }
    PostPolicyOptions &field(std::string_view name, std::string_view value) {
        detail::check(qcos_post_policy_options_add_field(h_, detail::cstr(name, "name").c_str(),
                                                         detail::cstr(value, "value").c_str()));
        return *this;
    }
    PostPolicyOptions &expires(int64_t secs) { detail::check(qcos_post_policy_options_set_expires(h_, secs)); return *this; }
    PostPolicyOptions &start_time(int64_t unix_secs) {
        detail::check(qcos_post_policy_options_set_start_time(h_, unix_secs));
        return *this;
    }
    const qcos_post_policy_options *get() const noexcept { return h_; }

private:
    qcos_post_policy_options *h_ = nullptr;
};

/** An Authorization made by Client::sign for a request someone else sends. */
struct Signature {
    std::string authorization;  ///< the Authorization header value
    std::string query;          ///< to append to the query (query forms), "" for the header form
    std::vector<std::pair<std::string, std::string>> headers;  ///< headers to send as signed
    int64_t start_time = 0, end_time = 0;
};

/** The fields of a browser POST Object upload (Client::post_policy), in order. */
struct PostForm {
    std::string url;
    std::vector<std::pair<std::string, std::string>> fields;
    std::string policy_json;
    /** The value of field `name`, or "" when absent (as qcos_post_form_get, on the copy). */
    std::string get(const std::string &name) const {
        for (const auto &f : fields)
            if (f.first == name) return f.second;
        return {};
    }
};

/** Options of a transfer (upload_file, download_file, slice_copy, queue tasks). Move-only. */
class TransferOptions {
public:
    TransferOptions() { detail::check(qcos_transfer_options_new(&h_)); }
    TransferOptions(TransferOptions &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    TransferOptions &operator=(TransferOptions &&o) noexcept {
        if (this != &o) { qcos_transfer_options_free(h_); h_ = std::exchange(o.h_, nullptr); }
        return *this;
    }
    TransferOptions(const TransferOptions &) = delete;
    TransferOptions &operator=(const TransferOptions &) = delete;
    ~TransferOptions() { qcos_transfer_options_free(h_); }

    /** QCOS_LEFTOVER_KEEP (default, resumable) or QCOS_LEFTOVER_ABORT after a cancel. */
    TransferOptions &on_cancel(uint32_t choice) { detail::check(qcos_transfer_options_set_on_cancel(h_, choice)); return *this; }
    /** QCOS_LEFTOVER_KEEP (default) or QCOS_LEFTOVER_ABORT after a failure. */
    TransferOptions &on_error(uint32_t choice) { detail::check(qcos_transfer_options_set_on_error(h_, choice)); return *this; }
    TransferOptions &resume(bool v) { detail::check(qcos_transfer_options_set_resume(h_, v)); return *this; }
    TransferOptions &part_size(uint64_t bytes) { detail::check(qcos_transfer_options_set_part_size(h_, bytes)); return *this; }
    TransferOptions &parallel(uint32_t parts) { detail::check(qcos_transfer_options_set_parallel(h_, parts)); return *this; }
    TransferOptions &slice_size(uint64_t bytes) { detail::check(qcos_transfer_options_set_slice_size(h_, bytes)); return *this; }
    const qcos_transfer_options *get() const noexcept { return h_; }

private:
    qcos_transfer_options *h_ = nullptr;
};

/** The outcome of a transfer. */
struct TransferResult {
    std::string etag, version_id, upload_id;
    uint64_t crc64 = 0, size = 0;
    bool crc64_verified = false;
    uint32_t parts = 0, resumed_parts = 0;
};

/** Called with each progress report on the calling thread; return false to cancel. */
using ProgressFn = std::function<bool(const qcos_progress &)>;

namespace detail {

struct TransferOut {
    qcos_transfer_result *h = nullptr;
    ~TransferOut() { qcos_transfer_result_free(h); }
    TransferResult take() const {
        TransferResult r;
        r.etag = str(qcos_transfer_result_etag(h));
        r.version_id = str(qcos_transfer_result_version_id(h));
        r.upload_id = str(qcos_transfer_result_upload_id(h));
        r.crc64 = qcos_transfer_result_crc64(h);
        r.size = qcos_transfer_result_size(h);
        r.crc64_verified = qcos_transfer_result_crc64_verified(h);
        r.parts = qcos_transfer_result_parts(h);
        r.resumed_parts = qcos_transfer_result_resumed_parts(h);
        return r;
    }
};

/** State of one transfer call: the user's callbacks and the first exception. */
struct TransferState : CallbackState {
    ProgressFn progress;
    std::function<size_t(uint8_t *, size_t)> reader;

    static int on_progress(void *ud, const qcos_progress *p) noexcept {
        auto *s = static_cast<TransferState *>(ud);
        try {
            return s->progress(*p) ? 0 : 1;
        } catch (...) {
            return s->fail();
        }
    }
    static int on_read(void *ud, uint8_t *buf, size_t cap, size_t *n_out) noexcept {
        auto *s = static_cast<TransferState *>(ud);
        try {
            *n_out = s->reader(buf, cap);
            return *n_out > cap ? 1 : 0;
        } catch (...) {
            return s->fail();
        }
    }
    qcos_progress_cb progress_cb() const noexcept { return progress ? &TransferState::on_progress : nullptr; }
};

}  // namespace detail

inline const qcos_transfer_options *raw(const TransferOptions *o) noexcept { return o ? o->get() : nullptr; }

/** A snapshot of a queued task (Queue::task_info). */
struct TaskInfo {
    uint64_t id = 0;
    bool is_upload = false;
    qcos_task_state state = QCOS_TASK_STATE_WAITING;
    std::string key, path;
    uint64_t loaded = 0, total = 0;
    bool total_known = false;
    double speed = 0;
    Status error_status = Status::Ok;  ///< Ok when the task has no error
    std::string error_message, error_code, error_request_id;
    uint16_t error_http_status = 0;
    std::string etag, version_id;
    uint64_t crc64 = 0, size = 0;
    bool crc64_verified = false;
    bool is_copy = false;  ///< a Queue::copy task: path is "", source_* name the source
    std::string source_bucket, source_region, source_key, source_version_id;
    /// The UploadId a paused or failed upload or copy keeps on the service ("" when none).
    std::string upload_id;
    /// A Queue::upload_from_reader task: path is "", it can be neither paused nor resumed.
    bool is_stream = false;
};

/** Client settings, consumed by the Client constructor. Move-only; setters chain. */
class Config {
public:
    /** `bucket`: "name-APPID", or "" for a client that only lists buckets. */
    Config(std::string_view region, std::string_view bucket) {
        detail::check(qcos_config_new(detail::cstr(region, "region").c_str(),
                                      detail::cstr(bucket, "bucket").c_str(), &h_));
    }
    /** From the COS_* variables (qcos_config_from_env): COS_REGION, COS_BUCKET,
     *  COS_SECRET_ID/KEY, COS_SECURITY_TOKEN, COS_ENDPOINT and one per option
     *  (COS_PATH_STYLE, COS_MAX_RETRIES, COS_CHUNK_SIZE, ...; table in docs/c.md). */
    static Config from_env() {
        qcos_config *h = nullptr;
        detail::check(qcos_config_from_env(&h));
        return Config(h);
    }
    Config(Config &&o) noexcept : h_(std::exchange(o.h_, nullptr)), provider_(std::move(o.provider_)) {}
    Config &operator=(Config &&o) noexcept {
        if (this != &o) {
            qcos_config_free(h_);
            h_ = std::exchange(o.h_, nullptr);
            provider_ = std::move(o.provider_);
        }
        return *this;
    }
    Config(const Config &) = delete;
    Config &operator=(const Config &) = delete;
    ~Config() { qcos_config_free(h_); }

    Config &region(std::string_view v) { return set_str(qcos_config_set_region, v); }
    Config &bucket(std::string_view v) { return set_str(qcos_config_set_bucket, v); }
    Config &credentials(std::string_view secret_id, std::string_view secret_key) {
        detail::check(qcos_config_set_credentials(live(), detail::cstr(secret_id, "secret_id").c_str(),
                                                  detail::cstr(secret_key, "secret_key").c_str()));
        return *this;
    }
    Config &temporary_credentials(std::string_view secret_id, std::string_view secret_key, std::string_view token,
                                  int64_t start_time = 0, int64_t expired_time = 0) {
        detail::check(qcos_config_set_temporary_credentials(
            live(), detail::cstr(secret_id, "secret_id").c_str(), detail::cstr(secret_key, "secret_key").c_str(),
            detail::cstr(token, "token").c_str(), start_time, expired_time));
        return *this;
    }
    /** Register a provider; the std::function is kept alive by the client and its listings. */
    Config &credentials_provider(CredentialsProvider fn) {
        if (!fn) throw Error(Status::InvalidArgument, "credentials_provider: empty std::function");
        auto state = std::make_shared<detail::ProviderState>();
        state->fn = std::move(fn);
        detail::check(qcos_config_set_credentials_provider(live(), &detail::ProviderState::trampoline, state.get()));
        provider_ = std::move(state);
        return *this;
    }
    /** QCOS_PROTOCOL_HTTPS (default) or QCOS_PROTOCOL_HTTP. */
    Config &protocol(uint32_t p) { detail::check(qcos_config_set_protocol(live(), p)); return *this; }
    Config &domain(std::string_view v) { return set_str(qcos_config_set_domain, v); }
    Config &endpoint(std::string_view v) { return set_str(qcos_config_set_endpoint, v); }
    Config &user_agent(std::string_view v) { return set_str(qcos_config_set_user_agent, v); }
    Config &path_style(bool v) { return set(qcos_config_set_path_style, v); }
    Config &use_accelerate(bool v) { return set(qcos_config_set_use_accelerate, v); }
    Config &timeout_ms(uint64_t v) { return set(qcos_config_set_timeout_ms, v); }
    Config &connect_timeout_ms(uint64_t v) { return set(qcos_config_set_connect_timeout_ms, v); }
    Config &io_timeout_ms(uint64_t v) { return set(qcos_config_set_io_timeout_ms, v); }
    Config &max_retries(uint32_t v) { return set(qcos_config_set_max_retries, v); }
    Config &retry_base_delay_ms(uint64_t v) { return set(qcos_config_set_retry_base_delay_ms, v); }
    Config &correct_clock_skew(bool v) { return set(qcos_config_set_correct_clock_skew, v); }
    Config &sign_expires_secs(int64_t v) { return set(qcos_config_set_sign_expires_secs, v); }
    Config &credential_refresh_margin_secs(int64_t v) { return set(qcos_config_set_credential_refresh_margin_secs, v); }
    Config &slice_size(uint64_t v) { return set(qcos_config_set_slice_size, v); }
    Config &chunk_size(uint64_t v) { return set(qcos_config_set_chunk_size, v); }
    Config &chunk_parallel_limit(size_t v) { return set(qcos_config_set_chunk_parallel_limit, v); }
    Config &file_parallel_limit(size_t v) { return set(qcos_config_set_file_parallel_limit, v); }
    Config &chunk_retry_times(uint32_t v) { return set(qcos_config_set_chunk_retry_times, v); }
    Config &copy_slice_size(uint64_t v) { return set(qcos_config_set_copy_slice_size, v); }
    Config &copy_chunk_size(uint64_t v) { return set(qcos_config_set_copy_chunk_size, v); }
    Config &copy_chunk_parallel_limit(size_t v) { return set(qcos_config_set_copy_chunk_parallel_limit, v); }
    Config &progress_interval_ms(uint64_t v) { return set(qcos_config_set_progress_interval_ms, v); }
    Config &upload_queue_size(size_t v) { return set(qcos_config_set_upload_queue_size, v); }
    Config &upload_check_content_md5(bool v) { return set(qcos_config_set_upload_check_content_md5, v); }
    Config &upload_add_meta_md5(bool v) { return set(qcos_config_set_upload_add_meta_md5, v); }
    /** Backup-domain switching to {Bucket}.cos.{Region}.tencentcos.cn on retries (default true). */
    Config &auto_switch_host(bool v) { return set(qcos_config_set_auto_switch_host, v); }
    /** Host (template with {Region}, {AppId}) for list_buckets instead of service.cos.myqcloud.com. */
    Config &service_domain(std::string_view v) { return set_str(qcos_config_set_service_domain, v); }

private:
    friend class Client;
    explicit Config(qcos_config *h) noexcept : h_(h) {}
    qcos_config *live() const {
        if (!h_) throw Error(Status::InvalidState, "this qcos::Config was moved from or already used");
        return h_;
    }
    template <typename T, typename V>
    Config &set(qcos_status (*fn)(qcos_config *, T), V v) {
        detail::check(fn(live(), static_cast<T>(v)));
        return *this;
    }
    Config &set_str(qcos_status (*fn)(qcos_config *, const char *), std::string_view v) {
        detail::check(fn(live(), detail::cstr(v, "value").c_str()));
        return *this;
    }
    qcos_config *h_ = nullptr;
    std::shared_ptr<detail::ProviderState> provider_;
};

/** Pages of a bucket listing; each next() fetches one page. Move-only. */
class ObjectList {
public:
    ObjectList(ObjectList &&o) noexcept : h_(std::exchange(o.h_, nullptr)), provider_(std::move(o.provider_)) {}
    ObjectList &operator=(ObjectList &&o) noexcept {
        if (this != &o) {
            qcos_list_free(h_);
            h_ = std::exchange(o.h_, nullptr);
            provider_ = std::move(o.provider_);
        }
        return *this;
    }
    ObjectList(const ObjectList &) = delete;
    ObjectList &operator=(const ObjectList &) = delete;
    ~ObjectList() { qcos_list_free(h_); }

    /** Fetch the next page; false when the listing is complete. Throws Error. */
    bool next() {
        bool has_page = false;
        qcos_status st = qcos_list_next(h_, &has_page);
        if (st != QCOS_STATUS_OK) {
            Error e = Error::last(st);
            if (provider_ && st == QCOS_STATUS_AUTH) {
                if (std::exception_ptr c = provider_->take_error())
                    throw Error(Status::Auth, e.message() + " (the credentials provider threw: " +
                                                  detail::what_of(c) + ")").with_cause(c);
            }
            throw e;
        }
        return has_page;
    }
    /** The objects of the current page. */
    std::vector<ObjectSummary> objects() const {
        std::vector<ObjectSummary> v;
        for (size_t i = 0, n = qcos_list_object_count(h_); i < n; i++) {
            ObjectSummary o;
            o.key = detail::str(qcos_list_object_key(h_, i));
            o.size = qcos_list_object_size(h_, i);
            o.etag = detail::str(qcos_list_object_etag(h_, i));
            o.last_modified = detail::str(qcos_list_object_last_modified(h_, i));
            o.storage_class = detail::str(qcos_list_object_storage_class(h_, i));
            v.push_back(std::move(o));
        }
        return v;
    }
    /** The common prefixes of the current page (with a delimiter). */
    std::vector<std::string> common_prefixes() const {
        std::vector<std::string> v;
        for (size_t i = 0, n = qcos_list_prefix_count(h_); i < n; i++) v.push_back(detail::str(qcos_list_prefix(h_, i)));
        return v;
    }
    bool is_truncated() const noexcept { return qcos_list_is_truncated(h_); }
    std::string next_marker() const { return detail::str(qcos_list_next_marker(h_)); }

private:
    friend class Client;
    ObjectList(qcos_list *h, std::shared_ptr<detail::ProviderState> p) noexcept : h_(h), provider_(std::move(p)) {}
    qcos_list *h_ = nullptr;
    std::shared_ptr<detail::ProviderState> provider_;
};

/** A COS client for one bucket. Move-only; thread-safe (any number of threads may
 *  call its const methods at once). */
/** One grant of an object's ACL (Client::get_object_acl). */
struct AclGrant {
    std::string grantee_type;  ///< "CanonicalUser" (see id) or "Group" (see uri)
    std::optional<std::string> id, uri;
    std::string permission;    ///< READ, WRITE, FULL_CONTROL, READ_ACP, WRITE_ACP
};

/** An object's or a bucket's ACL as GET Object/Bucket ACL reports it. */
struct AccessControlPolicy {
    std::string owner_id;
    std::optional<std::string> canned;  ///< x-cos-acl: default, private, public-read (buckets: public-read-write)
    std::vector<AclGrant> grants;
};

/** What Client::put_object_acl sets: a canned ACL and/or grants (account ids). */
struct ObjectAcl {
    std::optional<std::string> canned;  ///< "default", "private" or "public-read"
    std::vector<std::string> grant_read, grant_read_acp, grant_write_acp, grant_full_control;
};

/** What Client::put_bucket_acl sets: a canned ACL and/or grants (account ids). */
struct BucketAcl {
    std::optional<std::string> canned;  ///< "private", "public-read" or "public-read-write"
    std::vector<std::string> grant_read, grant_write, grant_read_acp, grant_write_acp, grant_full_control;
};

/** One rule of a bucket's CORS configuration (Client::put_bucket_cors). */
struct CorsRule {
    std::optional<std::string> id;             ///< <ID>
    std::vector<std::string> allowed_origins;  ///< at least one; one '*' allowed
    std::vector<std::string> allowed_methods;  ///< GET PUT POST DELETE HEAD; at least one
    std::vector<std::string> allowed_headers;  ///< "*" for any
    std::vector<std::string> expose_headers;   ///< e.g. "ETag"
    std::optional<uint64_t> max_age_seconds;   ///< <MaxAgeSeconds>
    bool operator==(const CorsRule &o) const {
        return id == o.id && allowed_origins == o.allowed_origins && allowed_methods == o.allowed_methods &&
               allowed_headers == o.allowed_headers && expose_headers == o.expose_headers &&
               max_age_seconds == o.max_age_seconds;
    }
};

inline PutOptions &PutOptions::acl(const ObjectAcl &acl) {
    struct Acl {
        qcos_acl *h = nullptr;
        ~Acl() { qcos_acl_free(h); }
    } a;
    detail::check(qcos_acl_new(&a.h));
    if (acl.canned) detail::check(qcos_acl_set_canned(a.h, detail::cstr(*acl.canned, "canned").c_str()));
    const std::pair<uint32_t, const std::vector<std::string> *> lists[] = {
        {QCOS_GRANT_KIND_READ, &acl.grant_read},
        {QCOS_GRANT_KIND_READ_ACP, &acl.grant_read_acp},
        {QCOS_GRANT_KIND_WRITE_ACP, &acl.grant_write_acp},
        {QCOS_GRANT_KIND_FULL_CONTROL, &acl.grant_full_control},
    };
    for (const auto &l : lists)
        for (const auto &id : *l.second) detail::check(qcos_acl_add_grant(a.h, l.first, detail::cstr(id, "id").c_str()));
    detail::check(qcos_put_options_set_acl(h_, a.h));
    return *this;
}

class Client {
public:
    /** Build from `cfg`, which is consumed (moved-from) whether or not this throws. */
    explicit Client(Config &&cfg) : provider_(std::move(cfg.provider_)) {
        qcos_config *h = cfg.live();
        cfg.h_ = nullptr;
        detail::check(qcos_client_new(h, &c_));
    }
    Client(Client &&o) noexcept : c_(std::exchange(o.c_, nullptr)), provider_(std::move(o.provider_)) {}
    Client &operator=(Client &&o) noexcept {
        if (this != &o) {
            qcos_client_free(c_);
            c_ = std::exchange(o.c_, nullptr);
            provider_ = std::move(o.provider_);
        }
        return *this;
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    ~Client() { qcos_client_free(c_); }

    const qcos_client *get() const noexcept { return c_; }

private:
    static AppendResult appended(uint64_t next, const detail::PutOut &out) {
        PutResult p = out.take();
        AppendResult r;
        r.next_position = next;
        r.etag = std::move(p.etag);
        r.request_id = std::move(p.request_id);
        r.has_crc64 = p.has_crc64;
        r.crc64 = p.crc64;
        return r;
    }

public:

    // -- uploads ---------------------------------------------------------------

    /** Upload `len` bytes from memory as `key` (PUT Object). */
    PutResult put_object(std::string_view key, const void *data, size_t len, const PutOptions *opts = nullptr) const {
        detail::PutOut out;
        check(qcos_client_put_object(live(), detail::cstr(key, "key").c_str(), static_cast<const uint8_t *>(data), len,
                                     raw(opts), &out.h));
        return out.take();
    }
    PutResult put_object(std::string_view key, std::string_view body, const PutOptions *opts = nullptr) const {
        return put_object(key, body.data(), body.size(), opts);
    }
    /** Upload a local file with one PUT Object. */
    PutResult put_object_from_file(std::string_view key, const std::string &path, const PutOptions *opts = nullptr) const {
        detail::PutOut out;
        check(qcos_client_put_object_from_file(live(), detail::cstr(key, "key").c_str(), detail::cstr(path, "path").c_str(),
                                               raw(opts), &out.h));
        return out.take();
    }
    /** Upload exactly `length` bytes produced by `reader(buf, cap)`, which returns
     *  how many bytes it wrote (0 = end). An exception it throws stops the upload
     *  and is rethrown here. */
    PutResult put_object_from_reader(std::string_view key, uint64_t length,
                                     std::function<size_t(uint8_t *, size_t)> reader,
                                     const PutOptions *opts = nullptr) const {
        struct State : detail::CallbackState {
            std::function<size_t(uint8_t *, size_t)> fn;
        } state;
        state.fn = std::move(reader);
        auto tramp = [](void *ud, uint8_t *buf, size_t cap, size_t *n_out) noexcept -> int {
            auto *s = static_cast<State *>(ud);
            try {
                *n_out = s->fn(buf, cap);
                return *n_out > cap ? 1 : 0;
            } catch (...) {
                return s->fail();
            }
        };
        detail::PutOut out;
        qcos_status st = qcos_client_put_object_from_callback(live(), detail::cstr(key, "key").c_str(), length, tramp,
                                                              &state, raw(opts), &out.h);
        finish(st, state);
        return out.take();
    }

    // -- appends (APPEND Object) ------------------------------------------------

    /** Append `len` bytes at `position` of `key`, which must be the object's current
     *  length (0 creates an appendable object). A wrong position throws Error with
     *  http_status() 409 and code() "PositionNotEqualToLength"; a normal object 409
     *  "ObjectNotAppendable". Never appended twice: see qcos_client_append_object. */
    AppendResult append_object(std::string_view key, uint64_t position, const void *data, size_t len,
                               const PutOptions *opts = nullptr) const {
        detail::PutOut out;
        uint64_t next = 0;
        check(qcos_client_append_object(live(), detail::cstr(key, "key").c_str(), position,
                                        static_cast<const uint8_t *>(data), len, raw(opts), &next, &out.h));
        return appended(next, out);
    }
    AppendResult append_object(std::string_view key, uint64_t position, std::string_view body,
                               const PutOptions *opts = nullptr) const {
        return append_object(key, position, body.data(), body.size(), opts);
    }
    /** append_object that also checks the whole object's CRC-64 against
     *  `previous_crc64` (the CRC-64 of the first `position` bytes) combined with the
     *  body's; a mismatch throws Error with Status::Integrity. */
    AppendResult append_object_checked(std::string_view key, uint64_t position, uint64_t previous_crc64,
                                       std::string_view body, const PutOptions *opts = nullptr) const {
        detail::PutOut out;
        uint64_t next = 0;
        check(qcos_client_append_object_checked(live(), detail::cstr(key, "key").c_str(), position, previous_crc64,
                                                reinterpret_cast<const uint8_t *>(body.data()), body.size(), raw(opts),
                                                &next, &out.h));
        return appended(next, out);
    }
    /** Append the whole local file `path` at `position` of `key`. */
    AppendResult append_object_from_file(std::string_view key, uint64_t position, const std::string &path,
                                         const PutOptions *opts = nullptr) const {
        detail::PutOut out;
        uint64_t next = 0;
        check(qcos_client_append_object_from_file(live(), detail::cstr(key, "key").c_str(), position,
                                                  detail::cstr(path, "path").c_str(), raw(opts), &next, &out.h));
        return appended(next, out);
    }

    // -- downloads -------------------------------------------------------------

    /** Download `key` into a library-owned Buffer; `info`, if given, receives the metadata. */
    Buffer get_object(std::string_view key, const GetOptions *opts = nullptr, ObjectInfo *info = nullptr) const {
        qcos_buffer *b = nullptr;
        detail::InfoOut io;
        check(qcos_client_get_object(live(), detail::cstr(key, "key").c_str(), raw(opts), &b, info ? &io.h : nullptr));
        Buffer buf(b);
        if (info) *info = io.take();
        return buf;
    }
    /** Download `key` into the caller's buffer; returns the bytes written. Throws
     *  Error with status BufferTooSmall and needed() when it does not fit. */
    size_t get_object_to_buffer(std::string_view key, void *buf, size_t cap, const GetOptions *opts = nullptr) const {
        size_t n = 0;
        qcos_status st = qcos_client_get_object_to_buffer(live(), detail::cstr(key, "key").c_str(), raw(opts),
                                                          static_cast<uint8_t *>(buf), cap, &n, nullptr);
        if (st == QCOS_STATUS_BUFFER_TOO_SMALL) throw Error::last(st).with_needed(n);
        check(st);
        return n;
    }
    /** Download `key` to a local file, atomically. */
    ObjectInfo get_object_to_file(std::string_view key, const std::string &path, const GetOptions *opts = nullptr) const {
        detail::InfoOut io;
        check(qcos_client_get_object_to_file(live(), detail::cstr(key, "key").c_str(), detail::cstr(path, "path").c_str(),
                                             raw(opts), &io.h));
        return io.take();
    }
    /** Download `key`, handing its bytes in order to `writer`. Return false from
     *  it to cancel (Error Cancelled); an exception it throws is rethrown here. */
    ObjectInfo get_object_to_writer(std::string_view key, std::function<bool(const uint8_t *, size_t)> writer,
                                    const GetOptions *opts = nullptr) const {
        struct State : detail::CallbackState {
            std::function<bool(const uint8_t *, size_t)> fn;
        } state;
        state.fn = std::move(writer);
        auto tramp = [](void *ud, const uint8_t *data, size_t len) noexcept -> int {
            auto *s = static_cast<State *>(ud);
            try {
                return s->fn(data, len) ? 0 : 1;
            } catch (...) {
                return s->fail();
            }
        };
        detail::InfoOut io;
        qcos_status st = qcos_client_get_object_to_callback(live(), detail::cstr(key, "key").c_str(), raw(opts), tramp,
                                                            &state, &io.h);
        finish(st, state);
        return io.take();
    }
    /** HEAD Object. */
    ObjectInfo head_object(std::string_view key, const GetOptions *opts = nullptr) const {
        detail::InfoOut io;
        check(qcos_client_head_object(live(), detail::cstr(key, "key").c_str(), raw(opts), &io.h));
        return io.take();
    }
    /** One metadata value looked up case-insensitively by the library; "" when absent. */
    std::string head_object_meta(std::string_view key, const std::string &name) const {
        detail::InfoOut io;
        check(qcos_client_head_object(live(), detail::cstr(key, "key").c_str(), nullptr, &io.h));
        return ObjectInfo::meta_get(io.h, name);
    }

    // -- tagging and ACL ---------------------------------------------------------

    /** Replace the tags of `key` (PUT Object tagging); `version_id` empty = current.
     *  At most 10 tags, unique non-empty keys (<= 128 chars), values <= 256 chars. */
    void put_object_tagging(std::string_view key, const std::vector<std::pair<std::string, std::string>> &tags,
                            std::string_view version_id = {}) const {
        struct Tags {
            qcos_tags *h = nullptr;
            ~Tags() { qcos_tags_free(h); }
        } t;
        check(qcos_tags_new(&t.h));
        for (const auto &kv : tags)
            check(qcos_tags_add(t.h, detail::cstr(kv.first, "key").c_str(), detail::cstr(kv.second, "value").c_str()));
        std::string v = detail::cstr(version_id, "version_id");
        check(qcos_client_put_object_tagging(live(), detail::cstr(key, "key").c_str(), t.h,
                                             version_id.empty() ? nullptr : v.c_str()));
    }
    /** The tags of `key`, in COS's order; empty when it has none. */
    std::vector<std::pair<std::string, std::string>> get_object_tagging(std::string_view key,
                                                                        std::string_view version_id = {}) const {
        struct Tags {
            qcos_tags *h = nullptr;
            ~Tags() { qcos_tags_free(h); }
        } t;
        std::string v = detail::cstr(version_id, "version_id");
        check(qcos_client_get_object_tagging(live(), detail::cstr(key, "key").c_str(),
                                             version_id.empty() ? nullptr : v.c_str(), &t.h));
        std::vector<std::pair<std::string, std::string>> out;
        for (size_t i = 0, n = qcos_tags_count(t.h); i < n; i++)
            out.emplace_back(detail::str(qcos_tags_key(t.h, i)), detail::str(qcos_tags_value(t.h, i)));
        return out;
    }
    /** Start a multipart upload of `key`; returns its UploadId. `opts`: the object's headers. */
    std::string initiate_multipart_upload(std::string_view key, const PutOptions *opts = nullptr) const {
        char uid[1024];
        size_t n = 0;
        check(qcos_client_initiate_multipart_upload(live(), detail::cstr(key, "key").c_str(),
                                                    opts ? opts->get() : nullptr, uid, sizeof uid, &n));
        return std::string(uid, n);
    }
    /** Upload part `number` (1-10000) from memory; keep the result's etag for completion.
     *  Only `check_content_md5` and `traffic_limit` of `opts` apply to a part. */
    PutResult upload_part(std::string_view key, std::string_view upload_id, uint32_t number, const void *data,
                          size_t len, const PutOptions *opts = nullptr) const {
        detail::PutOut out;
        check(qcos_client_upload_part(live(), detail::cstr(key, "key").c_str(),
                                      detail::cstr(upload_id, "upload_id").c_str(), number,
                                      static_cast<const uint8_t *>(data), len, opts ? opts->get() : nullptr, &out.h));
        return out.take();
    }
    /** Upload part `number` from `len` bytes of the file `path` starting at `offset`. */
    PutResult upload_part_from_file(std::string_view key, std::string_view upload_id, uint32_t number,
                                    const std::string &path, uint64_t offset, uint64_t len,
                                    const PutOptions *opts = nullptr) const {
        detail::PutOut out;
        check(qcos_client_upload_part_from_file(live(), detail::cstr(key, "key").c_str(),
                                                detail::cstr(upload_id, "upload_id").c_str(), number,
                                                detail::cstr(path, "path").c_str(), offset, len,
                                                opts ? opts->get() : nullptr, &out.h));
        return out.take();
    }
    /** Finish the upload from (part number, etag) pairs in ascending order. */
    PutResult complete_multipart_upload(std::string_view key, std::string_view upload_id,
                                        const std::vector<std::pair<uint32_t, std::string>> &parts) const {
        std::vector<uint32_t> numbers;
        std::vector<const char *> etags;
        for (const auto &p : parts) {
            numbers.push_back(p.first);
            etags.push_back(p.second.c_str());
        }
        detail::PutOut out;
        check(qcos_client_complete_multipart_upload(live(), detail::cstr(key, "key").c_str(),
                                                    detail::cstr(upload_id, "upload_id").c_str(), numbers.data(),
                                                    etags.data(), parts.size(), &out.h));
        return out.take();
    }
    /** Abort the upload: its parts are deleted. */
    void abort_multipart_upload(std::string_view key, std::string_view upload_id) const {
        check(qcos_client_abort_multipart_upload(live(), detail::cstr(key, "key").c_str(),
                                                 detail::cstr(upload_id, "upload_id").c_str()));
    }
    /** Every part the upload has on the service, in part-number order. */
    std::vector<PartSummary> list_parts(std::string_view key, std::string_view upload_id) const {
        struct List {
            qcos_part_list *h = nullptr;
            ~List() { qcos_part_list_free(h); }
        } l;
        check(qcos_client_list_parts(live(), detail::cstr(key, "key").c_str(),
                                     detail::cstr(upload_id, "upload_id").c_str(), &l.h));
        std::vector<PartSummary> out;
        for (size_t i = 0, n = qcos_part_list_count(l.h); i < n; i++)
            out.push_back({qcos_part_list_number(l.h, i), detail::str(qcos_part_list_etag(l.h, i)),
                           qcos_part_list_size(l.h, i), detail::str(qcos_part_list_last_modified(l.h, i))});
        return out;
    }
    /** The multipart uploads in progress whose keys start with `prefix`. */
    std::vector<UploadSummary> list_multipart_uploads(std::string_view prefix = {}) const {
        struct List {
            qcos_upload_list *h = nullptr;
            ~List() { qcos_upload_list_free(h); }
        } l;
        check(qcos_client_list_multipart_uploads(live(), detail::cstr(prefix, "prefix").c_str(), &l.h));
        std::vector<UploadSummary> out;
        for (size_t i = 0, n = qcos_upload_list_count(l.h); i < n; i++)
            out.push_back({detail::str(qcos_upload_list_key(l.h, i)), detail::str(qcos_upload_list_upload_id(l.h, i)),
                           detail::str(qcos_upload_list_storage_class(l.h, i)),
                           detail::str(qcos_upload_list_initiated(l.h, i))});
        return out;
    }
    /** Remove every tag of `key`. */
    void delete_object_tagging(std::string_view key, std::string_view version_id = {}) const {
        std::string v = detail::cstr(version_id, "version_id");
        check(qcos_client_delete_object_tagging(live(), detail::cstr(key, "key").c_str(),
                                                version_id.empty() ? nullptr : v.c_str()));
    }
    /** Set the ACL of `key` (PUT Object ACL); the canned ACL and grants replace the object's. */
    void put_object_acl(std::string_view key, const ObjectAcl &acl) const {
        struct Acl {
            qcos_acl *h = nullptr;
            ~Acl() { qcos_acl_free(h); }
        } a;
        check(qcos_acl_new(&a.h));
        if (acl.canned) check(qcos_acl_set_canned(a.h, detail::cstr(*acl.canned, "canned").c_str()));
        const std::pair<uint32_t, const std::vector<std::string> *> lists[] = {
            {QCOS_GRANT_KIND_READ, &acl.grant_read},
            {QCOS_GRANT_KIND_READ_ACP, &acl.grant_read_acp},
            {QCOS_GRANT_KIND_WRITE_ACP, &acl.grant_write_acp},
            {QCOS_GRANT_KIND_FULL_CONTROL, &acl.grant_full_control},
        };
        for (const auto &l : lists)
            for (const auto &id : *l.second) check(qcos_acl_add_grant(a.h, l.first, detail::cstr(id, "id").c_str()));
        check(qcos_client_put_object_acl(live(), detail::cstr(key, "key").c_str(), a.h));
    }
    /** Set the ACL of `key` from a document (PUT Object ACL with an AccessControlPolicy
     *  body): its grants replace all of the object's, exactly as listed. A policy from
     *  get_object_acl can be given back as it is (its canned ACL is not sent). */
    void put_object_acl_policy(std::string_view key, const AccessControlPolicy &policy) const {
        struct Policy {
            qcos_acl_policy *h = nullptr;
            ~Policy() { qcos_acl_policy_free(h); }
        } p;
        check(qcos_acl_policy_new(detail::cstr(policy.owner_id, "owner_id").c_str(), &p.h));
        for (const auto &g : policy.grants) {
            const std::optional<std::string> &who = g.grantee_type == "Group" ? g.uri : g.id;
            check(qcos_acl_policy_add_grant(p.h, detail::cstr(g.grantee_type, "grantee_type").c_str(),
                                            detail::cstr(who.value_or(std::string()), "grantee").c_str(),
                                            detail::cstr(g.permission, "permission").c_str()));
        }
        check(qcos_client_put_object_acl_policy(live(), detail::cstr(key, "key").c_str(), p.h));
    }
    /** The owner, canned ACL and grants of `key` (GET Object ACL). */
    AccessControlPolicy get_object_acl(std::string_view key) const {
        struct Out {
            qcos_acl_policy *h = nullptr;
            ~Out() { qcos_acl_policy_free(h); }
        } out;
        check(qcos_client_get_object_acl(live(), detail::cstr(key, "key").c_str(), &out.h));
        auto opt = [](const char *p) { return p ? std::optional<std::string>(p) : std::nullopt; };
        AccessControlPolicy p;
        p.owner_id = detail::str(qcos_acl_policy_owner_id(out.h));
        p.canned = opt(qcos_acl_policy_canned(out.h));
        for (size_t i = 0, n = qcos_acl_policy_grant_count(out.h); i < n; i++)
            p.grants.push_back({detail::str(qcos_acl_policy_grant_type(out.h, i)), opt(qcos_acl_policy_grant_id(out.h, i)),
                                opt(qcos_acl_policy_grant_uri(out.h, i)),
                                detail::str(qcos_acl_policy_grant_permission(out.h, i))});
        return p;
    }

    // -- bucket configuration: CORS, ACL, tagging ------------------------------

    /** Replace the bucket's CORS configuration (PUT Bucket CORS): 1 to 100 rules, each
     *  with an origin and a method; bad rules throw InvalidArgument before sending. */
    void put_bucket_cors(const std::vector<CorsRule> &rules) const {
        struct Rules {
            qcos_cors_rules *h = nullptr;
            ~Rules() { qcos_cors_rules_free(h); }
        } r;
        check(qcos_cors_rules_new(&r.h));
        for (const auto &rule : rules) {
            std::string id = rule.id ? detail::cstr(*rule.id, "id") : std::string();
            int64_t age = -1;
            if (rule.max_age_seconds) {
                if (*rule.max_age_seconds > static_cast<uint64_t>(INT64_MAX))
                    throw Error(Status::InvalidArgument, "max_age_seconds is too large");
                age = static_cast<int64_t>(*rule.max_age_seconds);
            }
            check(qcos_cors_rules_add_rule(r.h, rule.id ? id.c_str() : nullptr, age));
            const std::pair<uint32_t, const std::vector<std::string> *> lists[] = {
                {QCOS_CORS_FIELD_ALLOWED_ORIGIN, &rule.allowed_origins},
                {QCOS_CORS_FIELD_ALLOWED_METHOD, &rule.allowed_methods},
                {QCOS_CORS_FIELD_ALLOWED_HEADER, &rule.allowed_headers},
                {QCOS_CORS_FIELD_EXPOSE_HEADER, &rule.expose_headers},
            };
            for (const auto &l : lists)
                for (const auto &v : *l.second)
                    check(qcos_cors_rules_add_value(r.h, l.first, detail::cstr(v, "value").c_str()));
        }
        check(qcos_client_put_bucket_cors(live(), r.h));
    }
    /** The bucket's CORS rules (methods in upper case); empty when it has none. */
    std::vector<CorsRule> get_bucket_cors() const {
        struct Rules {
            qcos_cors_rules *h = nullptr;
            ~Rules() { qcos_cors_rules_free(h); }
        } r;
        check(qcos_client_get_bucket_cors(live(), &r.h));
        std::vector<CorsRule> out;
        for (size_t i = 0, n = qcos_cors_rules_count(r.h); i < n; i++) {
            CorsRule rule;
            if (const char *id = qcos_cors_rules_id(r.h, i)) rule.id = id;
            int64_t age = qcos_cors_rules_max_age(r.h, i);
            if (age >= 0) rule.max_age_seconds = static_cast<uint64_t>(age);
            const std::pair<uint32_t, std::vector<std::string> *> lists[] = {
                {QCOS_CORS_FIELD_ALLOWED_ORIGIN, &rule.allowed_origins},
                {QCOS_CORS_FIELD_ALLOWED_METHOD, &rule.allowed_methods},
                {QCOS_CORS_FIELD_ALLOWED_HEADER, &rule.allowed_headers},
                {QCOS_CORS_FIELD_EXPOSE_HEADER, &rule.expose_headers},
            };
            for (const auto &l : lists)
                for (size_t j = 0, m = qcos_cors_rules_value_count(r.h, i, l.first); j < m; j++)
                    l.second->push_back(detail::str(qcos_cors_rules_value(r.h, i, l.first, j)));
            out.push_back(std::move(rule));
        }
        return out;
    }
    /** Remove the bucket's CORS configuration (fine when there is none). */
    void delete_bucket_cors() const { check(qcos_client_delete_bucket_cors(live())); }

    /** Set the bucket's ACL (PUT Bucket ACL); the canned ACL and grants replace the bucket's. */
    void put_bucket_acl(const BucketAcl &acl) const {
        struct Acl {
            qcos_bucket_acl *h = nullptr;
            ~Acl() { qcos_bucket_acl_free(h); }
        } a;
        check(qcos_bucket_acl_new(&a.h));
        if (acl.canned) check(qcos_bucket_acl_set_canned(a.h, detail::cstr(*acl.canned, "canned").c_str()));
        const std::pair<uint32_t, const std::vector<std::string> *> lists[] = {
            {QCOS_GRANT_KIND_READ, &acl.grant_read},
            {QCOS_GRANT_KIND_WRITE, &acl.grant_write},
            {QCOS_GRANT_KIND_READ_ACP, &acl.grant_read_acp},
            {QCOS_GRANT_KIND_WRITE_ACP, &acl.grant_write_acp},
            {QCOS_GRANT_KIND_FULL_CONTROL, &acl.grant_full_control},
        };
        for (const auto &l : lists)
            for (const auto &id : *l.second)
                check(qcos_bucket_acl_add_grant(a.h, l.first, detail::cstr(id, "id").c_str()));
        check(qcos_client_put_bucket_acl(live(), a.h));
    }
    /** The bucket's owner, canned ACL and grants (GET Bucket ACL). */
    AccessControlPolicy get_bucket_acl() const {
        struct Out {
            qcos_acl_policy *h = nullptr;
            ~Out() { qcos_acl_policy_free(h); }
        } out;
        check(qcos_client_get_bucket_acl(live(), &out.h));
        auto opt = [](const char *p) { return p ? std::optional<std::string>(p) : std::nullopt; };
        AccessControlPolicy p;
        p.owner_id = detail::str(qcos_acl_policy_owner_id(out.h));
        p.canned = opt(qcos_acl_policy_canned(out.h));
        for (size_t i = 0, n = qcos_acl_policy_grant_count(out.h); i < n; i++)
            p.grants.push_back({detail::str(qcos_acl_policy_grant_type(out.h, i)), opt(qcos_acl_policy_grant_id(out.h, i)),
                                opt(qcos_acl_policy_grant_uri(out.h, i)),
                                detail::str(qcos_acl_policy_grant_permission(out.h, i))});
        return p;
    }

    /** Replace the bucket's tags (PUT Bucket tagging): at most 50, unique non-empty keys. */
    void put_bucket_tagging(const std::vector<std::pair<std::string, std::string>> &tags) const {
        struct Tags {
            qcos_tags *h = nullptr;
            ~Tags() { qcos_tags_free(h); }
        } t;
        check(qcos_bucket_tags_new(&t.h));
        for (const auto &kv : tags)
            check(qcos_tags_add(t.h, detail::cstr(kv.first, "key").c_str(), detail::cstr(kv.second, "value").c_str()));
        check(qcos_client_put_bucket_tagging(live(), t.h));
    }
    /** The bucket's tags, in COS's order; empty when it has none. */
    std::vector<std::pair<std::string, std::string>> get_bucket_tagging() const {
        struct Tags {
            qcos_tags *h = nullptr;
            ~Tags() { qcos_tags_free(h); }
        } t;
        check(qcos_client_get_bucket_tagging(live(), &t.h));
        std::vector<std::pair<std::string, std::string>> out;
        for (size_t i = 0, n = qcos_tags_count(t.h); i < n; i++)
            out.emplace_back(detail::str(qcos_tags_key(t.h, i)), detail::str(qcos_tags_value(t.h, i)));
        return out;
    }
    /** Remove every tag of the bucket. */
    void delete_bucket_tagging() const { check(qcos_client_delete_bucket_tagging(live())); }

    // -- delete, copy, list -----------------------------------------------------

    void delete_object(std::string_view key) const {
        check(qcos_client_delete_object(live(), detail::cstr(key, "key").c_str()));
    }
    /** Delete up to 1000 keys with one request; check the result's errors. */
    DeleteResult delete_objects(const std::vector<std::string> &keys, bool quiet = false) const {
        std::vector<const char *> ptrs;
        ptrs.reserve(keys.size());
        for (const auto &k : keys) {
            if (k.find('\0') != std::string::npos)
                throw Error(Status::InvalidArgument, "argument `keys` contains a NUL character");
            ptrs.push_back(k.c_str());
        }
        struct Out {
            qcos_delete_result *h = nullptr;
            ~Out() { qcos_delete_result_free(h); }
        } out;
        check(qcos_client_delete_objects(live(), ptrs.empty() ? nullptr : ptrs.data(), ptrs.size(), quiet, &out.h));
        DeleteResult r;
        for (size_t i = 0, n = qcos_delete_result_deleted_count(out.h); i < n; i++)
            r.deleted.push_back(detail::str(qcos_delete_result_deleted_key(out.h, i)));
        for (size_t i = 0, n = qcos_delete_result_error_count(out.h); i < n; i++)
            r.errors.push_back({detail::str(qcos_delete_result_error_key(out.h, i)),
                                detail::str(qcos_delete_result_error_code(out.h, i)),
                                detail::str(qcos_delete_result_error_message(out.h, i))});
        return r;
    }
    /** PUT Object - Copy into `key`. `replace`: nullptr keeps the source's metadata. */
    PutResult copy_object(std::string_view key, std::string_view src_bucket, std::string_view src_region,
                          std::string_view src_key, std::string_view src_version_id = {},
                          const PutOptions *replace = nullptr) const {
        detail::PutOut out;
        std::string version = detail::cstr(src_version_id, "src_version_id");
        check(qcos_client_copy_object(live(), detail::cstr(key, "key").c_str(), detail::cstr(src_bucket, "src_bucket").c_str(),
                                      detail::cstr(src_region, "src_region").c_str(), detail::cstr(src_key, "src_key").c_str(),
                                      version.empty() ? nullptr : version.c_str(), raw(replace), &out.h));
        return out.take();
    }
    /** Start a listing (no request until ObjectList::next). `max_keys` 0 = COS's default. */
    ObjectList list_objects(std::string_view prefix = {}, std::string_view delimiter = {}, std::string_view marker = {},
                            uint32_t max_keys = 0) const {
        std::string p = detail::cstr(prefix, "prefix"), d = detail::cstr(delimiter, "delimiter"),
                    m = detail::cstr(marker, "marker");
        qcos_list *l = nullptr;
        check(qcos_client_list_objects(live(), p.empty() ? nullptr : p.c_str(), d.empty() ? nullptr : d.c_str(),
                                       m.empty() ? nullptr : m.c_str(), max_keys, &l));
        return ObjectList(l, provider_);
    }

    // -- transfers -----------------------------------------------------------------

    /** Upload a local file: one PUT up to slice_size, else a parallel, resumable
     *  multipart upload, CRC-64 checked. `progress` runs on this thread. */
    TransferResult upload_file(std::string_view key, const std::string &path, const PutOptions *put = nullptr,
                               const TransferOptions *opts = nullptr, ProgressFn progress = nullptr) const {
        detail::TransferState state;
        state.progress = std::move(progress);
        detail::TransferOut out;
        qcos_status st = qcos_upload_file(live(), detail::cstr(key, "key").c_str(), detail::cstr(path, "path").c_str(),
                                          raw(put), raw(opts), state.progress_cb(), &state, &out.h);
        finish(st, state);
        return out.take();
    }
    /** Upload exactly `length` bytes from `reader(buf, cap)` (returns bytes written). */
    TransferResult upload_from_reader(std::string_view key, uint64_t length, std::function<size_t(uint8_t *, size_t)> reader,
                                      const PutOptions *put = nullptr, const TransferOptions *opts = nullptr,
                                      ProgressFn progress = nullptr) const {
        detail::TransferState state;
        state.reader = std::move(reader);
        state.progress = std::move(progress);
        detail::TransferOut out;
        qcos_status st = qcos_upload_from_callback(live(), detail::cstr(key, "key").c_str(), length,
                                                   &detail::TransferState::on_read, &state, raw(put), raw(opts),
                                                   state.progress_cb(), &state, &out.h);
        finish(st, state);
        return out.take();
    }
    /** Upload everything `reader` produces until it returns 0 (unknown length). */
    TransferResult upload_from_stream(std::string_view key, std::function<size_t(uint8_t *, size_t)> reader,
                                      const PutOptions *put = nullptr, const TransferOptions *opts = nullptr,
                                      ProgressFn progress = nullptr) const {
        detail::TransferState state;
        state.reader = std::move(reader);
        state.progress = std::move(progress);
        detail::TransferOut out;
        qcos_status st = qcos_upload_from_stream(live(), detail::cstr(key, "key").c_str(), &detail::TransferState::on_read,
                                                 &state, raw(put), raw(opts), state.progress_cb(), &state, &out.h);
        finish(st, state);
        return out.take();
    }
    /** Download `key` to a local file with parallel ranged GETs; resumable. */
    TransferResult download_file(std::string_view key, const std::string &path, const TransferOptions *opts = nullptr,
                                 ProgressFn progress = nullptr) const {
        detail::TransferState state;
        state.progress = std::move(progress);
        detail::TransferOut out;
        qcos_status st = qcos_download_file(live(), detail::cstr(key, "key").c_str(), detail::cstr(path, "path").c_str(),
                                            raw(opts), state.progress_cb(), &state, &out.h);
        finish(st, state);
        return out.take();
    }
    /** Download `key` into the caller's buffer with parallel ranged GETs; returns
     *  its size. Error BufferTooSmall with needed() when it does not fit. */
    size_t download_to_buffer(std::string_view key, void *buf, size_t cap, const TransferOptions *opts = nullptr,
                              ProgressFn progress = nullptr) const {
        detail::TransferState state;
        state.progress = std::move(progress);
        size_t n = 0;
        qcos_status st = qcos_download_to_buffer(live(), detail::cstr(key, "key").c_str(), static_cast<uint8_t *>(buf),
                                                 cap, &n, raw(opts), state.progress_cb(), &state, nullptr);
        if (st == QCOS_STATUS_BUFFER_TOO_SMALL) throw Error::last(st).with_needed(n);
        finish(st, state);
        return n;
    }
    /** Server-side copy of any size (multipart above copy_slice_size). */
    TransferResult slice_copy(std::string_view key, std::string_view src_bucket, std::string_view src_region,
                              std::string_view src_key, std::string_view src_version_id = {},
                              const PutOptions *replace = nullptr, const TransferOptions *opts = nullptr,
                              ProgressFn progress = nullptr) const {
        detail::TransferState state;
        state.progress = std::move(progress);
        detail::TransferOut out;
        std::string version = detail::cstr(src_version_id, "src_version_id");
        qcos_status st = qcos_slice_copy(live(), detail::cstr(key, "key").c_str(), detail::cstr(src_bucket, "src_bucket").c_str(),
                                         detail::cstr(src_region, "src_region").c_str(), detail::cstr(src_key, "src_key").c_str(),
                                         version.empty() ? nullptr : version.c_str(), raw(replace), raw(opts),
                                         state.progress_cb(), &state, &out.h);
        finish(st, state);
        return out.take();
    }

    // -- signing for others ------------------------------------------------------

    /** A presigned URL for one `method` request on `key` (no request is sent). */
    std::string presign_url(std::string_view method, std::string_view key, const SignOptions *opts = nullptr) const {
        std::string m = detail::cstr(method, "method"), k = detail::cstr(key, "key");
        size_t n = 0;
        std::string buf(1024, '\0');
        for (int attempt = 0; attempt < 5; attempt++) {
            qcos_status st = qcos_presign_url(live(), m.c_str(), k.c_str(), opts ? opts->get() : nullptr, &buf[0],
                                              buf.size(), &n);
            if (st == QCOS_STATUS_BUFFER_TOO_SMALL) {
                buf.assign(n + 64, '\0');  // the length may change by a digit between calls
                continue;
            }
            check(st);
            buf.resize(n);
            return buf;
        }
        throw Error(Status::Internal, "the presigned URL kept changing length");
    }
    /** Sign a request that someone else will send. */
    Signature sign(std::string_view method, std::string_view key, const SignOptions *opts = nullptr) const {
        struct Out {
            qcos_signature *h = nullptr;
            ~Out() { qcos_signature_free(h); }
        } out;
        check(qcos_sign(live(), detail::cstr(method, "method").c_str(), detail::cstr(key, "key").c_str(),
                        opts ? opts->get() : nullptr, &out.h));
        Signature s;
        s.authorization = detail::str(qcos_signature_authorization(out.h));
        s.query = detail::str(qcos_signature_query(out.h));
        for (size_t i = 0, n = qcos_signature_header_count(out.h); i < n; i++)
            s.headers.emplace_back(detail::str(qcos_signature_header_name(out.h, i)),
                                   detail::str(qcos_signature_header_value(out.h, i)));
        s.start_time = qcos_signature_start_time(out.h);
        s.end_time = qcos_signature_end_time(out.h);
        return s;
    }
    /** The signed form fields of a browser POST Object upload. */
    PostForm post_policy(const PostPolicyOptions &opts) const {
        struct Out {
            qcos_post_form *h = nullptr;
            ~Out() { qcos_post_form_free(h); }
        } out;
        check(qcos_post_policy(live(), opts.get(), &out.h));
        PostForm f;
        f.url = detail::str(qcos_post_form_url(out.h));
        f.policy_json = detail::str(qcos_post_form_policy_json(out.h));
        for (size_t i = 0, n = qcos_post_form_field_count(out.h); i < n; i++)
            f.fields.emplace_back(detail::str(qcos_post_form_field_name(out.h, i)),
                                  detail::str(qcos_post_form_field_value(out.h, i)));
        return f;
    }

    // -- buckets -----------------------------------------------------------------

    void head_bucket() const { check(qcos_client_head_bucket(live())); }
    void create_bucket() const { check(qcos_client_create_bucket(live())); }
    void delete_bucket() const { check(qcos_client_delete_bucket(live())); }
    std::vector<BucketInfo> list_buckets() const {
        struct Out {
            qcos_bucket_list *h = nullptr;
            ~Out() { qcos_bucket_list_free(h); }
        } out;
        check(qcos_client_list_buckets(live(), &out.h));
        std::vector<BucketInfo> v;
        for (size_t i = 0, n = qcos_bucket_list_count(out.h); i < n; i++)
            v.push_back({detail::str(qcos_bucket_list_name(out.h, i)), detail::str(qcos_bucket_list_region(out.h, i)),
                         detail::str(qcos_bucket_list_creation_date(out.h, i))});
        return v;
    }

private:
    const qcos_client *live() const {
        if (!c_) throw Error(Status::InvalidState, "this qcos::Client was moved from");
        return c_;
    }
    /** Throw for a failed status; an Auth failure caused by the provider names its exception. */
    void check(qcos_status st) const {
        if (st != QCOS_STATUS_OK) raise(st, Error::last(st));
    }
    /** After a call with a callback: rethrow the callback's exception, else as check(). */
    void finish(qcos_status st, detail::CallbackState &state) const {
        if (st == QCOS_STATUS_OK) return;
        Error e = Error::last(st);  // read first: nothing else may touch the last error
        state.rethrow_if_failed();
        raise(st, e);
    }
    [[noreturn]] void raise(qcos_status st, const Error &e) const {
        if (provider_ && st == QCOS_STATUS_AUTH) {
            if (std::exception_ptr c = provider_->take_error())
                throw Error(Status::Auth, e.message() + " (the credentials provider threw: " + detail::what_of(c) + ")")
                    .with_cause(c);
        }
        throw e;
    }

    const qcos_client *c_ = nullptr;
    std::shared_ptr<detail::ProviderState> provider_;
};

/** One task queued by Queue::upload_directory or Queue::download_prefix. */
struct DirTask {
    std::string key;
    /** The local file (uploaded, or written by the download). */
    std::string path;
    uint64_t task = 0;
};

/** Background transfers with pause, resume, cancel, wait and events. Move-only.
 *  The destructor stops the event callback, cancels waiting and running tasks and
 *  joins the queue's threads. */
class Queue {
public:
    using EventFn = std::function<void(const qcos_queue_event &)>;

    explicit Queue(const Client &client) : state_(std::make_unique<CbState>()) {
        detail::check(qcos_queue_new(client.get(), &q_));
    }
    Queue(Queue &&o) noexcept : q_(std::exchange(o.q_, nullptr)), state_(std::move(o.state_)) {}
    Queue &operator=(Queue &&o) noexcept {
        if (this != &o) {
            qcos_queue_free(q_);
            q_ = std::exchange(o.q_, nullptr);
            state_ = std::move(o.state_);
        }
        return *this;
    }
    Queue(const Queue &) = delete;
    Queue &operator=(const Queue &) = delete;
    ~Queue() { qcos_queue_free(q_); }

    uint64_t upload(std::string_view key, const std::string &path, const PutOptions *put = nullptr,
                    const TransferOptions *opts = nullptr) const {
        uint64_t task = 0;
        detail::check(qcos_queue_upload(live(), detail::cstr(key, "key").c_str(), detail::cstr(path, "path").c_str(),
                                        raw(put), raw(opts), &task));
        return task;
    }
    uint64_t download(std::string_view key, const std::string &path, const TransferOptions *opts = nullptr) const {
        uint64_t task = 0;
        detail::check(qcos_queue_download(live(), detail::cstr(key, "key").c_str(), detail::cstr(path, "path").c_str(),
                                          raw(opts), &task));
        return task;
    }
    /** Queue a server-side copy of any size (Client::slice_copy as a task); pause keeps,
     *  resume continues and cancel aborts its multipart copy. */
    uint64_t copy(std::string_view key, std::string_view src_bucket, std::string_view src_region,
                  std::string_view src_key, std::string_view src_version_id = {}, const PutOptions *replace = nullptr,
                  const TransferOptions *opts = nullptr) const {
        uint64_t task = 0;
        std::string version = detail::cstr(src_version_id, "src_version_id");
        detail::check(qcos_queue_copy(live(), detail::cstr(key, "key").c_str(),
                                      detail::cstr(src_bucket, "src_bucket").c_str(),
                                      detail::cstr(src_region, "src_region").c_str(),
                                      detail::cstr(src_key, "src_key").c_str(),
                                      version.empty() ? nullptr : version.c_str(), raw(replace), raw(opts), &task));
        return task;
    }
    /** One upload per regular file under `dir` (recursively) as `prefix` + relative path;
     *  symbolic links are skipped. Everything is checked first: a bad file name throws
     *  (InvalidArgument, naming the file) and queues nothing. */
    std::vector<DirTask> upload_directory(const std::string &dir, std::string_view prefix,
                                          const PutOptions *put = nullptr,
                                          const TransferOptions *opts = nullptr) const {
        TaskList l;
        detail::check(qcos_queue_upload_directory(live(), detail::cstr(dir, "dir").c_str(),
                                                  detail::cstr(prefix, "prefix").c_str(), raw(put), raw(opts),
                                                  &l.h));
        return l.items();
    }
    /** One download per object under `prefix` into `dir` (created if missing); a key
     *  ending in "/" only makes its directory. A hostile key (`..`, absolute, empty
     *  segment, backslash, control character, a path through a symbolic link in `dir`)
     *  throws InvalidArgument naming it, with nothing queued or written. */
    std::vector<DirTask> download_prefix(std::string_view prefix, const std::string &dir,
                                         const TransferOptions *opts = nullptr) const {
        TaskList l;
        detail::check(qcos_queue_download_prefix(live(), detail::cstr(prefix, "prefix").c_str(),
                                                 detail::cstr(dir, "dir").c_str(), raw(opts), &l.h));
        return l.items();
    }
    using ReadFn = std::function<size_t(uint8_t *, size_t)>;
    /** Queue the upload of what `reader(buf, cap)` produces (it returns the bytes written,
     *  at most `cap`; 0 = the end): exactly `length` bytes, or with std::nullopt a stream
     *  read to its end. Returns the task id at once. `reader` runs on a queue worker
     *  thread, never after the task ended or the Queue was destroyed; the Queue keeps it
     *  (and what it captures) alive until then. Such a task can be neither paused nor
     *  resumed (Error InvalidState). A `reader` that throws (or returns more than `cap`)
     *  cancels its task; the exception is kept in callback_errors(). */
    uint64_t upload_from_reader(std::string_view key, std::optional<uint64_t> length, ReadFn reader,
                                const PutOptions *put = nullptr, const TransferOptions *opts = nullptr) {
        if (!reader) throw Error(Status::InvalidArgument, "reader: empty std::function");
        prune_readers();
        auto r = std::make_unique<ReaderState>();
        r->fn = std::move(reader);
        r->owner = state_.get();
        uint64_t task = 0;
        detail::check(qcos_queue_upload_from_callback(live(), detail::cstr(key, "key").c_str(),
                                                      length ? *length : UINT64_MAX, &ReaderState::trampoline,
                                                      r.get(), raw(put), raw(opts), &task));
        std::lock_guard<std::mutex> g(state_->mu);
        state_->readers[task] = std::move(r);
        return task;
    }
    void pause(uint64_t task) const { detail::check(qcos_queue_pause(live(), task)); }
    void resume(uint64_t task) const { detail::check(qcos_queue_resume(live(), task)); }
    void cancel(uint64_t task) const { detail::check(qcos_queue_cancel(live(), task)); }
    /** Wait for a final state; timeout_ms < 0 waits for ever (Error Timeout otherwise). */
    qcos_task_state wait(uint64_t task, int64_t timeout_ms = -1) const {
        qcos_task_state st = QCOS_TASK_STATE_WAITING;
        detail::check(qcos_queue_wait(live(), task, timeout_ms, &st));
        // Ended: its reader (if any) is never called again.
        std::lock_guard<std::mutex> g(state_->mu);
        state_->readers.erase(task);
        return st;
    }
    /** The next event within timeout_ms, or nothing. */
    std::optional<qcos_queue_event> next_event(uint32_t timeout_ms = 0) const {
        qcos_queue_event ev{};
        bool has = false;
        detail::check(qcos_queue_next_event(live(), timeout_ms, &ev, &has));
        if (!has) return std::nullopt;
        return ev;
    }
    /** Send every event to `fn` on the queue's event thread (nullptr stops it).
     *  Exceptions from `fn` are caught and kept (callback_errors()). */
    void set_event_callback(EventFn fn) {
        if (!fn) {
            detail::check(qcos_queue_set_event_callback(live(), nullptr, nullptr));
            std::lock_guard<std::mutex> g(state_->mu);
            state_->fn = nullptr;
            return;
        }
        // Unregister first so the old std::function is not running while replaced.
        detail::check(qcos_queue_set_event_callback(live(), nullptr, nullptr));
        {
            std::lock_guard<std::mutex> g(state_->mu);
            state_->fn = std::move(fn);
        }
        detail::check(qcos_queue_set_event_callback(live(), &CbState::trampoline, state_.get()));
    }
    /** Exceptions the event callback threw (it never lets one reach C). */
    std::vector<std::exception_ptr> callback_errors() const {
        std::lock_guard<std::mutex> g(state_->mu);
        return state_->errors;
    }
    TaskInfo task_info(uint64_t task) const {
        struct Out {
            qcos_task_info *h = nullptr;
            ~Out() { qcos_task_info_free(h); }
        } out;
        detail::check(qcos_queue_task_info(live(), task, &out.h));
        const qcos_task_info *h = out.h;
        TaskInfo i;
        i.id = qcos_task_info_id(h);
        i.is_upload = qcos_task_info_is_upload(h);
        i.state = qcos_task_info_state(h);
        i.key = detail::str(qcos_task_info_key(h));
        i.path = detail::str(qcos_task_info_path(h));
        i.loaded = qcos_task_info_loaded(h);
        i.total = qcos_task_info_total(h);
        i.total_known = qcos_task_info_total_known(h);
        i.speed = qcos_task_info_speed(h);
        i.error_status = static_cast<Status>(qcos_task_info_error_status(h));
        i.error_message = detail::str(qcos_task_info_error_message(h));
        i.error_http_status = qcos_task_info_error_http_status(h);
        i.error_code = detail::str(qcos_task_info_error_code(h));
        i.error_request_id = detail::str(qcos_task_info_error_request_id(h));
        i.etag = detail::str(qcos_task_info_etag(h));
        i.crc64 = qcos_task_info_crc64(h);
        i.crc64_verified = qcos_task_info_crc64_verified(h);
        i.version_id = detail::str(qcos_task_info_version_id(h));
        i.size = qcos_task_info_size(h);
        i.is_copy = qcos_task_info_is_copy(h);
        i.source_bucket = detail::str(qcos_task_info_source_bucket(h));
        i.source_region = detail::str(qcos_task_info_source_region(h));
        i.source_key = detail::str(qcos_task_info_source_key(h));
        i.source_version_id = detail::str(qcos_task_info_source_version_id(h));
        i.upload_id = detail::str(qcos_task_info_upload_id(h));
        i.is_stream = qcos_task_info_is_stream(h);
        return i;
    }
    static const char *state_str(qcos_task_state s) noexcept { return qcos_task_state_str(static_cast<uint32_t>(s)); }
    const qcos_queue *get() const noexcept { return q_; }

private:
    struct CbState;
    /** One upload_from_reader task's reader; its address is the C callback's user_data. */
    struct ReaderState {
        ReadFn fn;
        CbState *owner = nullptr;
        static int trampoline(void *ud, uint8_t *buf, size_t cap, size_t *n_out) noexcept {
            auto *s = static_cast<ReaderState *>(ud);
            try {
                size_t n = s->fn(buf, cap);
                if (n > cap) throw Error(Status::InvalidArgument, "reader returned more bytes than the buffer holds");
                *n_out = n;
                return 0;
            } catch (...) {
                std::lock_guard<std::mutex> g(s->owner->mu);
                s->owner->errors.push_back(std::current_exception());
                return 1;
            }
        }
    };
    /** Drop the readers of tasks that ended (or left the queue). */
    void prune_readers() {
        std::vector<uint64_t> held;
        {
            std::lock_guard<std::mutex> g(state_->mu);
            for (const auto &kv : state_->readers) held.push_back(kv.first);
        }
        for (uint64_t t : held) {
            qcos_task_info *h = nullptr;
            qcos_status st = qcos_queue_task_info(live(), t, &h);
            bool ended = st == QCOS_STATUS_NOT_FOUND;
            if (st == QCOS_STATUS_OK) {
                qcos_task_state s = qcos_task_info_state(h);
                ended = s == QCOS_TASK_STATE_SUCCEEDED || s == QCOS_TASK_STATE_FAILED || s == QCOS_TASK_STATE_CANCELLED;
            }
            qcos_task_info_free(h);
            if (ended) {
                std::lock_guard<std::mutex> g(state_->mu);
                state_->readers.erase(t);
            }
        }
    }
    struct CbState {
        std::mutex mu;
        EventFn fn;
        std::vector<std::exception_ptr> errors;
        /** Readers of upload_from_reader tasks, kept until the task ended or the queue was
         *  freed (qcos_queue_free runs before this state is destroyed). */
        std::map<uint64_t, std::unique_ptr<ReaderState>> readers;
        static void trampoline(void *ud, const qcos_queue_event *ev) noexcept {
            auto *s = static_cast<CbState *>(ud);
            try {
                s->fn(*ev);
            } catch (...) {
                std::lock_guard<std::mutex> g(s->mu);
                s->errors.push_back(std::current_exception());
            }
        }
    };
    /** Owns a qcos_task_list. */
    struct TaskList {
        qcos_task_list *h = nullptr;
        TaskList() = default;
        TaskList(const TaskList &) = delete;
        TaskList &operator=(const TaskList &) = delete;
        ~TaskList() { qcos_task_list_free(h); }
        std::vector<DirTask> items() const {
            std::vector<DirTask> out;
            for (size_t i = 0, n = qcos_task_list_count(h); i < n; i++)
                out.push_back({detail::str(qcos_task_list_key(h, i)), detail::str(qcos_task_list_path(h, i)),
                               qcos_task_list_id(h, i)});
            return out;
        }
    };
    const qcos_queue *live() const {
        if (!q_) throw Error(Status::InvalidState, "this qcos::Queue was moved from");
        return q_;
    }
    qcos_queue *q_ = nullptr;
    std::unique_ptr<CbState> state_;
};

}  // namespace qcos

#endif  // QCOS_HPP
