import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnavailableError } from '@ashapp/platform';
import { parsePodmanList, PodmanContainerSchema, PodmanPodSchema } from './podman-json.ts';

describe('podman JSON listings', () => {
  test('reads a listing podman printed', () => {
    const pods = parsePodmanList(
      JSON.stringify([{ Id: 'abc', Name: 'app-pod', Status: 'Running', Labels: { a: 'b' }, Extra: 1 }]),
      PodmanPodSchema,
      'podman pod ps',
    );
    assert.deepEqual(
      pods.map((p) => [p.Id, p.Name, p.Labels?.a]),
      [['abc', 'app-pod', 'b']],
    );
    assert.deepEqual(parsePodmanList('[]\n', PodmanContainerSchema, 'podman ps'), []);
  });

  test('fails loudly with what podman printed when the output is not JSON (it was read as no pods)', () => {
    assert.throws(
      () => parsePodmanList('[{"Id": "abc", "Na', PodmanPodSchema, 'podman pod ps'),
      (error: unknown) =>
        error instanceof UnavailableError &&
        /podman pod ps printed output that is not JSON/.test(error.message) &&
        error.message.includes('[{\\"Id\\": \\"abc\\", \\"Na'),
    );
  });

  test('fails when podman prints nothing (it always prints a list, [] when empty)', () => {
    assert.throws(
      () => parsePodmanList('  \n', PodmanContainerSchema, 'podman ps'),
      /podman ps printed output that is not JSON .*\(nothing\)/,
    );
  });

  test('fails on JSON that is not a list', () => {
    assert.throws(
      () => parsePodmanList('{"error": "storage is locked"}', PodmanPodSchema, 'podman pod ps'),
      /podman pod ps printed JSON that is not a list: .*storage is locked/,
    );
  });

  test('fails on an entry without the fields the target reads, naming the field', () => {
    assert.throws(
      () =>
        parsePodmanList(
          JSON.stringify([
            { Id: 'a', State: 'running', Exited: false, ExitCode: 0, Names: ['x'] },
            { Id: 'b' },
          ]),
          PodmanContainerSchema,
          'podman ps',
        ),
      /podman ps printed an entry podman does not normally print \(item 1: .*\)/,
    );
  });
});
