/** The signed-in user's AWS credentials, handed to each call; never stored, logged or returned. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
