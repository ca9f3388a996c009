// Drives tests/web/index.html in headless Chromium with playwright-core and prints the
// outcome as `name=value` lines (values are single-line) for tests/web_browser.rs.
//
//   node driver.js <page url> <user data dir> <mode> [sizes] [form size]
//
// Environment: CHROMIUM (default /usr/bin/chromium); playwright-core on NODE_PATH.
'use strict';

const { chromium } = require('playwright-core');

function out(name, value) {
  const v = typeof value === 'string' ? value : JSON.stringify(value);
  process.stdout.write(`${name}=${String(v).replace(/[\r\n]+/g, ' ')}\n`);
}

async function main() {
  const [url, userDataDir, mode, sizes, formSize] = process.argv.slice(2);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e}\n`));
    const target = `${url}?mode=${mode}${sizes ? `&sizes=${sizes}` : ''}`;
    await page.goto(target);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 60000 });
    const r = await page.evaluate(() => window.__result);
    out('user_agent', await page.evaluate(() => navigator.userAgent));
    for (const [i, t] of r.signResponses.entries()) out(`sign_response_${i}`, t);
    if (r.error) out('error', r.error);
    if (mode === 'blocked') {
      out('blocked', String(r.blocked));
      out('blocked_key', r.key || '');
      if (r.status !== undefined) out('blocked_status', String(r.status));
      return;
    }
    for (const name of ['put_url', 'put_auth', 'post_fetch', 'too_large']) {
      for (const [k, v] of Object.entries(r[name] || {})) out(`${name}.${k}`, String(v));
    }
    // The real form: submit, follow the 303 to done.html.
    const size = Number(formSize);
    const key = await page.evaluate((n) => window.prepareForm(n, 5), size);
    await Promise.all([
      page.waitForURL(/\/done\.html\?/, { timeout: 60000 }),
      page.click('#send'),
    ]);
    await page.waitForFunction(() => window.__done !== undefined, null, { timeout: 60000 });
    const done = await page.evaluate(() => window.__done);
    out('form.key', key);
    out('form.url', page.url());
    for (const [k, v] of Object.entries(done)) out(`form.done.${k}`, v);
  } finally {
    await context.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`driver failed: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
