export { startAwsStandIn, DEFAULT_STAND_IN_INSTANCES } from './server.ts';
export { startStsStandIn, testUsers, type StsStandIn, type TestUser } from './test-users.ts';
export type { AwsStandIn, AwsStandInOptions } from './server.ts';
export type {
  BedrockAnswer,
  BedrockConverseRequest,
  StandInCall,
  StandInInstance,
  StandInLogGroup,
  StandInUser,
} from './types.ts';
export { computeSignature, parseAuthorization, verifySignature } from './sigv4.ts';
export { DEFAULT_STAND_IN_ROLES, type StandInRole } from './iam.ts';
