import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHostAllowed, createAddressPolicy, parseAllowedCidrs } from './network-policy.ts';
import { renderSandboxRuleset } from './nft-ruleset.ts';

describe('build network policy', () => {
  const policy = createAddressPolicy();

  test('refuses loopback, link-local (metadata), private, CGNAT, unique-local and mapped addresses; allows public ones', () => {
    const refused = [
      '127.0.0.1',
      '127.1.2.3',
      '0.0.0.0',
      '169.254.169.254',
      '169.254.1.1',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '100.127.255.255',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:169.254.169.254',
      'not-an-ip',
    ];
    for (const address of refused) assert.equal(policy.allows(address), false, address);
    const allowed = [
      '1.1.1.1',
      '151.101.0.223',
      '172.32.0.1',
      '100.128.0.1',
      '198.51.100.20',
      '2a04:4e42::223',
      '::ffff:1.1.1.1',
    ];
    for (const address of allowed) assert.equal(policy.allows(address), true, address);
  });

  test('lets an operator open a private range, and only that range', () => {
    const open = createAddressPolicy(parseAllowedCidrs('10.20.0.0/16, 192.168.5.7'));
    assert.equal(open.allows('10.20.3.4'), true);
    assert.equal(open.allows('192.168.5.7'), true);
    assert.equal(open.allows('10.21.0.1'), false);
    assert.equal(open.allows('169.254.169.254'), false);
    assert.deepEqual(open.allowed, ['10.20.0.0/16', '192.168.5.7/32']);
  });

  test('rejects an allow list entry that is not an address or CIDR, naming it', () => {
    assert.throws(() => parseAllowedCidrs('10.0.0.0/8, example.com'), /example\.com/);
    assert.throws(() => parseAllowedCidrs('10.0.0.0/33'), /10\.0\.0\.0\/33/);
  });

  test('refuses a host name when any address it resolves to is forbidden, or when it does not resolve', async () => {
    const lookup = async (host: string) => {
      if (host === 'mixed.example') return ['203.0.113.5', '10.0.0.5'];
      if (host === 'public.example') return ['203.0.113.5'];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    assert.equal((await checkHostAllowed('mixed.example', policy, lookup)).allowed, false);
    assert.equal((await checkHostAllowed('public.example', policy, lookup)).allowed, true);
    assert.equal((await checkHostAllowed('missing.example', policy, lookup)).allowed, false);
    assert.equal((await checkHostAllowed('[::1]', policy, lookup)).allowed, false);
    assert.equal((await checkHostAllowed('localhost', policy)).allowed, false);
  });

  test('the sandbox ruleset refuses the host and forbidden ranges before the operator exceptions it accepts', () => {
    const ruleset = renderSandboxRuleset({
      allowed: ['10.20.0.0/16', 'fd00::/8'],
      hostAddresses: ['192.0.2.2', '127.0.0.1', 'fe80::1'],
    });
    const egress = ruleset.slice(ruleset.indexOf('chain egress'));
    const hostRule = egress.indexOf('ip daddr { 192.0.2.2 } reject');
    const allowRule = egress.indexOf('ip daddr { 10.20.0.0/16 } accept');
    const forbiddenRule = egress.indexOf('169.254.0.0/16');
    assert.ok(hostRule > 0 && hostRule < allowRule && allowRule < forbiddenRule, ruleset);
    assert.match(egress, /policy drop;/);
    assert.doesNotMatch(ruleset, /fd00::\/8|fe80::1/);
  });
});
