import { createServer, type IncomingMessage } from 'node:http';
import protobuf from 'protobufjs';

/** One span as a collector sees it, normalised from either OTLP encoding. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** Base URL to put in `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Content types of the export requests received (`application/x-protobuf`, `application/json`). */
  readonly contentTypes: string[];
  close(): Promise<void>;
}

// The part of opentelemetry-proto's trace service this stand-in reads (field numbers from
// opentelemetry/proto/collector/trace/v1/trace_service.proto and trace/v1/trace.proto); other fields are
// skipped by the decoder as protobuf allows.
const otlpTraceProto = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5;
  int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; bytes bytes_value = 7; }
}
`;

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface RequestShape {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        attributes?: KeyValue[];
      }>;
    }>;
  }>;
}

function readValue(value: AnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.doubleValue;
}

function readAttributes(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, readValue(kv.value)]));
}

function normalise(request: RequestShape): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const service = String(readAttributes(rs.resource?.attributes)['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        out.push({
          service,
          traceId: span.traceId.toLowerCase(),
          spanId: span.spanId.toLowerCase(),
          parentSpanId: (span.parentSpanId ?? '').toLowerCase(),
          name: span.name,
          kind: span.kind ?? 0,
          attributes: readAttributes(span.attributes),
        });
      }
    }
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A stand-in for an OpenTelemetry collector's OTLP/HTTP trace receiver: `POST /v1/traces` in both encodings
 * the exporters send (`application/x-protobuf`, decoded with protobufjs from the OTLP schema, and
 * `application/json`, whose ids are hex strings), answering as a collector does. Loopback only.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const ExportRequest = protobuf
    .parse(otlpTraceProto, { keepCase: false })
    .root.lookupType('otlp.ExportTraceServiceRequest');
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const body = await readBody(req);
      contentTypes.push(type);
      if (type === 'application/x-protobuf') {
        const decoded = ExportRequest.toObject(ExportRequest.decode(body), { bytes: String, longs: String });
        // protobufjs renders bytes as base64; OTLP ids are compared as hex.
        const hex = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('hex');
        const shaped = decoded as RequestShape;
        for (const rs of shaped.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? []) {
              s.traceId = hex(s.traceId);
              s.spanId = hex(s.spanId);
              s.parentSpanId = hex(s.parentSpanId);
            }
        spans.push(...normalise(shaped));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } else if (type === 'application/json') {
        spans.push(...normalise(JSON.parse(body.toString('utf8')) as RequestShape));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(415).end();
      }
    })().catch(() => {
      res.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
