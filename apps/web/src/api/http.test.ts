import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, createHttpClient, parseNextLink, readCookie, toSameOriginPath } from './http.ts';

function fakeFetch(answer: () => Response) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    return answer();
  }) as typeof fetch;
  return { calls, impl };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('createHttpClient', () => {
  test('sends the ashapp_csrf cookie value as x-csrf-token on state-changing requests only', async () => {
    const fetch = fakeFetch(() => json(200, { ok: true }));
    const http = createHttpClient({
      onUnauthenticated: () => {},
      fetchImpl: fetch.impl,
      readCookies: () => 'a=1; ashapp_csrf=tok%2Fen; b=2',
    });
    await http.json('/api/ask', { method: 'POST', body: { query: 'x' } });
    await http.json('/api/history');
    const [post, get] = fetch.calls;
    assert.equal((post?.init?.headers as Record<string, string>)['x-csrf-token'], 'tok/en');
    assert.equal(post?.init?.credentials, 'same-origin');
    assert.equal((get?.init?.headers as Record<string, string>)['x-csrf-token'], undefined);
  });

  test('turns an {error:{code,message}} body into an ApiError with code, message and request id', async () => {
    const fetch = fakeFetch(() =>
      json(400, { error: { code: 'INPUT', message: 'query is required', requestId: 'r1' } }),
    );
    const http = createHttpClient({
      onUnauthenticated: () => {},
      fetchImpl: fetch.impl,
      readCookies: () => '',
    });
    await assert.rejects(http.json('/api/ask', { method: 'POST', body: {} }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, 'INPUT');
      assert.equal(error.message, 'query is required');
      assert.equal(error.status, 400);
      assert.equal(error.requestId, 'r1');
      return true;
    });
  });

  test('calls onUnauthenticated on 401 unless the call opts out', async () => {
    let redirects = 0;
    const fetch = fakeFetch(() => json(401, { error: { code: 'NOT_AUTHENTICATED', message: 'sign in' } }));
    const http = createHttpClient({
      onUnauthenticated: () => redirects++,
      fetchImpl: fetch.impl,
      readCookies: () => '',
    });
    await assert.rejects(http.json('/api/history'));
    await assert.rejects(http.json('/api/login', { method: 'POST', body: {}, redirectOn401: false }));
    assert.equal(redirects, 1);
  });

  test('retries a refused state-changing request once when the CSRF cookie was reissued', async () => {
    let cookie = 'ashapp_csrf=old';
    let calls = 0;
    const http = createHttpClient({
      onUnauthenticated: () => {},
      readCookies: () => cookie,
      fetchImpl: (async (_input: RequestInfo | URL, init?: RequestInit) => {
        calls++;
        const token = (init?.headers as Record<string, string>)['x-csrf-token'];
        if (token === 'new') return json(200, { ok: true });
        cookie = 'ashapp_csrf=new';
        return json(403, { error: { code: 'NOT_ALLOWED', message: 'missing or invalid CSRF token' } });
      }) as typeof fetch,
    });
    assert.deepEqual(await http.json('/api/ask', { method: 'POST', body: {} }), { ok: true });
    assert.equal(calls, 2);
  });

  test('does not retry a 403 when the CSRF cookie is unchanged', async () => {
    let calls = 0;
    const http = createHttpClient({
      onUnauthenticated: () => {},
      readCookies: () => 'ashapp_csrf=same',
      fetchImpl: (async () => {
        calls++;
        return json(403, { error: { code: 'NOT_ALLOWED', message: 'not yours' } });
      }) as typeof fetch,
    });
    await assert.rejects(http.json('/api/history/1', { method: 'DELETE' }));
    assert.equal(calls, 1);
  });

  test('reports a network failure as an ApiError with code network', async () => {
    const http = createHttpClient({
      onUnauthenticated: () => {},
      fetchImpl: (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof fetch,
      readCookies: () => '',
    });
    await assert.rejects(
      http.json('/api/user'),
      (error: unknown) => error instanceof ApiError && error.code === 'network',
    );
  });

  test('leaves empty query values out of the URL', async () => {
    const fetch = fakeFetch(() => json(200, []));
    const http = createHttpClient({
      onUnauthenticated: () => {},
      fetchImpl: fetch.impl,
      readCookies: () => '',
    });
    await http.json('/api/history', { query: { limit: 20, q: '', cursor: undefined } });
    assert.equal(fetch.calls[0]?.url, '/api/history?limit=20');
  });
});

describe('parseNextLink', () => {
  test('finds rel="next" among several links', () => {
    assert.equal(
      parseNextLink('</api/history?cursor=a>; rel="prev", </api/history?cursor=b&limit=2>; rel="next"'),
      '/api/history?cursor=b&limit=2',
    );
    assert.equal(parseNextLink('<https://x/y?c=1>; rel=next'), 'https://x/y?c=1');
    assert.equal(parseNextLink('</a>; rel="prev"'), undefined);
    assert.equal(parseNextLink(null), undefined);
  });
});

describe('toSameOriginPath', () => {
  test('keeps same-origin links and refuses foreign ones', () => {
    assert.equal(toSameOriginPath('/api/history?cursor=b', 'http://localhost:8080'), '/api/history?cursor=b');
    assert.equal(
      toSameOriginPath('http://localhost:8080/api/history?cursor=b', 'http://localhost:8080'),
      '/api/history?cursor=b',
    );
    assert.equal(toSameOriginPath('https://evil.example/api', 'http://localhost:8080'), undefined);
  });
});

describe('readCookie', () => {
  test('reads one cookie by exact name', () => {
    assert.equal(readCookie('x_ashapp_csrf=no; ashapp_csrf=yes', 'ashapp_csrf'), 'yes');
    assert.equal(readCookie('', 'ashapp_csrf'), undefined);
  });
});
