import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { NotAuthenticatedError, UpstreamError } from '@ashapp/platform';

export interface AwsSessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface EcrRegistryLogin {
  /** e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com` */
  registry: string;
  username: string;
  password: string;
  expiresAt: Date | undefined;
}

/**
 * Registry credentials for Amazon ECR from the signed-in user's AWS session: ECR's GetAuthorizationToken
 * returns base64 `AWS:<password>` and the registry endpoint (valid 12 hours).
 */
export async function readEcrRegistryLogin(options: {
  region: string;
  credentials: AwsSessionCredentials;
  /** Endpoint override (VPC endpoints, or a test stand-in). */
  endpoint?: string;
  timeoutMs?: number;
}): Promise<EcrRegistryLogin> {
  const client = new ECRClient({
    region: options.region,
    credentials: options.credentials,
    endpoint: options.endpoint,
    maxAttempts: 2,
  });
  try {
    const response = await client.send(new GetAuthorizationTokenCommand({}), {
      abortSignal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const data = response.authorizationData?.[0];
    if (!data?.authorizationToken || !data.proxyEndpoint)
      throw new UpstreamError('ECR returned no authorization data');
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new UpstreamError('ECR returned an authorization token in an unknown format');
    return {
      registry: new URL(data.proxyEndpoint).host,
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      expiresAt: data.expiresAt,
    };
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    const name = (err as { name?: string }).name ?? '';
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (
      /UnrecognizedClient|InvalidSignature|AccessDenied|ExpiredToken|InvalidClientTokenId/.test(name) ||
      status === 403
    ) {
      throw new NotAuthenticatedError('AWS refused the session credentials for ECR');
    }
    throw new UpstreamError(`ECR GetAuthorizationToken failed: ${name || (err as Error).message}`);
  } finally {
    client.destroy();
  }
}
