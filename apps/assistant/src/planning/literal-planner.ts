import { InputError } from '@ashapp/platform';
import type {
  AwsModelCatalog,
  OperationModel,
  ParameterModel,
  ServiceModel,
} from '../aws-models/model-catalog.ts';
import { formatSuggestions, suggestCloseMatches } from '../aws-models/names.ts';
import { isLocalFileReference } from '../aws-models/plan-validator.ts';
import type { Plan, PlanOutput, PlanningContext } from '../plan/plan.ts';
import { PLAN_OUTPUTS } from '../plan/plan.ts';
import type { CliToken } from './cli-tokenizer.ts';
import { tokenizeCommandLine } from './cli-tokenizer.ts';
import { coerceToShape, parseShorthand } from './shorthand.ts';

/**
 * Global options users may not pass: each changes where credentials go, what is read from the server's
 * disk, what is logged, or how the child process behaves. The value says why, for the 400 message.
 */
export const FORBIDDEN_GLOBAL_OPTIONS: Readonly<Record<string, string>> = {
  'endpoint-url': 'it would send your credentials to another endpoint',
  profile: 'credentials come from your signed-in session only',
  'ca-bundle': 'it reads a file from the server',
  'cli-input-json': 'it reads input from a file or JSON blob outside the plan',
  'cli-input-yaml': 'it reads input from a file or YAML blob outside the plan',
  debug: 'debug output can contain request signatures and secrets',
  'no-verify-ssl': 'TLS verification cannot be switched off',
  'no-sign-request': 'requests are always signed with your session',
  'cli-binary-format': 'the binary format is fixed by the server',
  'generate-cli-skeleton': 'it prints a template instead of running anything',
  'cli-auto-prompt': 'there is no interactive terminal',
  'cli-read-timeout': 'timeouts are set by the server',
  'cli-connect-timeout': 'timeouts are set by the server',
};

/** Global options accepted and either stored in the plan or ignored as harmless display choices. */
const ACCEPTED_GLOBAL_OPTIONS = ['region', 'query', 'output', 'no-paginate', 'no-cli-pager'];
const GLOBAL_OPTIONS_WITH_VALUE = ['region', 'query', 'output'];

export interface LiteralPlannerOptions {
  catalog: AwsModelCatalog;
}

export interface LiteralPlanner {
  /** Whether the request is written as an AWS CLI command (starts with `aws`). */
  looksLikeCommand(request: string): boolean;
  /** Parses a literal `aws …` command into a plan (not yet validated against types; the chain does that). */
  parseCommand(request: string, context: PlanningContext): Plan;
}

