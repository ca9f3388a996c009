-- wrk script for benches/transfer.rs: PUT 1 KiB to the (presigned) URL given on the
-- command line, one request at a time per connection (run with -c1 -t1).
-- wrk reports non-2xx answers in its summary; the benchmark refuses a run that had any.
wrk.method = "PUT"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
