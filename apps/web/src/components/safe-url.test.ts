import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toSafeHttpUrl } from './safe-url.ts';

test('keeps absolute http(s) links and refuses script, data and relative ones', () => {
  assert.equal(
    toSafeHttpUrl('https://console.aws.amazon.com/ec2/home?region=us-east-1'),
    'https://console.aws.amazon.com/ec2/home?region=us-east-1',
  );
  assert.equal(toSafeHttpUrl('http://127.0.0.1:30625/'), 'http://127.0.0.1:30625/');
  assert.equal(toSafeHttpUrl('javascript:alert(1)'), undefined);
  assert.equal(toSafeHttpUrl('data:text/html,x'), undefined);
  assert.equal(toSafeHttpUrl('/relative'), undefined);
  assert.equal(toSafeHttpUrl(undefined), undefined);
});
