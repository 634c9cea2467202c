import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';
import { InputError, UnavailableError } from '@ashapp/platform';
import type {
  Shape,
  ParameterModel,
  OperationModel,
  ServiceModel,
  ServiceSummary,
  AwsModelCatalog,
} from './model-types.ts';
import { formatSuggestions, suggestCloseMatches, toCliName } from './names.ts';

export type {
  ShapeRef,
  Shape,
  ParameterModel,
  OperationModel,
  ServiceModel,
  ServiceSummary,
  AwsModelCatalog,
} from './model-types.ts';

/** Where Debian's `awscli` package (CLI v2) keeps botocore's JSON service models (the index's source). */
export const DEFAULT_AWS_MODELS_DIR = '/usr/lib/python3/dist-packages/awscli/botocore/data';

/**
 * The committed index generated from those models by `npm run models:index` (scripts/aws-models-index.ts),
 * so that planning and validation need no CLI installed (ADR 0010).
 */
export const DEFAULT_AWS_MODELS_INDEX = fileURLToPath(new URL('./index/aws-models.idx', import.meta.url));

export interface AwsModelCatalogOptions {
  /** The index file (default: the committed one next to this module). */
  indexFile?: string;
  /** How many services' models stay decoded at once, least recently used out first (default 24). */
  maxCachedServices?: number;
}

/**
 * A decoded model takes 0.1–2 MB of heap (EC2's the most); all 400-odd of them ~90 MB (`npm run
 * planner:report`). A request touches one or two services, and decoding one again takes milliseconds.
 */
export const defaultMaxCachedServices = 24;

// The CLI exposes botocore's `s3` model as `s3api`; `s3` is its high-level file command set instead.
const CLI_TO_MODEL: Readonly<Record<string, string>> = {
  s3api: 's3',
  configservice: 'config',
  deploy: 'codedeploy',
};

interface IndexedService {
  modelName: string;
  metadata: Record<string, string>;
  operationNames: string[];
  offset: number;
  length: number;
}

interface IndexHeader {
  format: number;
  source: { awscli: string; models_sha256: string };
  argumentRenames: Record<string, string>;
  services: Record<string, IndexedService>;
}

interface IndexedOperation {
  method?: string;
  input?: string;
  deprecated?: boolean;
  documentation?: string;
  streamingOutput?: boolean;
  sensitiveOutput?: string[];
}

interface IndexedBody {
  operations: Record<string, IndexedOperation>;
  shapes: Record<string, Shape>;
}

/**
 * Creates a catalog over the committed index of the AWS CLI's service models. The index header (names,
 * metadata, operation names) is read the first time anything is asked; each service's operations and
 * shapes are decompressed and indexed the first time that service is used, and the most recently used
 * ones are kept inside this catalog (no module state).
 */
