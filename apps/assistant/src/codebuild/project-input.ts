import type { SourceType } from '@aws-sdk/client-codebuild';
import { InputError } from '@ashapp/platform';

/** CodeBuild's own rule for project names. */
export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/;
const MAX_BUILDSPEC_CHARS = 64 * 1024;

/** Works out the CodeBuild source type from where the code lives; anything else is refused. */
export function readSourceLocation(location: string): { type: SourceType; location: string } {
  const value = location.trim();
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(value);
  if (s3) return { type: 'S3', location: `${s3[1]}/${s3[2]}` };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      'source_location must be an https Git URL (GitHub, GitLab, Bitbucket, CodeCommit) or s3://bucket/key',
    );
  }
  if (url.protocol !== 'https:' || url.username || url.password) {
    throw new InputError('source_location must be an https URL without credentials in it');
  }
  if (url.hostname === 'github.com' || url.hostname === 'www.github.com')
    return { type: 'GITHUB', location: value };
  if (url.hostname === 'gitlab.com') return { type: 'GITLAB', location: value };
  if (url.hostname === 'bitbucket.org') return { type: 'BITBUCKET', location: value };
  if (/^git-codecommit\.[a-z0-9-]+\.amazonaws\.com$/.test(url.hostname))
    return { type: 'CODECOMMIT', location: value };
  throw new InputError(
    `source_location host ${url.hostname} is not a source CodeBuild can read (GitHub, GitLab, Bitbucket, CodeCommit, S3)`,
  );
}

/** Validates the original endpoint's body: `{project_name, source_location, build_spec}`. */
export function validateCreateProjectInput(body: unknown): CreateProjectInput {
  if (typeof body !== 'object' || body === null)
    throw new InputError('expected {project_name, source_location, build_spec}');
  const input = body as Record<string, unknown>;
  for (const field of ['project_name', 'source_location', 'build_spec']) {
    if (typeof input[field] !== 'string' || (input[field] as string).trim() === '')
      throw new InputError(`${field} is required`, { field });
  }
  const name = (input['project_name'] as string).trim();
  if (!PROJECT_NAME.test(name)) {
    throw new InputError(
      'project_name must be 2-255 characters: letters, digits, "-" and "_", starting with a letter or digit',
      { field: 'project_name' },
    );
  }
  const buildSpec = input['build_spec'] as string;
  if (buildSpec.length > MAX_BUILDSPEC_CHARS)
    throw new InputError('build_spec is too large', { field: 'build_spec' });
  const isYamlSpec = /^\s*version\s*:\s*['"]?0\.[12]['"]?\s*$/m.test(buildSpec);
  let isJsonSpec = false;
  if (!isYamlSpec && buildSpec.trim().startsWith('{')) {
    try {
      isJsonSpec = ['0.1', '0.2', 0.1, 0.2].includes(
        (JSON.parse(buildSpec) as { version?: unknown }).version as string,
      );
    } catch {
      isJsonSpec = false;
    }
  }
  if (!isYamlSpec && !isJsonSpec) {
    throw new InputError('build_spec must be a buildspec with "version: 0.2" (inline YAML or JSON)', {
      field: 'build_spec',
    });
  }
  readSourceLocation(input['source_location'] as string);
  const out: CreateProjectInput = {
    project_name: name,
    source_location: (input['source_location'] as string).trim(),
    build_spec: buildSpec,
  };
  for (const field of ['service_role', 'image', 'description'] as const) {
    const value = input[field];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') throw new InputError(`${field} must be a string`, { field });
    out[field] = value;
  }
  if (out.service_role !== undefined && !ROLE_ARN.test(out.service_role)) {
    throw new InputError('service_role must be an IAM role ARN', { field: 'service_role' });
  }
  return out;
}

export interface CreateProjectInput {
  project_name: string;
  source_location: string;
  build_spec: string;
  service_role?: string;
  image?: string;
  description?: string;
}
