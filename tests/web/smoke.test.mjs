// The pages are served by `facegate serve` with their security headers, load without error
// and without any request to another origin.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, startServer } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

for (const page of ['kiosk', 'console']) {
  test(`${page}: served with a strict policy, loads without errors, fetches nothing elsewhere`, async () => {
    const res = await fetch(`${server.url}/${page}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') || '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    const p = await browser.newPage();
    const errors = [], foreign = [];
    p.on('pageerror', (e) => errors.push(e.message));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    p.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
    await p.goto(`${server.url}/${page}/`, { waitUntil: 'networkidle0' });
    assert.deepEqual(errors, []);
    assert.deepEqual(foreign, []);
    assert.ok((await p.$eval('main', (m) => m.textContent.trim().length)) > 0);
    await p.close();
  });
}

test('the root redirects to the console', async () => {
  const res = await fetch(`${server.url}/`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), '/console/');
});
