import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { advertiseUrl, isLoopback, readHostName } from './public-url.ts';

describe('the URL advertised for an app on this machine', () => {
  test('takes the host name of a Host header without its port', () => {
    assert.equal(readHostName('ashapp.example.com:8443'), 'ashapp.example.com');
    assert.equal(readHostName('Ashapp.Example.com'), 'ashapp.example.com');
    assert.equal(readHostName('192.0.2.7:80'), '192.0.2.7');
    assert.equal(readHostName('[2001:db8::1]:8080'), '[2001:db8::1]');
    assert.equal(readHostName('first.example.com, proxy.example.com'), 'first.example.com');
  });

  test('ignores a missing or malformed host rather than putting it in a link', () => {
    for (const bad of [undefined, '', 'evil.com/path', 'a b', 'host"><script>', '[nope]:80', 'user@host']) {
      assert.equal(readHostName(bad), undefined, String(bad));
    }
  });

  test('swaps the loopback address for the public host and keeps the port and path', () => {
    assert.equal(
      advertiseUrl('http://127.0.0.1:41234/', 'ashapp.example.com'),
      'http://ashapp.example.com:41234/',
    );
    assert.equal(advertiseUrl('http://127.0.0.1:41234/', '[2001:db8::1]'), 'http://[2001:db8::1]:41234/');
    assert.equal(advertiseUrl('http://127.0.0.1:41234/', undefined), 'http://127.0.0.1:41234/');
  });

  test('knows which hosts only this machine can reach', () => {
    assert.equal(isLoopback('127.0.0.1'), true);
    assert.equal(isLoopback('localhost'), true);
    assert.equal(isLoopback('[::1]'), true);
    assert.equal(isLoopback('192.0.2.7'), false);
  });
});