export function createLiteralPlanner({ catalog }: LiteralPlannerOptions): LiteralPlanner {
  function looksLikeCommand(request: string): boolean {
    return /^\s*(\S*\/)?aws(\s|$)/.test(request);
  }

  function parseCommand(request: string, context: PlanningContext): Plan {
    const tokens = tokenizeCommandLine(request);
    for (const token of tokens) {
      // The CLI would read these from the server's disk; refuse before anything else looks at them.
      if (isLocalFileReference(token.value.replace(/^--[^=]*=/, ''))) {
        throw new InputError(
          `file:// and fileb:// values are not allowed (nothing is read from the server's disk): ${token.value}`,
        );
      }
    }
    const first = tokens.shift();
    if (!first || !/^(.*\/)?aws$/.test(first.value))
      throw new InputError('an AWS CLI command starts with "aws"');

    const globals: { region?: string; query?: string; output?: PlanOutput } = {};
    const positionals: string[] = [];
    const options: { name: string; values: string[]; inline: boolean }[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as CliToken;
      if (!token.value.startsWith('--') || token.value === '--') {
        if (options.length === 0 || positionals.length < 2) {
          positionals.push(token.value);
          continue;
        }
        const last = options[options.length - 1] as { values: string[]; inline: boolean };
        if (last.inline) throw new InputError(`unexpected argument "${token.value}"`);
        last.values.push(token.value);
        continue;
      }
      const eq = token.value.indexOf('=');
      const name = (eq >= 0 ? token.value.slice(2, eq) : token.value.slice(2)).toLowerCase();
      const forbidden = FORBIDDEN_GLOBAL_OPTIONS[name];
      if (forbidden !== undefined)
        throw new InputError(`option --${name} is not allowed: ${forbidden}`, { option: `--${name}` });
      if (eq < 0 && GLOBAL_OPTIONS_WITH_VALUE.includes(name)) {
        // Global options take exactly the next word, wherever they appear (`aws --region x ec2 …`).
        const next = tokens[i + 1];
        if (!next) throw new InputError(`--${name} needs a value`);
        options.push({ name, values: [next.value], inline: true });
        i++;
        continue;
      }
      options.push({ name, values: eq >= 0 ? [token.value.slice(eq + 1)] : [], inline: eq >= 0 });
    }

    const serviceName = positionals[0];
    const operationName = positionals[1];
    if (!serviceName) throw new InputError('the command names no service (e.g. aws ec2 describe-instances)');
    if (serviceName === 'help' || operationName === 'help')
      throw new InputError('help is not available here');

    const remaining: typeof options = [];
    for (const option of options) {
      if (!ACCEPTED_GLOBAL_OPTIONS.includes(option.name)) {
        remaining.push(option);
        continue;
      }
      if (option.name === 'no-paginate' || option.name === 'no-cli-pager') continue;
      const value = single(option.name, option.values);
      if (option.name === 'region') globals.region = value;
      else if (option.name === 'query') globals.query = value;
      else if (option.name === 'output') {
        if (!PLAN_OUTPUTS.includes(value as PlanOutput)) {
          throw new InputError(`--output must be one of ${PLAN_OUTPUTS.join(', ')}`);
        }
        globals.output = value as PlanOutput;
      }
    }

    if (serviceName === 's3') return planS3Command(positionals.slice(1), remaining, globals, context);
    if (!operationName) throw new InputError(`the command names no operation for ${serviceName}`);
    if (positionals.length > 2) throw new InputError(`unexpected argument "${positionals[2]}"`);

    const service = catalog.getService(serviceName);
    const operation = catalog.getOperation(serviceName, operationName);
    const parameters: Record<string, unknown> = {};
    for (const option of remaining) {
      const { param, negated } = findOption(service, operation, option.name);
      if (param.shape.type === 'boolean') {
        if (option.values.length > 0 && !option.inline) {
          throw new InputError(`--${option.name} is a flag and takes no value (got "${option.values[0]}")`);
        }
        const inlineValue = option.inline ? option.values[0] : undefined;
        const flag = inlineValue === undefined ? true : coerceToShape(service, param.shape, inlineValue);
        parameters[param.memberName] = negated ? flag === false : flag;
        continue;
      }
      if (parameters[param.memberName] !== undefined)
        throw new InputError(`--${param.cliName} is given twice`);
      parameters[param.memberName] = convertOptionValue(service, param, option.values);
    }
    const plan: Plan = {
      service: service.cliName,
      operation: operation.cliName,
      parameters,
      region: globals.region ?? context.defaultRegion,
    };
    if (globals.query !== undefined) plan.query = globals.query;
    if (globals.output !== undefined) plan.output = globals.output;
    return plan;
  }

  return { looksLikeCommand, parseCommand };
}

function single(name: string, values: string[]): string {
  if (values.length !== 1) throw new InputError(`--${name} takes exactly one value`);
  return values[0] as string;
}

function findOption(
  service: ServiceModel,
  operation: OperationModel,
  name: string,
): { param: ParameterModel; negated: boolean } {
  const direct = operation.parametersByCliName.get(name);
  if (direct) return { param: direct, negated: false };
  if (name.startsWith('no-')) {
    const positive = operation.parametersByCliName.get(name.slice(3));
    if (positive && positive.shape.type === 'boolean') return { param: positive, negated: true };
  }
  const candidates = [...operation.parametersByCliName.keys(), ...ACCEPTED_GLOBAL_OPTIONS];
  const hint = formatSuggestions(suggestCloseMatches(name, candidates).map((n) => `--${n}`));
  throw new InputError(`unknown option --${name} for ${service.cliName} ${operation.cliName}.${hint}`, {
    option: `--${name}`,
  });
}

