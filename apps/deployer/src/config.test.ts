import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readDeployerConfig } from './config.ts';

const base = {
  INTERNAL_AUTH_SECRET: 'x'.repeat(43),
  ASHAPP_DATA_DIR: '/tmp',
  DEPLOYER_TARGET: 'podman',
  DEPLOYER_ENCRYPTION_KEY: 'a'.repeat(64),
};

describe('deployer configuration: where podman apps are published and advertised', () => {
  test('publishes on loopback and advertises no fixed host by default', () => {
    const config = readDeployerConfig(base);
    assert.equal(config.publishAddress, '127.0.0.1');
    assert.equal(config.publicHost, undefined);
  });

  test('takes DEPLOYER_PUBLIC_HOST (lowercased) and DEPLOYER_PUBLISH_ADDRESS', () => {
    const config = readDeployerConfig({
      ...base,
      DEPLOYER_PUBLIC_HOST: 'Apps.Example.com',
      DEPLOYER_PUBLISH_ADDRESS: '0.0.0.0',
    });
    assert.equal(config.publicHost, 'apps.example.com');
    assert.equal(config.publishAddress, '0.0.0.0');
  });

  test('refuses a public host that is not a host name and a publish address that is not an IP', () => {
    assert.throws(
      () => readDeployerConfig({ ...base, DEPLOYER_PUBLIC_HOST: 'http://apps.example.com/' }),
      /DEPLOYER_PUBLIC_HOST/,
    );
    assert.throws(
      () => readDeployerConfig({ ...base, DEPLOYER_PUBLISH_ADDRESS: 'everywhere' }),
      /DEPLOYER_PUBLISH_ADDRESS/,
    );
  });
});

describe('deployer configuration: builds as Kubernetes Jobs', () => {
  const kube = { ...base, DEPLOYER_TARGET: 'kubernetes', KUBECONFIG: '/etc/ashapp/kubeconfig' };

  test('DEPLOYER_BUILDER=kubernetes-job: namespace, image, limits, user namespace and TTL', () => {
    const config = readDeployerConfig({
      ...kube,
      DEPLOYER_BUILDER: 'kubernetes-job',
      DEPLOYER_BUILD_JOB_IMAGE: 'ghcr.io/ashapp/ashapp-deployer@sha256:' + 'a'.repeat(64),
      DEPLOYER_BUILD_MEMORY_MB: '1024',
      DEPLOYER_BUILD_CPUS: '2',
    });
    assert.deepEqual(config.buildJob, {
      namespace: 'ashapp-builds',
      image: 'ghcr.io/ashapp/ashapp-deployer@sha256:' + 'a'.repeat(64),
      cpu: 2,
      memoryBytes: 1024 * 1024 * 1024,
      ephemeralStorageBytes: 8192 * 1024 * 1024,
      hostUsers: false,
      ttlSecondsAfterFinished: 600,
    });
  });

  test('refuses Job builds without the kubernetes target or without the builder image', () => {
    assert.throws(
      () =>
        readDeployerConfig({ ...base, DEPLOYER_BUILDER: 'kubernetes-job', DEPLOYER_BUILD_JOB_IMAGE: 'x:1' }),
      /kubernetes-job needs the kubernetes target/,
    );
    assert.throws(
      () => readDeployerConfig({ ...kube, DEPLOYER_BUILDER: 'kubernetes-job' }),
      /needs DEPLOYER_BUILD_JOB_IMAGE/,
    );
  });

  test('other builders have no Job settings', () => {
    assert.equal(readDeployerConfig(kube).buildJob, undefined);
  });
});