export function createAwsModelCatalog(options: AwsModelCatalogOptions = {}): AwsModelCatalog {
  const indexFile = options.indexFile ?? DEFAULT_AWS_MODELS_INDEX;
  const maxCached = Math.max(1, options.maxCachedServices ?? defaultMaxCachedServices);
  const cache = new Map<string, ServiceModel>();
  let loaded:
    { header: IndexHeader; bodies: Buffer; names: string[]; summaries: ServiceSummary[] } | undefined;

  function readIndex(): NonNullable<typeof loaded> {
    if (loaded) return loaded;
    let file: Buffer;
    try {
      file = readFileSync(indexFile);
    } catch {
      throw new UnavailableError(
        `AWS service model index not found at ${indexFile}; regenerate it with npm run models:index`,
      );
    }
    const headerLength = file.readUInt32BE(0);
    const header = JSON.parse(
      brotliDecompressSync(file.subarray(4, 4 + headerLength)).toString('utf8'),
    ) as IndexHeader;
    if (header.format !== 2) throw new UnavailableError(`unsupported model index format ${header.format}`);
    const names = Object.keys(header.services).sort();
    const summaries = names.map((cliName): ServiceSummary => {
      const entry = header.services[cliName] as IndexedService;
      const m = entry.metadata;
      return {
        cliName,
        modelName: entry.modelName,
        serviceFullName: m['serviceFullName'] ?? cliName,
        ...(m['serviceAbbreviation'] ? { serviceAbbreviation: m['serviceAbbreviation'] } : {}),
        ...(m['serviceId'] ? { serviceId: m['serviceId'] } : {}),
        endpointPrefix: m['endpointPrefix'] ?? entry.modelName,
        operationNames: entry.operationNames,
      };
    });
    loaded = { header, bodies: file.subarray(4 + headerLength), names, summaries };
    return loaded;
  }

  function renameParameter(cliService: string, cliOperation: string, cliParam: string): string {
    const table = readIndex().header.argumentRenames;
    return (
      table[`${cliService}.${cliOperation}.${cliParam}`] ?? table[`${cliService}.*.${cliParam}`] ?? cliParam
    );
  }

  function loadService(cliService: string): ServiceModel {
    const { header, bodies } = readIndex();
    const entry = header.services[cliService];
    if (!entry) throw new UnavailableError(`no service model for ${cliService}`);
    const body = JSON.parse(
      brotliDecompressSync(bodies.subarray(entry.offset, entry.offset + entry.length)).toString('utf8'),
    ) as IndexedBody;
    const shapes = body.shapes;
    const getShape = (name: string): Shape => {
      const shape = shapes[name];
      if (!shape) throw new UnavailableError(`service model ${cliService} lacks shape ${name}`);
      return shape;
    };
    const operations = new Map<string, OperationModel>();
    for (const [name, op] of Object.entries(body.operations)) {
      const cliName = toCliName(name);
      const parameters = new Map<string, ParameterModel>();
      const parametersByCliName = new Map<string, ParameterModel>();
      let streamingInput = false;
      if (op.input) {
        const inputShape = getShape(op.input);
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
            ...(ref.documentation ? { documentation: ref.documentation } : {}),
          };
          parameters.set(memberName, param);
          parametersByCliName.set(param.cliName, param);
        }
      }
      operations.set(cliName, {
        name,
        cliName,
        httpMethod: op.method ?? 'POST',
        parameters,
        parametersByCliName,
        streamingInput,
        streamingOutput: op.streamingOutput === true,
        deprecated: op.deprecated === true,
        ...(op.documentation ? { documentation: op.documentation } : {}),
        sensitiveOutput: op.sensitiveOutput ?? [],
      });
    }
    const metadata = entry.metadata;
    const modelName = entry.modelName;
    return {
      cliName: cliService,
      modelName,
      endpointPrefix: metadata['endpointPrefix'] ?? modelName,
      signingName: metadata['signingName'] ?? metadata['endpointPrefix'] ?? modelName,
      protocol: metadata['protocol'] ?? 'unknown',
      apiVersion: metadata['apiVersion'] ?? 'unknown',
      serviceFullName: metadata['serviceFullName'] ?? cliService,
      ...(metadata['serviceAbbreviation'] ? { serviceAbbreviation: metadata['serviceAbbreviation'] } : {}),
      ...(metadata['serviceId'] ? { serviceId: metadata['serviceId'] } : {}),
      shapes,
      operations,
      getShape,
    };
  }

  function hasService(cliService: string): boolean {
    return Object.hasOwn(readIndex().header.services, cliService);
  }

  function getService(cliService: string): ServiceModel {
    const cached = cache.get(cliService);
    if (cached) {
      // Map order is insertion order: moving an entry to the end keeps the oldest first.
      cache.delete(cliService);
      cache.set(cliService, cached);
      return cached;
    }
    if (!hasService(cliService)) {
      if (cliService === 's3') {
        throw new InputError(
          'service "s3" here means the S3 API: use "s3api" (aws s3 ls / mb / rb are also understood)',
        );
      }
      const hint = formatSuggestions(suggestCloseMatches(cliService, readIndex().names));
      throw new InputError(`unknown AWS service "${cliService}".${hint}`, { service: cliService });
    }
    const service = loadService(cliService);
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string);
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
    listServiceSummaries: () => readIndex().summaries,
    describeSource: () => ({ ...readIndex().header.source }),
    listCliServices: () => [...readIndex().names],
    hasService,
    getService,
    getOperation,
  };
}

/** The model directory name of a CLI service name (`s3api` → `s3`), for reading the CLI's own files. */
export function toModelServiceName(cliService: string): string {
  return CLI_TO_MODEL[cliService] ?? cliService;
}
