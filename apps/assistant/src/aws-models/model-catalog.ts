import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UnavailableError } from '@ashapp/platform';
import { formatSuggestions, suggestCloseMatches, toCliName } from './names.ts';

/** Where Debian's `awscli` package (CLI v2) keeps botocore's JSON service models. */
export const DEFAULT_AWS_MODELS_DIR = '/usr/lib/python3/dist-packages/awscli/botocore/data';

export interface ShapeRef {
  shape: string;
  location?: string;
  locationName?: string;
  streaming?: boolean;
}

/** The subset of a botocore shape we read. */
export interface Shape {
  type:
    | 'structure'
    | 'list'
    | 'map'
    | 'string'
    | 'integer'
    | 'long'
    | 'boolean'
    | 'timestamp'
    | 'blob'
    | 'float'
    | 'double';
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  enum?: string[];
  min?: number;
  max?: number;
  streaming?: boolean;
  document?: boolean;
  payload?: string;
  sensitive?: boolean;
}

export interface ParameterModel {
  /** Model member name, e.g. `InstanceIds`. Plans key their parameters by this. */
  memberName: string;
  /** CLI option without dashes, e.g. `instance-ids`. */
  cliName: string;
  shapeName: string;
  shape: Shape;
  required: boolean;
}

export interface OperationModel {
  /** Model name, e.g. `DescribeInstances`. */
  name: string;
  /** CLI name, e.g. `describe-instances`. */
  cliName: string;
  httpMethod: string;
  parameters: ReadonlyMap<string, ParameterModel>;
  /** Lookup by CLI option name (without dashes). */
  parametersByCliName: ReadonlyMap<string, ParameterModel>;
  /** The operation reads a local file (streaming blob input, e.g. `s3api put-object --body`). */
  streamingInput: boolean;
  /** The operation writes a local file (streaming blob output, e.g. `s3api get-object outfile`). */
  streamingOutput: boolean;
  deprecated: boolean;
}

export interface ServiceModel {
  /** CLI command name, e.g. `s3api`. */
  cliName: string;
  /** botocore directory name, e.g. `s3`. IAM-style action prefixes use the endpoint prefix. */
  modelName: string;
  endpointPrefix: string;
  signingName: string;
  protocol: string;
  apiVersion: string;
  serviceFullName: string;
  shapes: Readonly<Record<string, Shape>>;
  operations: ReadonlyMap<string, OperationModel>;
  getShape(name: string): Shape;
}

export interface AwsModelCatalog {
  /** CLI service names available from the installed models (sorted). */
  listCliServices(): string[];
  hasService(cliService: string): boolean;
  /** Loads (once) and returns a service; unknown names raise InputError with close matches. */
  getService(cliService: string): ServiceModel;
  /** Finds an operation by its CLI name (or model name); unknown ones raise InputError with close matches. */
  getOperation(cliService: string, operation: string): OperationModel;
}

export interface AwsModelCatalogOptions {
  dataDir?: string;
  /** The CLI's own argument renames (`awscli/customizations/argrename.py`); read when present. */
  argRenamesFile?: string;
}

// The CLI exposes botocore's `s3` model as `s3api`; `s3` is its high-level file command set instead.
const CLI_TO_MODEL: Readonly<Record<string, string>> = { s3api: 's3' };
const MODEL_TO_CLI: Readonly<Record<string, string>> = { s3: 's3api' };

interface RawModel {
  metadata: Record<string, string>;
  operations: Record<
    string,
    { name: string; http?: { method?: string }; input?: ShapeRef; output?: ShapeRef; deprecated?: boolean }
  >;
  shapes: Record<string, Shape>;
}

/**
 * Creates a catalog over the AWS CLI's own service models. Each service's JSON is read and indexed the
 * first time it is asked for and cached inside this catalog (no module state).
 */
