import { InputError } from '@ashapp/platform';
import type { Plan, PlanOutput } from '../plan/plan.ts';
import { PLAN_OUTPUTS } from '../plan/plan.ts';
import type {
  AwsModelCatalog,
  OperationModel,
  ParameterModel,
  ServiceModel,
  Shape,
} from './model-catalog.ts';
import { formatSuggestions, suggestCloseMatches } from './names.ts';

export interface ValidatedPlan {
  /** The plan normalised: parameters keyed by model member names, region filled in. */
  plan: Plan;
  service: ServiceModel;
  operation: OperationModel;
  /** IAM-style action name used by safety rules, e.g. `ec2:StopInstances`. */
  action: string;
}

export interface ValidatePlanOptions {
  defaultRegion?: string;
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const LOCAL_FILE_PREFIX = /^\s*fileb?:\/\//i;
const MAX_DEPTH = 12;
const MAX_PLAN_CHARS = 64 * 1024;

/** Values the CLI would treat as "read this local file" are refused wherever they appear. */
export function isLocalFileReference(value: string): boolean {
  return LOCAL_FILE_PREFIX.test(value);
}

/**
 * Validates an untrusted plan (typed by a user, produced by a planner or a model) against the CLI's own
 * service models. Unknown services, operations and parameters, missing required members and values of
 * the wrong type raise InputError naming what was wrong.
 */
export function validatePlan(
  catalog: AwsModelCatalog,
  input: unknown,
  options: ValidatePlanOptions = {},
): ValidatedPlan {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InputError('a plan must be an object {service, operation, parameters, region}');
  }
  const raw = input as Record<string, unknown>;
  if (JSON.stringify(raw).length > MAX_PLAN_CHARS) throw new InputError('the plan is too large');
  for (const key of Object.keys(raw)) {
    if (!['service', 'operation', 'parameters', 'region', 'query', 'output'].includes(key)) {
      throw new InputError(`unexpected plan field "${key}"`);
    }
  }
  if (typeof raw['service'] !== 'string' || raw['service'] === '')
    throw new InputError('plan.service must be a non-empty string');
  if (typeof raw['operation'] !== 'string' || raw['operation'] === '') {
    throw new InputError('plan.operation must be a non-empty string');
  }
  const service = catalog.getService(raw['service'].trim().toLowerCase());
  const operation = catalog.getOperation(service.cliName, raw['operation'].trim());
  if (operation.streamingInput || operation.streamingOutput) {
    throw new InputError(
      `${service.cliName} ${operation.cliName} reads or writes local files and is not supported here`,
    );
  }

  const region = raw['region'] ?? options.defaultRegion;
  if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
    throw new InputError(
      `plan.region must be an AWS region such as us-east-1 (got ${JSON.stringify(region ?? null)})`,
    );
  }
  const plan: Plan = { service: service.cliName, operation: operation.cliName, parameters: {}, region };
  if (raw['query'] !== undefined) {
    if (typeof raw['query'] !== 'string' || raw['query'].length > 2000)
      throw new InputError('plan.query must be a string');
    if (raw['query'] !== '') plan.query = raw['query'];
  }
  if (raw['output'] !== undefined) {
    if (!PLAN_OUTPUTS.includes(raw['output'] as PlanOutput)) {
      throw new InputError(`plan.output must be one of ${PLAN_OUTPUTS.join(', ')}`);
    }
    plan.output = raw['output'] as PlanOutput;
  }

  const parameters = raw['parameters'] ?? {};
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    throw new InputError('plan.parameters must be an object');
  }
  for (const [key, value] of Object.entries(parameters)) {
    const param = findParameter(operation, key);
    if (!param) {
      const hint = formatSuggestions(
        suggestCloseMatches(key.replace(/^--/, ''), operation.parametersByCliName.keys()).map(
          (n) => `--${n}`,
        ),
      );
      throw new InputError(`unknown parameter "${key}" for ${service.cliName} ${operation.cliName}.${hint}`, {
        parameter: key,
      });
    }
    if (value === undefined || value === null) continue;
    plan.parameters[param.memberName] = checkValue(service, param.shape, value, `--${param.cliName}`, 0);
  }
  for (const param of operation.parameters.values()) {
    if (param.required && plan.parameters[param.memberName] === undefined) {
      throw new InputError(`${service.cliName} ${operation.cliName} needs --${param.cliName}`, {
        parameter: param.cliName,
      });
    }
  }
  return { plan, service, operation, action: `${service.modelName}:${operation.name}` };
}

