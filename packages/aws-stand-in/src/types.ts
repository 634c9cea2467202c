/** A test identity the stand-in accepts. */
export interface StandInUser {
  accessKeyId: string;
  secretAccessKey: string;
  arn: string;
  account: string;
  userId?: string;
  sessionToken?: string;
  /** Requests with this key are answered as if its session had expired. */
  expired?: boolean;
  /** EC2 actions (e.g. `StopInstances`) this user is not authorised for: answered `UnauthorizedOperation`. */
  deniedActions?: string[];
}

export interface StandInInstance {
  instanceId: string;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  instanceType?: string;
  name?: string;
  tags?: Record<string, string>;
  privateIpAddress?: string;
  publicIpAddress?: string;
  imageId?: string;
}

/** A CloudWatch Logs group the stand-in starts with; `storedBytes` 0 = empty. */
export interface StandInLogGroup {
  name: string;
  storedBytes?: number;
  /** Epoch milliseconds. */
  createdAt?: number;
}

/** One request the stand-in received, after signature checks (rejected ones carry `errorCode`). */
export interface StandInCall {
  service: string;
  action: string;
  accessKeyId: string | undefined;
  params: Record<string, unknown>;
  dryRun: boolean;
  status: number;
  errorCode?: string;
}

/** What the Bedrock stand-in answers: a tool call with structured input, or plain prose. */
export type BedrockAnswer = { toolUse: { name: string; input: unknown } } | { text: string };

export interface BedrockConverseRequest {
  modelId: string;
  body: Record<string, unknown>;
}

export interface ServiceReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
  action: string;
  params: Record<string, unknown>;
  dryRun?: boolean;
  errorCode?: string;
}

export const EC2_STATE_CODES: Readonly<Record<StandInInstance['state'], number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export function escapeXml(value: string): string {
  return value.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string,
  );
}
