import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../../test/harness.ts';
import { appCsp, docsCsp } from '../security/headers.ts';

describe('web pages and security headers', () => {
  let gw: TestGateway;
  let dist: string;
  before(async () => {
    dist = mkdtempSync(path.join(os.tmpdir(), 'ashapp-dist-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(
      path.join(dist, 'index.html'),
      '<!doctype html><div id="root"></div><script type="module" src="/assets/app-1.js"></script>',
    );
    writeFileSync(path.join(dist, 'assets', 'app-1.js'), 'export {};');
    gw = await startTestGateway({ env: { WEB_DIST_DIR: dist } });
  });
  after(async () => {
    await gw.close();
    rmSync(dist, { recursive: true, force: true });
  });

  test('redirects signed-out visits of protected pages to /login', async () => {
    for (const page of ['/', '/deployer', '/monitor', '/history']) {
      const res = await gw.app.inject({ method: 'GET', url: page });
      assert.equal(res.statusCode, 302, page);
      assert.equal(res.headers.location, page === '/' ? '/login' : `/login?next=${encodeURIComponent(page)}`);
    }
    const login = await gw.app.inject({ method: 'GET', url: '/login' });
    assert.equal(login.statusCode, 200);
    assert.match(login.body, /id="root"/);
    assert.equal(login.headers['cache-control'], 'no-store');
    // The page visit hands out the CSRF cookie the app echoes on its first state-changing call.
    assert.match(String(login.headers['set-cookie']), /ashapp_csrf=/);
  });

  test("redirects the original's trailing-slash pages (/deployer/) to the page, keeping the query", async () => {
    for (const page of ['/deployer', '/monitor', '/history', '/login']) {
      const res = await gw.app.inject({ method: 'GET', url: `${page}/?tab=1` });
      assert.equal(res.statusCode, 301, page);
      assert.equal(res.headers.location, `${page}?tab=1`);
    }
  });

  test('serves pages to a signed-in user and sends /login to /', async () => {
    const { cookie } = await gw.login();
    for (const page of ['/', '/deployer', '/monitor', '/history']) {
      const res = await gw.app.inject({ method: 'GET', url: page, headers: { cookie } });
      assert.equal(res.statusCode, 200, page);
      assert.match(String(res.headers['content-type']), /text\/html/);
    }
    const login = await gw.app.inject({ method: 'GET', url: '/login', headers: { cookie } });
    assert.equal(login.statusCode, 302);
    assert.equal(login.headers.location, '/');
    const back = await gw.app.inject({
      method: 'GET',
      url: '/login?next=%2Fmonitor%3Fq%3Dx',
      headers: { cookie },
    });
    assert.equal(back.headers.location, '/monitor?q=x');
    // Never an open redirect to another site.
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const res = await gw.app.inject({
        method: 'GET',
        url: `/login?next=${encodeURIComponent(next)}`,
        headers: { cookie },
      });
      assert.equal(res.headers.location, '/', next);
    }
  });

  test('answers an unknown page with the web app and 404, but an unknown API path with JSON', async () => {
    const page = await gw.app.inject({
      method: 'GET',
      url: '/no-such-page',
      headers: { accept: 'text/html' },
    });
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /id="root"/);
    const api = await gw.app.inject({
      method: 'GET',
      url: '/api/no-such-thing',
      headers: { accept: 'text/html' },
    });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json().error.code, 'NOT_FOUND');
    const script = await gw.app.inject({ method: 'GET', url: '/no-such-page' });
    assert.equal(script.json().error.code, 'NOT_FOUND');
  });

  test('serves hashed assets as immutable files, but never index.html past the page rules', async () => {
    const asset = await gw.app.inject({ method: 'GET', url: '/assets/app-1.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    assert.equal((await gw.app.inject({ method: 'GET', url: '/index.html' })).statusCode, 404);
  });

  test('sets the security headers on every response: pages, API, errors, assets', async () => {
    for (const url of ['/login', '/api/user', '/no/such/path', '/assets/app-1.js', '/health']) {
      const res = await gw.app.inject({ method: 'GET', url });
      assert.equal(res.headers['content-security-policy'], appCsp, url);
      assert.equal(res.headers['x-frame-options'], 'DENY', url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
      assert.equal(res.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
    }
    assert.match(appCsp, /script-src 'self';/);
    assert.doesNotMatch(appCsp, /unsafe/);
    const docs = await gw.app.inject({ method: 'GET', url: '/api/docs/static/index.html' });
    assert.match(String(docs.headers['content-security-policy']), /script-src 'self';/);
    assert.equal(docs.headers['content-security-policy'], docsCsp, 'the API browser gets its own CSP');
    // Answers refused by the authentication hook (401 here) carry the headers too.
    const refused = await gw.app.inject({ method: 'GET', url: '/api/history' });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['content-security-policy'], appCsp);
    assert.equal(refused.headers['permissions-policy'], 'camera=(), microphone=(), geolocation=()');
  });

  test('answers a clear 503 page when the web app is not built', async () => {
    const bare = await startTestGateway();
    try {
      const res = await bare.app.inject({ method: 'GET', url: '/login' });
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /npm run build -w @ashapp\/web/);
    } finally {
      await bare.close();
    }
  });
});
