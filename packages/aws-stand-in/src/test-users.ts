/**
 * The AWS stand-in with the tests' known users (sign-in through the gateway, bench, end-to-end): it speaks
 * the real STS Query protocol and verifies each request's SigV4 signature against these key pairs, so the
 * real AWS SDK's success and error paths run.
 */
import { startAwsStandIn } from './server.ts';
import type { StandInUser } from './types.ts';

/** A known user: keys, ARN, account and the STS user id GetCallerIdentity answers. */
export type TestUser = StandInUser & { userId: string };

/** AWS's documented example key pair: recognisable, and matched by the platform's secret masking. */
export const testUsers = {
  alice: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    arn: 'arn:aws:iam::111122223333:user/team/alice',
    account: '111122223333',
    userId: 'AIDAALICEEXAMPLE00001',
  },
  bob: {
    accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
    secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
    arn: 'arn:aws:iam::444455556666:user/bob',
    account: '444455556666',
    userId: 'AIDABOBEXAMPLE0000002',
  },
  admin: {
    accessKeyId: 'AKIAJADMINEXAMPLE999',
    secretAccessKey: 'Xk9pQw2Lr7Zt4Vb8Nm3Hs6Jd1Fg5Ca0YEXAMPLE',
    arn: 'arn:aws:iam::777788889999:user/ops/admin-ann',
    account: '777788889999',
    userId: 'AIDAADMINEXAMPLE00003',
  },
} as const satisfies Record<string, TestUser>;

export interface StsStandIn {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the stand-in on a free loopback port. */
export async function startStsStandIn(options: { users?: readonly TestUser[] } = {}): Promise<StsStandIn> {
  const standIn = await startAwsStandIn({ users: [...(options.users ?? Object.values(testUsers))] });
  return { url: standIn.url, close: () => standIn.close() };
}
