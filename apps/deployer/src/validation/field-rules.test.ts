import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '@ashapp/platform';
import { Value } from 'typebox/value';
import { AppNameField, checkField, NamespaceField, PortField, ServiceTypeField } from './field-rules.ts';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError);
    assert.equal(err.status, 400);
    return err.message;
  }
  assert.fail('expected an InputError');
}

describe('field rules as schemas', () => {
  test('the schemas themselves carry the rules a route can declare (pattern, length, range, enum)', () => {
    assert.equal(Value.Check(AppNameField, 'hello-1'), true);
    assert.equal(Value.Check(AppNameField, '1hello'), false);
    assert.equal(Value.Check(AppNameField, 'a'.repeat(51)), false);
    assert.equal(Value.Check(NamespaceField, '1team'), true);
    assert.equal(Value.Check(PortField, 65536), false);
    assert.equal(Value.Check(ServiceTypeField, 'NodePort'), true);
    assert.equal(Value.Check(ServiceTypeField, 'ExternalName'), false);
  });

  test('a 400 names the field and states the rule in words, by kind of mistake', () => {
    assert.equal(
      messageOf(() => checkField(AppNameField, 42, 'app_name')),
      'app_name: must be a string',
    );
    assert.equal(
      messageOf(() => checkField(AppNameField, '', 'app_name')),
      'app_name: is required',
    );
    assert.match(
      messageOf(() => checkField(AppNameField, 'a'.repeat(51), 'app_name')),
      /^app_name: must be at most 50 lowercase letters, digits and dashes/,
    );
    assert.equal(
      messageOf(() => checkField(PortField, 1.5, 'container_port')),
      'container_port: must be an integer',
    );
    assert.equal(
      messageOf(() => checkField(PortField, 0, 'container_port')),
      'container_port: must be between 1 and 65535',
    );
    assert.equal(
      messageOf(() => checkField(ServiceTypeField, 'ExternalName', 'service_type')),
      'service_type: must be one of ClusterIP, NodePort, LoadBalancer',
    );
  });
});
