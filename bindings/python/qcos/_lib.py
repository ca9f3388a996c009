"""Loading ``libqcos`` and declaring the C prototypes.

Every function of ``include/qcos.h`` is declared here with its ``argtypes`` and
``restype`` (the default ``restype`` of ``c_int`` would truncate 64-bit pointers).
``tests/test_abi.py`` parses the header and checks this table against it, so a
function added to the C API fails the suite until it is declared here.

Where the library is looked for, in order:

1. ``QCOS_LIBRARY``: an explicit path to ``libqcos.so`` (an error if it does not
   exist);
2. next to this package (``pip install`` copies the library built by cargo there);
3. the system's library path (``ctypes.util.find_library("qcos")``, then
   ``libqcos.so``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_double,
    c_int,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Dict, List, Tuple

__all__ = [
    "lib",
    "library_path",
    "CREDENTIALS_CB",
    "READ_CB",
    "WRITE_CB",
    "PROGRESS_CB",
    "QUEUE_EVENT_CB",
    "ProgressStruct",
    "QueueEventStruct",
    "PROTOTYPES",
]

#: ``int (*qcos_credentials_cb)(void *user_data, qcos_credentials *out)``
CREDENTIALS_CB = CFUNCTYPE(c_int, c_void_p, c_void_p)
#: ``int (*qcos_read_cb)(void *user_data, uint8_t *buf, size_t cap, size_t *n_out)``
READ_CB = CFUNCTYPE(c_int, c_void_p, POINTER(c_uint8), c_size_t, POINTER(c_size_t))
#: ``int (*qcos_write_cb)(void *user_data, const uint8_t *data, size_t len)``
WRITE_CB = CFUNCTYPE(c_int, c_void_p, POINTER(c_uint8), c_size_t)


class ProgressStruct(Structure):
    """``qcos_progress``."""

    _fields_ = [
        ("loaded", c_uint64),
        ("total", c_uint64),
        ("total_known", c_bool),
        ("speed", c_double),
        ("percent", c_double),
    ]


class QueueEventStruct(Structure):
    """``qcos_queue_event`` (``kind`` and ``state`` are C enums: int)."""

    _fields_ = [
        ("task", c_uint64),
        ("kind", c_int),
        ("state", c_int),
        ("loaded", c_uint64),
        ("total", c_uint64),
        ("total_known", c_bool),
        ("speed", c_double),
    ]


#: ``int (*qcos_progress_cb)(void *user_data, const qcos_progress *p)``
PROGRESS_CB = CFUNCTYPE(c_int, c_void_p, POINTER(ProgressStruct))
#: ``void (*qcos_queue_event_cb)(void *user_data, const qcos_queue_event *event)``
QUEUE_EVENT_CB = CFUNCTYPE(None, c_void_p, POINTER(QueueEventStruct))

# name: (restype, argtypes). Handles are c_void_p; `qcos_status` is c_int.
PROTOTYPES: Dict[str, Tuple[object, List[object]]] = {
    "qcos_version": (c_char_p, []),
    "qcos_version_number": (c_uint32, []),
    "qcos_last_error_status": (c_int, []),
    "qcos_last_error_message": (c_char_p, []),
    "qcos_last_error_http_status": (c_uint16, []),
    "qcos_last_error_code": (c_char_p, []),
    "qcos_last_error_request_id": (c_char_p, []),
    "qcos_last_error_trace_id": (c_char_p, []),
    "qcos_last_error_resource": (c_char_p, []),
    "qcos_status_str": (c_char_p, [c_uint32]),
    "qcos_config_new": (c_int, [c_char_p, c_char_p, POINTER(c_void_p)]),
    "qcos_config_from_env": (c_int, [POINTER(c_void_p)]),
    "qcos_config_free": (None, [c_void_p]),
    "qcos_config_set_region": (c_int, [c_void_p, c_char_p]),
    "qcos_config_set_bucket": (c_int, [c_void_p, c_char_p]),
    "qcos_config_set_credentials": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_config_set_temporary_credentials": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_int64, c_int64]),
    "qcos_config_set_credentials_provider": (c_int, [c_void_p, CREDENTIALS_CB, c_void_p]),
    "qcos_credentials_set": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_int64, c_int64]),
    "qcos_config_set_protocol": (c_int, [c_void_p, c_uint32]),
    "qcos_config_set_domain": (c_int, [c_void_p, c_char_p]),
    "qcos_config_set_endpoint": (c_int, [c_void_p, c_char_p]),
    "qcos_config_set_user_agent": (c_int, [c_void_p, c_char_p]),
    "qcos_config_set_path_style": (c_int, [c_void_p, c_bool]),
    "qcos_config_set_use_accelerate": (c_int, [c_void_p, c_bool]),
    "qcos_config_set_timeout_ms": (c_int, [c_void_p, c_uint64]),
    "qcos_config_set_connect_timeout_ms": (c_int, [c_void_p, c_uint64]),
    "qcos_config_set_io_timeout_ms": (c_int, [c_void_p, c_uint64]),
    "qcos_config_set_max_retries": (c_int, [c_void_p, c_uint32]),
    "qcos_config_set_retry_base_delay_ms": (c_int, [c_void_p, c_uint64]),
    "qcos_config_set_correct_clock_skew": (c_int, [c_void_p, c_bool]),
    "qcos_config_set_sign_expires_secs": (c_int, [c_void_p, c_int64]),
    "qcos_config_set_credential_refresh_margin_secs": (c_int, [c_void_p, c_int64]),
    "qcos_config_set_slice_size": (c_int, [c_void_p, c_uint64]),
    "qcos_config_set_chunk_size": (c_int, [c_void_p, c_uint64]),
    "qcos_config_set_chunk_parallel_limit": (c_int, [c_void_p, c_size_t]),
    "qcos_config_set_file_parallel_limit": (c_int, [c_void_p, c_size_t]),
    "qcos_config_set_chunk_retry_times": (c_int, [c_void_p, c_uint32]),
    "qcos_config_set_copy_slice_size": (c_int, [c_void_p, c_uint64]),
    "qcos_config_set_copy_chunk_size": (c_int, [c_void_p, c_uint64]),
    "qcos_config_set_copy_chunk_parallel_limit": (c_int, [c_void_p, c_size_t]),
    "qcos_config_set_progress_interval_ms": (c_int, [c_void_p, c_uint64]),
    "qcos_config_set_upload_queue_size": (c_int, [c_void_p, c_size_t]),
    "qcos_config_set_upload_check_content_md5": (c_int, [c_void_p, c_bool]),
    "qcos_config_set_upload_add_meta_md5": (c_int, [c_void_p, c_bool]),
    "qcos_config_set_auto_switch_host": (c_int, [c_void_p, c_bool]),
    "qcos_config_set_service_domain": (c_int, [c_void_p, c_char_p]),
    "qcos_client_new": (c_int, [c_void_p, POINTER(c_void_p)]),
    "qcos_client_free": (None, [c_void_p]),
    "qcos_client_put_object": (c_int, [c_void_p, c_char_p, c_void_p, c_size_t, c_void_p, POINTER(c_void_p)]),
    "qcos_client_put_object_from_file": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, POINTER(c_void_p)]),
    "qcos_client_put_object_from_callback": (c_int, [c_void_p, c_char_p, c_uint64, READ_CB, c_void_p, c_void_p, POINTER(c_void_p)]),
    "qcos_client_get_object": (c_int, [c_void_p, c_char_p, c_void_p, POINTER(c_void_p), POINTER(c_void_p)]),
    "qcos_client_get_object_to_buffer": (c_int, [c_void_p, c_char_p, c_void_p, c_void_p, c_size_t, POINTER(c_size_t), POINTER(c_void_p)]),
    "qcos_client_get_object_to_file": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, POINTER(c_void_p)]),
    "qcos_client_get_object_to_callback": (c_int, [c_void_p, c_char_p, c_void_p, WRITE_CB, c_void_p, POINTER(c_void_p)]),
    "qcos_client_head_object": (c_int, [c_void_p, c_char_p, c_void_p, POINTER(c_void_p)]),
    "qcos_client_delete_object": (c_int, [c_void_p, c_char_p]),
    "qcos_client_delete_objects": (c_int, [c_void_p, POINTER(c_char_p), c_size_t, c_bool, POINTER(c_void_p)]),
    "qcos_client_copy_object": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_void_p, POINTER(c_void_p)]),
    "qcos_client_head_bucket": (c_int, [c_void_p]),
    "qcos_client_create_bucket": (c_int, [c_void_p]),
    "qcos_client_delete_bucket": (c_int, [c_void_p]),
    "qcos_client_list_buckets": (c_int, [c_void_p, POINTER(c_void_p)]),
    "qcos_put_options_new": (c_int, [POINTER(c_void_p)]),
    "qcos_put_options_free": (None, [c_void_p]),
    "qcos_put_options_set_content_type": (c_int, [c_void_p, c_char_p]),
    "qcos_put_options_set_cache_control": (c_int, [c_void_p, c_char_p]),
    "qcos_put_options_set_content_disposition": (c_int, [c_void_p, c_char_p]),
    "qcos_put_options_set_content_encoding": (c_int, [c_void_p, c_char_p]),
    "qcos_put_options_set_expires": (c_int, [c_void_p, c_char_p]),
    "qcos_put_options_set_storage_class": (c_int, [c_void_p, c_char_p]),
    "qcos_put_options_add_meta": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_put_options_add_header": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_put_options_set_check_content_md5": (c_int, [c_void_p, c_bool]),
    "qcos_put_options_set_add_meta_md5": (c_int, [c_void_p, c_bool]),
    "qcos_put_options_set_traffic_limit": (c_int, [c_void_p, c_uint64]),
    "qcos_get_options_new": (c_int, [POINTER(c_void_p)]),
    "qcos_get_options_free": (None, [c_void_p]),
    "qcos_get_options_set_range": (c_int, [c_void_p, c_uint64, c_uint64]),
    "qcos_get_options_set_range_from": (c_int, [c_void_p, c_uint64]),
    "qcos_get_options_set_if_match": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_if_none_match": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_if_modified_since": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_if_unmodified_since": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_response_content_type": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_response_content_disposition": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_response_content_encoding": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_response_content_language": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_response_cache_control": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_response_expires": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_version_id": (c_int, [c_void_p, c_char_p]),
    "qcos_get_options_set_traffic_limit": (c_int, [c_void_p, c_uint64]),
    "qcos_buffer_data": (c_void_p, [c_void_p]),
    "qcos_buffer_len": (c_size_t, [c_void_p]),
    "qcos_buffer_free": (None, [c_void_p]),
    "qcos_object_info_http_status": (c_uint16, [c_void_p]),
    "qcos_object_info_content_length": (c_uint64, [c_void_p]),
    "qcos_object_info_has_crc64": (c_bool, [c_void_p]),
    "qcos_object_info_crc64": (c_uint64, [c_void_p]),
    "qcos_object_info_meta_count": (c_size_t, [c_void_p]),
    "qcos_object_info_meta_name": (c_char_p, [c_void_p, c_size_t]),
    "qcos_object_info_meta_value": (c_char_p, [c_void_p, c_size_t]),
    "qcos_object_info_meta_get": (c_char_p, [c_void_p, c_char_p]),
    "qcos_object_info_header_count": (c_size_t, [c_void_p]),
    "qcos_object_info_header_name": (c_char_p, [c_void_p, c_size_t]),
    "qcos_object_info_header_value": (c_char_p, [c_void_p, c_size_t]),
    "qcos_object_info_content_type": (c_char_p, [c_void_p]),
    "qcos_object_info_etag": (c_char_p, [c_void_p]),
    "qcos_object_info_last_modified": (c_char_p, [c_void_p]),
    "qcos_object_info_storage_class": (c_char_p, [c_void_p]),
    "qcos_object_info_version_id": (c_char_p, [c_void_p]),
    "qcos_object_info_content_range": (c_char_p, [c_void_p]),
    "qcos_object_info_request_id": (c_char_p, [c_void_p]),
    "qcos_object_info_free": (None, [c_void_p]),
    "qcos_put_result_has_crc64": (c_bool, [c_void_p]),
    "qcos_put_result_crc64": (c_uint64, [c_void_p]),
    "qcos_put_result_etag": (c_char_p, [c_void_p]),
    "qcos_put_result_version_id": (c_char_p, [c_void_p]),
    "qcos_put_result_last_modified": (c_char_p, [c_void_p]),
    "qcos_put_result_request_id": (c_char_p, [c_void_p]),
    "qcos_put_result_free": (None, [c_void_p]),
    "qcos_delete_result_deleted_count": (c_size_t, [c_void_p]),
    "qcos_delete_result_deleted_key": (c_char_p, [c_void_p, c_size_t]),
    "qcos_delete_result_error_count": (c_size_t, [c_void_p]),
    "qcos_delete_result_error_key": (c_char_p, [c_void_p, c_size_t]),
    "qcos_delete_result_error_code": (c_char_p, [c_void_p, c_size_t]),
    "qcos_delete_result_error_message": (c_char_p, [c_void_p, c_size_t]),
    "qcos_delete_result_free": (None, [c_void_p]),
    "qcos_bucket_list_count": (c_size_t, [c_void_p]),
    "qcos_bucket_list_name": (c_char_p, [c_void_p, c_size_t]),
    "qcos_bucket_list_region": (c_char_p, [c_void_p, c_size_t]),
    "qcos_bucket_list_creation_date": (c_char_p, [c_void_p, c_size_t]),
    "qcos_bucket_list_free": (None, [c_void_p]),
    "qcos_client_list_objects": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_uint32, POINTER(c_void_p)]),
    "qcos_list_next": (c_int, [c_void_p, POINTER(c_bool)]),
    "qcos_list_object_count": (c_size_t, [c_void_p]),
    "qcos_list_object_key": (c_char_p, [c_void_p, c_size_t]),
    "qcos_list_object_size": (c_uint64, [c_void_p, c_size_t]),
    "qcos_list_object_etag": (c_char_p, [c_void_p, c_size_t]),
    "qcos_list_object_last_modified": (c_char_p, [c_void_p, c_size_t]),
    "qcos_list_object_storage_class": (c_char_p, [c_void_p, c_size_t]),
    "qcos_list_prefix_count": (c_size_t, [c_void_p]),
    "qcos_list_prefix": (c_char_p, [c_void_p, c_size_t]),
    "qcos_list_is_truncated": (c_bool, [c_void_p]),
    "qcos_list_next_marker": (c_char_p, [c_void_p]),
    "qcos_list_free": (None, [c_void_p]),
    "qcos_sign_options_new": (c_int, [POINTER(c_void_p)]),
    "qcos_sign_options_free": (None, [c_void_p]),
    "qcos_sign_options_add_param": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_sign_options_add_header": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_sign_options_set_expires": (c_int, [c_void_p, c_int64]),
    "qcos_sign_options_set_start_time": (c_int, [c_void_p, c_int64]),
    "qcos_sign_options_set_form": (c_int, [c_void_p, c_uint32]),
    "qcos_sign_options_set_signed": (c_int, [c_void_p, c_bool]),
    "qcos_sign": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, POINTER(c_void_p)]),
    "qcos_signature_authorization": (c_char_p, [c_void_p]),
    "qcos_signature_query": (c_char_p, [c_void_p]),
    "qcos_signature_header_count": (c_size_t, [c_void_p]),
    "qcos_signature_header_name": (c_char_p, [c_void_p, c_size_t]),
    "qcos_signature_header_value": (c_char_p, [c_void_p, c_size_t]),
    "qcos_signature_start_time": (c_int64, [c_void_p]),
    "qcos_signature_end_time": (c_int64, [c_void_p]),
    "qcos_signature_free": (None, [c_void_p]),
    "qcos_presign_url": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, c_char_p, c_size_t, POINTER(c_size_t)]),
    "qcos_post_policy_options_new": (c_int, [POINTER(c_void_p)]),
    "qcos_post_policy_options_free": (None, [c_void_p]),
    "qcos_post_policy_options_set_key": (c_int, [c_void_p, c_char_p]),
    "qcos_post_policy_options_set_key_prefix": (c_int, [c_void_p, c_char_p]),
    "qcos_post_policy_options_set_content_length_range": (c_int, [c_void_p, c_uint64, c_uint64]),
    "qcos_post_policy_options_set_content_type": (c_int, [c_void_p, c_char_p]),
    "qcos_post_policy_options_set_content_type_prefix": (c_int, [c_void_p, c_char_p]),
    "qcos_post_policy_options_set_success_action_status": (c_int, [c_void_p, c_uint16]),
    "qcos_post_policy_options_add_field": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_post_policy_options_set_expires": (c_int, [c_void_p, c_int64]),
    "qcos_post_policy_options_set_start_time": (c_int, [c_void_p, c_int64]),
    "qcos_post_policy": (c_int, [c_void_p, c_void_p, POINTER(c_void_p)]),
    "qcos_post_form_url": (c_char_p, [c_void_p]),
    "qcos_post_form_policy_json": (c_char_p, [c_void_p]),
    "qcos_post_form_field_count": (c_size_t, [c_void_p]),
    "qcos_post_form_field_name": (c_char_p, [c_void_p, c_size_t]),
    "qcos_post_form_field_value": (c_char_p, [c_void_p, c_size_t]),
    "qcos_post_form_get": (c_char_p, [c_void_p, c_char_p]),
    "qcos_post_form_free": (None, [c_void_p]),
    "qcos_transfer_options_new": (c_int, [POINTER(c_void_p)]),
    "qcos_transfer_options_free": (None, [c_void_p]),
    "qcos_transfer_options_set_on_cancel": (c_int, [c_void_p, c_uint32]),
    "qcos_transfer_options_set_on_error": (c_int, [c_void_p, c_uint32]),
    "qcos_transfer_options_set_resume": (c_int, [c_void_p, c_bool]),
    "qcos_transfer_options_set_part_size": (c_int, [c_void_p, c_uint64]),
    "qcos_transfer_options_set_parallel": (c_int, [c_void_p, c_uint32]),
    "qcos_transfer_options_set_slice_size": (c_int, [c_void_p, c_uint64]),
    "qcos_transfer_result_etag": (c_char_p, [c_void_p]),
    "qcos_transfer_result_crc64": (c_uint64, [c_void_p]),
    "qcos_transfer_result_crc64_verified": (c_bool, [c_void_p]),
    "qcos_transfer_result_version_id": (c_char_p, [c_void_p]),
    "qcos_transfer_result_size": (c_uint64, [c_void_p]),
    "qcos_transfer_result_upload_id": (c_char_p, [c_void_p]),
    "qcos_transfer_result_parts": (c_uint32, [c_void_p]),
    "qcos_transfer_result_resumed_parts": (c_uint32, [c_void_p]),
    "qcos_transfer_result_free": (None, [c_void_p]),
    "qcos_upload_file": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, c_void_p, PROGRESS_CB, c_void_p, POINTER(c_void_p)]),
    "qcos_upload_from_callback": (c_int, [c_void_p, c_char_p, c_uint64, READ_CB, c_void_p, c_void_p, c_void_p, PROGRESS_CB, c_void_p, POINTER(c_void_p)]),
    "qcos_upload_from_stream": (c_int, [c_void_p, c_char_p, READ_CB, c_void_p, c_void_p, c_void_p, PROGRESS_CB, c_void_p, POINTER(c_void_p)]),
    "qcos_download_file": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, PROGRESS_CB, c_void_p, POINTER(c_void_p)]),
    "qcos_download_to_buffer": (c_int, [c_void_p, c_char_p, c_void_p, c_size_t, POINTER(c_size_t), c_void_p, PROGRESS_CB, c_void_p, POINTER(c_void_p)]),
    "qcos_slice_copy": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_void_p, c_void_p, PROGRESS_CB, c_void_p, POINTER(c_void_p)]),
    "qcos_queue_new": (c_int, [c_void_p, POINTER(c_void_p)]),
    "qcos_queue_free": (None, [c_void_p]),
    "qcos_queue_upload": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, c_void_p, POINTER(c_uint64)]),
    "qcos_queue_download": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, POINTER(c_uint64)]),
    "qcos_queue_pause": (c_int, [c_void_p, c_uint64]),
    "qcos_queue_resume": (c_int, [c_void_p, c_uint64]),
    "qcos_queue_cancel": (c_int, [c_void_p, c_uint64]),
    "qcos_queue_next_event": (c_int, [c_void_p, c_uint32, POINTER(QueueEventStruct), POINTER(c_bool)]),
    "qcos_queue_set_event_callback": (c_int, [c_void_p, QUEUE_EVENT_CB, c_void_p]),
    "qcos_queue_wait": (c_int, [c_void_p, c_uint64, c_int64, POINTER(c_int)]),
    "qcos_queue_task_info": (c_int, [c_void_p, c_uint64, POINTER(c_void_p)]),
    "qcos_task_info_id": (c_uint64, [c_void_p]),
    "qcos_task_info_is_upload": (c_bool, [c_void_p]),
    "qcos_task_info_state": (c_int, [c_void_p]),
    "qcos_task_info_key": (c_char_p, [c_void_p]),
    "qcos_task_info_path": (c_char_p, [c_void_p]),
    "qcos_task_info_loaded": (c_uint64, [c_void_p]),
    "qcos_task_info_total": (c_uint64, [c_void_p]),
    "qcos_task_info_total_known": (c_bool, [c_void_p]),
    "qcos_task_info_speed": (c_double, [c_void_p]),
    "qcos_task_info_error_status": (c_int, [c_void_p]),
    "qcos_task_info_error_message": (c_char_p, [c_void_p]),
    "qcos_task_info_error_http_status": (c_uint16, [c_void_p]),
    "qcos_task_info_error_code": (c_char_p, [c_void_p]),
    "qcos_task_info_error_request_id": (c_char_p, [c_void_p]),
    "qcos_task_info_etag": (c_char_p, [c_void_p]),
    "qcos_task_info_crc64": (c_uint64, [c_void_p]),
    "qcos_task_info_crc64_verified": (c_bool, [c_void_p]),
    "qcos_task_info_version_id": (c_char_p, [c_void_p]),
    "qcos_task_info_size": (c_uint64, [c_void_p]),
    "qcos_task_info_free": (None, [c_void_p]),
    "qcos_task_state_str": (c_char_p, [c_uint32]),
    "qcos_tags_new": (c_int, [POINTER(c_void_p)]),
    "qcos_tags_add": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_tags_count": (c_size_t, [c_void_p]),
    "qcos_tags_key": (c_char_p, [c_void_p, c_size_t]),
    "qcos_tags_value": (c_char_p, [c_void_p, c_size_t]),
    "qcos_tags_free": (None, [c_void_p]),
    "qcos_client_put_object_tagging": (c_int, [c_void_p, c_char_p, c_void_p, c_char_p]),
    "qcos_client_get_object_tagging": (c_int, [c_void_p, c_char_p, c_char_p, POINTER(c_void_p)]),
    "qcos_client_delete_object_tagging": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_acl_new": (c_int, [POINTER(c_void_p)]),
    "qcos_acl_set_canned": (c_int, [c_void_p, c_char_p]),
    "qcos_acl_add_grant": (c_int, [c_void_p, c_uint32, c_char_p]),
    "qcos_acl_free": (None, [c_void_p]),
    "qcos_client_put_object_acl": (c_int, [c_void_p, c_char_p, c_void_p]),
    "qcos_client_get_object_acl": (c_int, [c_void_p, c_char_p, POINTER(c_void_p)]),
    "qcos_acl_policy_owner_id": (c_char_p, [c_void_p]),
    "qcos_acl_policy_canned": (c_char_p, [c_void_p]),
    "qcos_acl_policy_grant_count": (c_size_t, [c_void_p]),
    "qcos_acl_policy_grant_type": (c_char_p, [c_void_p, c_size_t]),
    "qcos_acl_policy_grant_id": (c_char_p, [c_void_p, c_size_t]),
    "qcos_acl_policy_grant_uri": (c_char_p, [c_void_p, c_size_t]),
    "qcos_acl_policy_grant_permission": (c_char_p, [c_void_p, c_size_t]),
    "qcos_acl_policy_free": (None, [c_void_p]),
    "qcos_client_append_object": (c_int, [c_void_p, c_char_p, c_uint64, c_void_p, c_size_t, c_void_p, POINTER(c_uint64), POINTER(c_void_p)]),
    "qcos_client_append_object_from_file": (c_int, [c_void_p, c_char_p, c_uint64, c_char_p, c_void_p, POINTER(c_uint64), POINTER(c_void_p)]),
    "qcos_client_append_object_checked": (c_int, [c_void_p, c_char_p, c_uint64, c_uint64, c_void_p, c_size_t, c_void_p, POINTER(c_uint64), POINTER(c_void_p)]),
    "qcos_queue_copy": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_void_p, c_void_p, POINTER(c_uint64)]),
    "qcos_task_info_is_copy": (c_bool, [c_void_p]),
    "qcos_task_info_source_bucket": (c_char_p, [c_void_p]),
    "qcos_task_info_source_region": (c_char_p, [c_void_p]),
    "qcos_task_info_source_key": (c_char_p, [c_void_p]),
    "qcos_task_info_source_version_id": (c_char_p, [c_void_p]),
    "qcos_task_info_upload_id": (c_char_p, [c_void_p]),
    # Queued uploads from a read callback (src/ffi/queue.rs).
    "qcos_queue_upload_from_callback": (
        c_int,
        [c_void_p, c_char_p, c_uint64, READ_CB, c_void_p, c_void_p, c_void_p, POINTER(c_uint64)],
    ),
    "qcos_task_info_is_stream": (c_bool, [c_void_p]),
    # Multipart upload operations one by one (src/ffi/multipart.rs).
    "qcos_client_initiate_multipart_upload": (
        c_int,
        [c_void_p, c_char_p, c_void_p, c_char_p, c_size_t, POINTER(c_size_t)],
    ),
    "qcos_client_upload_part": (
        c_int,
        [c_void_p, c_char_p, c_char_p, c_uint32, c_void_p, c_size_t, c_void_p, POINTER(c_void_p)],
    ),
    "qcos_client_upload_part_from_file": (
        c_int,
        [c_void_p, c_char_p, c_char_p, c_uint32, c_char_p, c_uint64, c_uint64, c_void_p, POINTER(c_void_p)],
    ),
    "qcos_client_complete_multipart_upload": (
        c_int,
        [c_void_p, c_char_p, c_char_p, POINTER(c_uint32), POINTER(c_char_p), c_size_t, POINTER(c_void_p)],
    ),
    "qcos_client_abort_multipart_upload": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_client_list_parts": (c_int, [c_void_p, c_char_p, c_char_p, POINTER(c_void_p)]),
    "qcos_part_list_count": (c_size_t, [c_void_p]),
    "qcos_part_list_number": (c_uint32, [c_void_p, c_size_t]),
    "qcos_part_list_etag": (c_char_p, [c_void_p, c_size_t]),
    "qcos_part_list_size": (c_uint64, [c_void_p, c_size_t]),
    "qcos_part_list_last_modified": (c_char_p, [c_void_p, c_size_t]),
    "qcos_part_list_free": (None, [c_void_p]),
    "qcos_client_list_multipart_uploads": (c_int, [c_void_p, c_char_p, POINTER(c_void_p)]),
    "qcos_upload_list_count": (c_size_t, [c_void_p]),
    "qcos_upload_list_key": (c_char_p, [c_void_p, c_size_t]),
    "qcos_upload_list_upload_id": (c_char_p, [c_void_p, c_size_t]),
    "qcos_upload_list_storage_class": (c_char_p, [c_void_p, c_size_t]),
    "qcos_upload_list_initiated": (c_char_p, [c_void_p, c_size_t]),
    "qcos_upload_list_free": (None, [c_void_p]),
    "qcos_cors_rules_new": (c_int, [POINTER(c_void_p)]),
    "qcos_cors_rules_add_rule": (c_int, [c_void_p, c_char_p, c_int64]),
    "qcos_cors_rules_add_value": (c_int, [c_void_p, c_uint32, c_char_p]),
    "qcos_cors_rules_count": (c_size_t, [c_void_p]),
    "qcos_cors_rules_id": (c_char_p, [c_void_p, c_size_t]),
    "qcos_cors_rules_max_age": (c_int64, [c_void_p, c_size_t]),
    "qcos_cors_rules_value_count": (c_size_t, [c_void_p, c_size_t, c_uint32]),
    "qcos_cors_rules_value": (c_char_p, [c_void_p, c_size_t, c_uint32, c_size_t]),
    "qcos_cors_rules_free": (None, [c_void_p]),
    "qcos_client_put_bucket_cors": (c_int, [c_void_p, c_void_p]),
    "qcos_client_get_bucket_cors": (c_int, [c_void_p, POINTER(c_void_p)]),
    "qcos_client_delete_bucket_cors": (c_int, [c_void_p]),
    "qcos_bucket_acl_new": (c_int, [POINTER(c_void_p)]),
    "qcos_bucket_acl_set_canned": (c_int, [c_void_p, c_char_p]),
    "qcos_bucket_acl_add_grant": (c_int, [c_void_p, c_uint32, c_char_p]),
    "qcos_bucket_acl_free": (None, [c_void_p]),
    "qcos_client_put_bucket_acl": (c_int, [c_void_p, c_void_p]),
    "qcos_client_get_bucket_acl": (c_int, [c_void_p, POINTER(c_void_p)]),
    "qcos_bucket_tags_new": (c_int, [POINTER(c_void_p)]),
    "qcos_client_put_bucket_tagging": (c_int, [c_void_p, c_void_p]),
    "qcos_client_get_bucket_tagging": (c_int, [c_void_p, POINTER(c_void_p)]),
    "qcos_client_delete_bucket_tagging": (c_int, [c_void_p]),
    "qcos_put_options_set_acl": (c_int, [c_void_p, c_void_p]),
    "qcos_put_options_add_tag": (c_int, [c_void_p, c_char_p, c_char_p]),
    "qcos_put_options_set_tags": (c_int, [c_void_p, c_void_p]),
    "qcos_put_options_set_metadata_directive": (c_int, [c_void_p, c_uint32]),
    "qcos_put_options_set_tagging_directive": (c_int, [c_void_p, c_uint32]),
    "qcos_acl_policy_new": (c_int, [c_char_p, POINTER(c_void_p)]),
    "qcos_acl_policy_add_grant": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p]),
    "qcos_client_put_object_acl_policy": (c_int, [c_void_p, c_char_p, c_void_p]),
    "qcos_queue_upload_directory": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, c_void_p, POINTER(c_void_p)]),
    "qcos_queue_download_prefix": (c_int, [c_void_p, c_char_p, c_char_p, c_void_p, POINTER(c_void_p)]),
    "qcos_task_list_count": (c_size_t, [c_void_p]),
    "qcos_task_list_id": (c_uint64, [c_void_p, c_size_t]),
    "qcos_task_list_key": (c_char_p, [c_void_p, c_size_t]),
    "qcos_task_list_path": (c_char_p, [c_void_p, c_size_t]),
    "qcos_task_list_free": (None, [c_void_p]),
}

if sys.platform == "darwin":
    _LIB_NAME = "libqcos.dylib"
elif sys.platform == "win32":
    _LIB_NAME = "qcos.dll"
else:
    _LIB_NAME = "libqcos.so"


def _candidates() -> List[str]:
    explicit = os.environ.get("QCOS_LIBRARY")
    if explicit:
        if not os.path.isfile(explicit):
            raise OSError(f"QCOS_LIBRARY={explicit!r} does not name an existing file")
        return [explicit]
    out = []
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), _LIB_NAME)
    if os.path.isfile(here):
        out.append(here)
    found = ctypes.util.find_library("qcos")
    if found:
        out.append(found)
    out.append(_LIB_NAME)
    return out


def _load() -> Tuple[ctypes.CDLL, str]:
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append(f"  {path}: {e}")
    raise OSError(
        "cannot load the qcos C library; build it with `cargo build` and set "
        "QCOS_LIBRARY to target/<profile>/libqcos.so, or install the package with "
        "`pip install ./bindings/python`. Tried:\n" + "\n".join(errors)
    )


def _declare(cdll: ctypes.CDLL) -> None:
    missing = []
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise OSError(
            f"{library_path} lacks {len(missing)} function(s) this binding needs "
            f"(an older libqcos?): {', '.join(missing[:5])}"
        )


lib, library_path = _load()
_declare(lib)

