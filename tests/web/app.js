// The browser side of the direct-upload test (tests/web_browser.rs). Served by
// examples/sign_server with --static; uploads go straight to the bucket (qcos-server),
// a different origin, so the bucket's CORS rules decide what the browser may do.
//
// index.html?mode=upload (default): four uploads, then window.__result.
// index.html?mode=blocked: one presigned PUT that CORS must stop.
// window.prepareForm(size, seed) (called by the driver, which then presses the form's
// button): a real <form> POST that redirects to done.html.
'use strict';

const params = new URLSearchParams(location.search);
const mode = params.get('mode') || 'upload';
const signResponses = [];

// Bytes the Rust test recomputes: byte i of upload `seed` is (i*31 + seed*7 + (i>>8)) & 255.
function pattern(n, seed) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 255;
  return b;
}

function log(msg) {
  document.getElementById('log').textContent += msg + '\n';
}

// GET from the sign server (same origin); its JSON answer.
async function sign(path) {
  const r = await fetch(path, { cache: 'no-store' });
  const text = await r.text();
  signResponses.push(text);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

// PUT with the presigned URL: only the signed Content-Type is set by hand (the browser
// sets Content-Length, which is signed too, from the body).
async function putWithUrl(size, seed) {
  const s = await sign(`/presign?ext=png&size=${size}`);
  const r = await fetch(s.url, {
    method: 'PUT',
    headers: { 'Content-Type': s.headers['Content-Type'] },
    body: pattern(size, seed),
  });
  const out = { key: s.key, host: s.host, status: r.status, etag: r.headers.get('ETag') || '' };
  if (r.status !== 200) out.error = await r.text();
  log(`PUT (presigned URL) ${s.key}: ${r.status} ${out.etag}`);
  return out;
}

// PUT to the plain object URL with the Authorization header and the signed headers
// (including x-cos-security-token for temporary keys); Content-Length is left to the
// browser.
async function putWithAuthorization(size, seed) {
  const s = await sign(`/sign?ext=jpg&size=${size}&method=put`);
  const headers = { Authorization: s.authorization };
  for (const [k, v] of Object.entries(s.headers)) {
    if (k.toLowerCase() !== 'content-length') headers[k] = v;
  }
  const r = await fetch(s.object_url, { method: 'PUT', headers, body: pattern(size, seed) });
  const out = { key: s.key, host: s.host, status: r.status, etag: r.headers.get('ETag') || '' };
  if (r.status !== 200) out.error = await r.text();
  log(`PUT (Authorization) ${s.key}: ${r.status} ${out.etag}`);
  return out;
}

// POST Object with FormData: the policy's fields in order, then the file last.
async function postWithFetch(size, seed) {
  const s = await sign(`/post-policy?ext=png&size=${size}`);
  const fd = new FormData();
  for (const [k, v] of Object.entries(s.fields)) fd.append(k, v);
  fd.append('success_action_status', '201');
  fd.append('file', new Blob([pattern(size, seed)], { type: 'image/png' }), 'photo.png');
  const r = await fetch(s.url, { method: 'POST', body: fd });
  const text = await r.text();
  const out = { key: s.key, host: s.host, status: r.status, etag: r.headers.get('ETag') || '' };
  if (r.status === 201) {
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    out.stored_key = doc.querySelector('Key')?.textContent || '';
  } else {
    out.error = text;
  }
  log(`POST (fetch) ${s.key}: ${r.status} ${out.etag}`);
  return out;
}

// A real form submission: hidden fields before the file input, the file set through a
// DataTransfer, success_action_redirect back to this server's done.html.
window.prepareForm = async function prepareForm(size, seed) {
  const s = await sign(`/post-policy?ext=txt&size=${size}`);
  const form = document.getElementById('upload');
  const fileInput = document.getElementById('file');
  form.action = s.url;
  const add = (name, value) => {
    const i = document.createElement('input');
    i.type = 'hidden';
    i.name = name;
    i.value = value;
    form.insertBefore(i, fileInput);
  };
  for (const [k, v] of Object.entries(s.fields)) add(k, v);
  add('success_action_redirect', `${location.origin}/done.html`);
  const dt = new DataTransfer();
  dt.items.add(new File([pattern(size, seed)], 'note.txt', { type: 'text/plain' }));
  fileInput.files = dt.files;
  log(`form POST ${s.key} -> ${s.url}`);
  return s.key;
};

async function main() {
  const result = { mode, signResponses };
  try {
    if (mode === 'blocked') {
      // No CORS rule allows this origin: the preflight fails and fetch rejects.
      const s = await sign('/presign?ext=png&size=100');
      result.key = s.key;
      try {
        const r = await fetch(s.url, {
          method: 'PUT',
          headers: { 'Content-Type': s.headers['Content-Type'] },
          body: pattern(100, 9),
        });
        result.blocked = false;
        result.status = r.status;
      } catch (e) {
        result.blocked = true;
        result.error = String(e);
      }
      log(`blocked: ${result.blocked}`);
    } else {
      const sizes = params.get('sizes').split(',').map(Number);
      result.put_url = await putWithUrl(sizes[0], 1);
      result.put_auth = await putWithAuthorization(sizes[1], 2);
      result.post_fetch = await postWithFetch(sizes[2], 3);
      // A body over the policy's size: refused by the server, readable thanks to CORS.
      const s = await sign(`/post-policy?ext=png&size=${sizes[2]}`);
      const fd = new FormData();
      for (const [k, v] of Object.entries(s.fields)) fd.append(k, v);
      fd.append('file', new Blob([pattern(sizes[2] + 1, 4)]), 'big.png');
      const r = await fetch(s.url, { method: 'POST', body: fd });
      const text = await r.text();
      result.too_large = {
        key: s.key,
        status: r.status,
        code: new DOMParser().parseFromString(text, 'application/xml').querySelector('Code')?.textContent || '',
      };
      log(`POST over the size: ${r.status} ${result.too_large.code}`);
    }
  } catch (e) {
    result.error = String(e && e.stack ? e.stack : e);
    log(`error: ${result.error}`);
  }
  window.__result = result;
}

main();