export function createAwsModelCatalog(options: AwsModelCatalogOptions = {}): AwsModelCatalog {
  const dataDir = options.dataDir ?? DEFAULT_AWS_MODELS_DIR;
  const argRenamesFile =
    options.argRenamesFile ?? join(dataDir, '..', '..', 'customizations', 'argrename.py');
  const cache = new Map<string, ServiceModel>();
  let serviceNames: string[] | undefined;
  let renames: Map<string, string> | undefined;

  function readServiceNames(): string[] {
    if (serviceNames) return serviceNames;
    if (!existsSync(dataDir)) {
      throw new UnavailableError(
        `AWS CLI service models not found at ${dataDir}; install the AWS CLI v2 (awscli)`,
      );
    }
    serviceNames = readdirSync(dataDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => MODEL_TO_CLI[entry.name] ?? entry.name)
      .sort();
    return serviceNames;
  }

  function readRenames(): Map<string, string> {
    if (renames) return renames;
    renames = new Map();
    if (existsSync(argRenamesFile)) {
      const text = readFileSync(argRenamesFile, 'utf8');
      const start = text.indexOf('ARGUMENT_RENAMES = {');
      const end = text.indexOf('\n}', start);
      if (start >= 0 && end > start) {
        const body = text
          .slice(start, end)
          .split('\n')
          .filter((line) => !line.trim().startsWith('#'))
          .join('\n');
        for (const match of body.matchAll(/'([^']+)':\s*'([^']+)'/g)) {
          const [, from, to] = match;
          // `no-*` renames concern negative boolean flags, which we never render.
          if (from && to && !(from.split('.').at(-1) ?? '').startsWith('no-')) renames.set(from, to);
        }
      }
    }
    return renames;
  }

  function renameParameter(cliService: string, cliOperation: string, cliParam: string): string {
    const table = readRenames();
    return (
      table.get(`${cliService}.${cliOperation}.${cliParam}`) ??
      table.get(`${cliService}.*.${cliParam}`) ??
      cliParam
    );
  }

  function loadService(cliService: string): ServiceModel {
    const modelName = CLI_TO_MODEL[cliService] ?? cliService;
    const serviceDir = join(dataDir, modelName);
    const versions = readdirSync(serviceDir).filter((v) => existsSync(join(serviceDir, v, 'service-2.json')));
    versions.sort();
    const latest = versions.at(-1);
    if (latest === undefined)
      throw new UnavailableError(`no service model for ${cliService} under ${serviceDir}`);
    const raw = JSON.parse(readFileSync(join(serviceDir, latest, 'service-2.json'), 'utf8')) as RawModel;
    const shapes = raw.shapes;
    const getShape = (name: string): Shape => {
      const shape = shapes[name];
      if (!shape) throw new UnavailableError(`service model ${cliService} lacks shape ${name}`);
      return shape;
    };
    const operations = new Map<string, OperationModel>();
    for (const op of Object.values(raw.operations)) {
      const cliName = toCliName(op.name);
      const parameters = new Map<string, ParameterModel>();
      const parametersByCliName = new Map<string, ParameterModel>();
      let streamingInput = false;
      if (op.input) {
        const inputShape = getShape(op.input.shape);
        const required = new Set(inputShape.required ?? []);
        for (const [memberName, ref] of Object.entries(inputShape.members ?? {})) {
          const shape = getShape(ref.shape);
          if (shape.type === 'blob' && (shape.streaming || ref.streaming)) streamingInput = true;
          const param: ParameterModel = {
            memberName,
            cliName: renameParameter(cliService, cliName, toCliName(memberName)),
            shapeName: ref.shape,
            shape,
            required: required.has(memberName),
          };
          parameters.set(memberName, param);
          parametersByCliName.set(param.cliName, param);
        }
      }
      let streamingOutput = false;
      if (op.output) {
        const outputShape = getShape(op.output.shape);
        const payload = outputShape.payload ? outputShape.members?.[outputShape.payload] : undefined;
        if (
          payload &&
          getShape(payload.shape).type === 'blob' &&
          (payload.streaming || getShape(payload.shape).streaming)
        ) {
          streamingOutput = true;
        }
      }
      operations.set(cliName, {
        name: op.name,
        cliName,
        httpMethod: op.http?.method ?? 'POST',
        parameters,
        parametersByCliName,
        streamingInput,
        streamingOutput,
        deprecated: op.deprecated === true,
      });
    }
    const metadata = raw.metadata;
    return {
      cliName: cliService,
      modelName,
      endpointPrefix: metadata['endpointPrefix'] ?? modelName,
      signingName: metadata['signingName'] ?? metadata['endpointPrefix'] ?? modelName,
      protocol: metadata['protocol'] ?? 'unknown',
      apiVersion: metadata['apiVersion'] ?? latest,
      serviceFullName: metadata['serviceFullName'] ?? cliService,
      shapes,
      operations,
      getShape,
    };
  }

  function hasService(cliService: string): boolean {
    return readServiceNames().includes(cliService);
  }

  function getService(cliService: string): ServiceModel {
    const cached = cache.get(cliService);
    if (cached) return cached;
    if (!hasService(cliService)) {
      if (cliService === 's3') {
        throw new InputError(
          'service "s3" here means the S3 API: use "s3api" (aws s3 ls / mb / rb are also understood)',
        );
      }
      const hint = formatSuggestions(suggestCloseMatches(cliService, readServiceNames()));
      throw new InputError(`unknown AWS service "${cliService}".${hint}`, { service: cliService });
    }
    const service = loadService(cliService);
    cache.set(cliService, service);
    return service;
  }

  function getOperation(cliService: string, operation: string): OperationModel {
    const service = getService(cliService);
    const found = service.operations.get(operation) ?? service.operations.get(toCliName(operation));
    if (found) return found;
    const hint = formatSuggestions(suggestCloseMatches(operation, service.operations.keys()));
    throw new InputError(`unknown operation "${operation}" for service "${cliService}".${hint}`, {
      service: cliService,
      operation,
    });
  }

  return {
    listCliServices: () => [...readServiceNames()],
    hasService,
    getService,
    getOperation,
  };
}
