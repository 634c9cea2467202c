// The shapes of the AWS service models as the catalog hands them out (read from the committed index).

export interface ShapeRef {
  shape: string;
  /** One sentence of the member's documentation (kept for the members of operation inputs). */
  documentation?: string;
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
  /** One sentence of the model's documentation of this member, when the model has one. */
  documentation?: string;
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
  /** One sentence of the model's documentation of the operation. */
  documentation?: string;
  /** Paths of output members the model marks sensitive (e.g. `Credentials.SecretAccessKey`). */
  sensitiveOutput: readonly string[];
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
  serviceAbbreviation?: string;
  serviceId?: string;
  shapes: Readonly<Record<string, Shape>>;
  operations: ReadonlyMap<string, OperationModel>;
  getShape(name: string): Shape;
}

/** What is known of a service without loading its operations' shapes (names for recognising requests). */
export interface ServiceSummary {
  cliName: string;
  modelName: string;
  serviceFullName: string;
  serviceAbbreviation?: string;
  serviceId?: string;
  endpointPrefix: string;
  /** Model names of its operations (`DescribeInstances`). */
  operationNames: readonly string[];
}

export interface AwsModelCatalog {
  /** Every service with its names, in CLI name order. */
  listServiceSummaries(): readonly ServiceSummary[];
  /** The CLI version and models digest the index was generated from. */
  describeSource(): { awscli: string; models_sha256: string };
  /** CLI service names available from the installed models (sorted). */
  listCliServices(): string[];
  hasService(cliService: string): boolean;
  /** Loads (once) and returns a service; unknown names raise InputError with close matches. */
  getService(cliService: string): ServiceModel;
  /** Finds an operation by its CLI name (or model name); unknown ones raise InputError with close matches. */
  getOperation(cliService: string, operation: string): OperationModel;
}