function convertOptionValue(service: ServiceModel, param: ParameterModel, values: string[]): unknown {
  const { shape } = param;
  if (values.length === 0) throw new InputError(`--${param.cliName} needs a value`);
  if (shape.type === 'list') {
    const member = service.getShape(shape.member?.shape ?? '');
    if (values.length === 1 && (values[0] as string).trimStart().startsWith('[')) {
      return coerceToShape(service, shape, parseJson(param.cliName, values[0] as string));
    }
    const items: unknown[] = [];
    for (const value of values) {
      if (member.type === 'structure' || member.type === 'map') {
        items.push(
          value.trimStart().startsWith('{') ? parseJson(param.cliName, value) : parseShorthand(value),
        );
      } else {
        // `--instance-ids i-1,i-2` and `--instance-ids i-1 i-2` both mean two items, as in the CLI.
        items.push(...value.split(',').filter((v) => v !== ''));
      }
    }
    return coerceToShape(service, shape, items);
  }
  if (values.length > 1) throw new InputError(`--${param.cliName} takes one value (got ${values.length})`);
  const value = values[0] as string;
  if (shape.type === 'structure' || shape.type === 'map' || shape.document) {
    const parsed =
      value.trimStart().startsWith('{') || shape.document
        ? parseJson(param.cliName, value)
        : parseShorthand(value);
    return coerceToShape(service, shape, parsed);
  }
  return coerceToShape(service, shape, value);
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`--${name}: invalid JSON (${(err as Error).message})`);
  }
}

const S3_URI = /^s3:\/\/([^/]+)(?:\/(.*))?$/;

/**
 * The high-level `aws s3` commands that only talk to S3 are mapped to their S3 API equivalents, so
 * they are validated, classified and shown like any other plan; the ones that move local files are not
 * offered by a server that must never read or write its own disk for a user.
 */
function planS3Command(
  args: string[],
  options: { name: string; values: string[] }[],
  globals: { region?: string; query?: string; output?: PlanOutput },
  context: PlanningContext,
): Plan {
  const [command, target, extra] = args;
  const region = globals.region ?? context.defaultRegion;
  if (command !== undefined && !['ls', 'mb', 'rb'].includes(command)) {
    throw new InputError(
      `aws s3 ${command} is not supported here (it moves local files); use ls, mb, rb or the s3api operations`,
    );
  }
  if (extra !== undefined) throw new InputError(`unexpected argument "${extra}"`);
  const firstOption = options[0];
  if (firstOption)
    throw new InputError(`option --${firstOption.name} is not supported with aws s3 ${command ?? ''}`.trim());
  const withGlobals = (plan: Plan): Plan => {
    if (globals.query !== undefined) plan.query = globals.query;
    if (globals.output !== undefined) plan.output = globals.output;
    return plan;
  };
  const parseTarget = (): { bucket: string; key: string | undefined } => {
    const match = target ? S3_URI.exec(target) : null;
    if (!match) throw new InputError(`aws s3 ${command} needs an s3://bucket argument`);
    return { bucket: match[1] as string, key: match[2] === '' ? undefined : match[2] };
  };
  switch (command) {
    case 'ls': {
      if (target === undefined)
        return withGlobals({ service: 's3api', operation: 'list-buckets', parameters: {}, region });
      const { bucket, key } = parseTarget();
      const parameters: Record<string, unknown> = { Bucket: bucket, Delimiter: '/' };
      if (key !== undefined) parameters['Prefix'] = key;
      return withGlobals({ service: 's3api', operation: 'list-objects-v2', parameters, region });
    }
    case 'mb': {
      const { bucket, key } = parseTarget();
      if (key !== undefined) throw new InputError('aws s3 mb takes a bucket, not a key');
      const parameters: Record<string, unknown> = { Bucket: bucket };
      // us-east-1 is the one region where S3 refuses an explicit location constraint.
      if (region !== 'us-east-1') parameters['CreateBucketConfiguration'] = { LocationConstraint: region };
      return withGlobals({ service: 's3api', operation: 'create-bucket', parameters, region });
    }
    case 'rb': {
      const { bucket, key } = parseTarget();
      if (key !== undefined) throw new InputError('aws s3 rb takes a bucket, not a key');
      return withGlobals({
        service: 's3api',
        operation: 'delete-bucket',
        parameters: { Bucket: bucket },
        region,
      });
    }
    default:
      throw new InputError('aws s3 needs a command (ls, mb, rb)');
  }
}