function findParameter(operation: OperationModel, key: string): ParameterModel | undefined {
  return operation.parameters.get(key) ?? operation.parametersByCliName.get(key.replace(/^--/, ''));
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function checkValue(
  service: ServiceModel,
  shape: Shape,
  value: unknown,
  path: string,
  depth: number,
): unknown {
  if (depth > MAX_DEPTH) throw new InputError(`${path}: value nested too deeply`);
  if (shape.document) return checkDocument(value, path, depth);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new InputError(`${path}: expected an object, got ${describeValue(value)}`);
      }
      const members = shape.members ?? {};
      const out: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(value)) {
        const ref = members[key];
        if (!ref) {
          const hint = formatSuggestions(suggestCloseMatches(key, Object.keys(members)));
          throw new InputError(`${path}: unknown member "${key}".${hint}`);
        }
        if (member === undefined || member === null) continue;
        out[key] = checkValue(service, service.getShape(ref.shape), member, `${path}.${key}`, depth + 1);
      }
      for (const required of shape.required ?? []) {
        if (out[required] === undefined)
          throw new InputError(`${path}: missing required member "${required}"`);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value))
        throw new InputError(`${path}: expected a list, got ${describeValue(value)}`);
      if (value.length > 1000) throw new InputError(`${path}: too many items`);
      const memberShape = service.getShape(shape.member?.shape ?? '');
      return value.map((item, index) =>
        checkValue(service, memberShape, item, `${path}[${index}]`, depth + 1),
      );
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new InputError(`${path}: expected a map (object), got ${describeValue(value)}`);
      }
      const valueShape = service.getShape(shape.value?.shape ?? '');
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        checkString(key, `${path} key`);
        out[key] = checkValue(service, valueShape, item, `${path}.${key}`, depth + 1);
      }
      return out;
    }
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new InputError(`${path}: expected an integer, got ${describeValue(value)}`);
      }
      if (shape.min !== undefined && value < shape.min)
        throw new InputError(`${path}: must be at least ${shape.min}`);
      if (shape.max !== undefined && value > shape.max)
        throw new InputError(`${path}: must be at most ${shape.max}`);
      return value;
    case 'float':
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new InputError(`${path}: expected a number, got ${describeValue(value)}`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean')
        throw new InputError(`${path}: expected true or false, got ${describeValue(value)}`);
      return value;
    case 'timestamp':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value !== 'string')
        throw new InputError(`${path}: expected a timestamp, got ${describeValue(value)}`);
      checkString(value, path);
      return value;
    case 'blob':
    case 'string':
    default: {
      if (typeof value !== 'string')
        throw new InputError(`${path}: expected a string, got ${describeValue(value)}`);
      checkString(value, path);
      if (shape.enum && shape.enum.length > 0 && !shape.enum.includes(value)) {
        const hint = formatSuggestions(suggestCloseMatches(value, shape.enum));
        throw new InputError(`${path}: "${value}" is not one of the allowed values.${hint}`);
      }
      return value;
    }
  }
}

function checkDocument(value: unknown, path: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new InputError(`${path}: value nested too deeply`);
  if (typeof value === 'string') checkString(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => checkDocument(v, `${path}[${i}]`, depth + 1));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) checkDocument(v, `${path}.${k}`, depth + 1);
  }
  return value;
}

function checkString(value: string, path: string): void {
  if (isLocalFileReference(value)) {
    throw new InputError(
      `${path}: file:// and fileb:// values are not allowed (nothing is read from the server's disk)`,
    );
  }
  if (value.includes('\0')) throw new InputError(`${path}: NUL characters are not allowed`);
}
