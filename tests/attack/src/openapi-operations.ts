/** The operations an OpenAPI 3 document describes, in the shape the fuzzer needs. */

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  pattern?: string;
  default?: unknown;
  additionalProperties?: boolean | JsonSchema;
};

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: JsonSchema;
}

export interface Operation {
  /** Which document it came from (service name). */
  readonly service: string;
  readonly method: string;
  /** Path template as documented, e.g. `/history/{id}`. */
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly body: JsonSchema | undefined;
  /** Server-sent events: read the headers only. */
  readonly streams: boolean;
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
}

interface OpenApiOperation {
  parameters?: Array<{ name: string; in: Parameter['in']; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

const methods = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** Lists the operations of `doc`, leaving out the paths `skip` names (e.g. sign-out, which ends the run's session). */
export function listOperations(
  service: string,
  doc: unknown,
  skip: (method: string, path: string) => boolean = () => false,
): Operation[] {
  const paths = (doc as OpenApiDocument).paths ?? {};
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!methods.has(method)) continue;
      const upper = method.toUpperCase();
      if (skip(upper, path)) continue;
      const body = operation.requestBody?.content?.['application/json']?.schema;
      const streams = Object.values(operation.responses ?? {}).some((r) =>
        Object.keys(r.content ?? {}).includes('text/event-stream'),
      );
      operations.push({
        service,
        method: upper,
        path,
        parameters: (operation.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in,
          required: p.required ?? false,
          schema: p.schema ?? {},
        })),
        body,
        streams: streams || path.endsWith('/stream'),
      });
    }
  }
  return operations;
}
