// Reference client for benches/transfer.rs: the official COS Node.js SDK
// (cos-nodejs-sdk-v5) uploading or downloading one file with its high-level
// uploadFile / downloadFile, pointed at qcos-server on loopback through its `Ip`
// option (the URL's host is replaced, the virtual-hosted Host header kept) and
// `Protocol: 'http:'`.
//
// usage: node sdk_node.js upload|download PORT BUCKET REGION KEY PATH CHUNK_BYTES PARALLEL
// Credentials come from QCOS_BENCH_SECRET_ID / QCOS_BENCH_SECRET_KEY.
// Prints `elapsed=SECONDS` (the transfer call only, not start-up).
'use strict';
const COS = require('cos-nodejs-sdk-v5');

const args = process.argv.slice(2);
if (args.length !== 8) {
  console.error('usage: node sdk_node.js upload|download PORT BUCKET REGION KEY PATH CHUNK_BYTES PARALLEL');
  process.exit(2);
}
const [op, port, Bucket, Region, Key, FilePath, chunk, parallel] = args;
const ChunkSize = Number(chunk);
const Parallel = Number(parallel);
const cos = new COS({
  SecretId: process.env.QCOS_BENCH_SECRET_ID,
  SecretKey: process.env.QCOS_BENCH_SECRET_KEY,
  Protocol: 'http:',
  Ip: `127.0.0.1:${port}`,
  ChunkParallelLimit: Parallel,
  ChunkSize,
  KeepAlive: true,
});

const start = process.hrtime.bigint();
function done(err) {
  if (err) {
    console.error(`${op} failed:`, JSON.stringify(err));
    process.exit(1);
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`elapsed=${secs.toFixed(6)}`);
  // Keep-alive sockets would hold the process open.
  process.exit(0);
}

if (op === 'upload') {
  cos.uploadFile({ Bucket, Region, Key, FilePath, ChunkSize, AsyncLimit: Parallel }, done);
} else if (op === 'download') {
  cos.downloadFile({ Bucket, Region, Key, FilePath, ChunkSize, ParallelLimit: Parallel }, done);
} else {
  console.error(`unknown operation ${op}`);
  process.exit(2);
}
