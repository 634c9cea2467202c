import { UnavailableError } from '@ashapp/platform';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';

/** The fields of `podman ps --format json` entries the target reads. */
export const PodmanContainerSchema = Type.Object({
  Id: Type.String(),
  State: Type.String(),
  Exited: Type.Boolean(),
  ExitCode: Type.Number(),
  Names: Type.Array(Type.String()),
  IsInfra: Type.Optional(Type.Boolean()),
});
export type PodmanContainer = Static<typeof PodmanContainerSchema>;

/** The fields of `podman pod ps --format json` entries the target reads. */
export const PodmanPodSchema = Type.Object({
  Id: Type.String(),
  Name: Type.String(),
  Status: Type.String(),
  Labels: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
});
export type PodmanPod = Static<typeof PodmanPodSchema>;

/**
 * Parses a podman `--format json` listing. podman always prints a JSON array (`[]` when nothing matches),
 * so anything else — empty output, a truncated document, an entry without the fields we read — means the
 * tool or its storage is broken. Reading that as "no pods" would let a deploy or a status check go on
 * against a view of the machine that is simply wrong, so it fails with what podman printed instead.
 */
export function parsePodmanList<T extends TSchema>(
  stdout: string,
  entry: T,
  command: string,
): Array<Static<T>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (error) {
    throw new UnavailableError(
      `${command} printed output that is not JSON (${(error as Error).message}): ${quote(stdout)}`,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new UnavailableError(`${command} printed JSON that is not a list: ${quote(stdout)}`);
  }
  parsed.forEach((item, index) => {
    if (!Value.Check(entry, item)) {
      const first = Value.Errors(entry, item)[0];
      const where = first ? `${first.instancePath || '/'} ${first.message}` : 'unexpected shape';
      throw new UnavailableError(
        `${command} printed an entry podman does not normally print (item ${index}: ${where})`,
      );
    }
  });
  return parsed as Array<Static<T>>;
}

function quote(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '(nothing)';
  return trimmed.length > 200 ? `${JSON.stringify(trimmed.slice(0, 200))}…` : JSON.stringify(trimmed);
}
