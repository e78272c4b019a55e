// Jest setupFiles: runs before every test file, in every project. Keep it tiny and side-effect
// free apart from defaults: quiet Powertools, and an AWS SDK that can build a client offline.
const defaults: Record<string, string> = {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  // Dummies, never real credentials. S3RVER/S3RVER is the one key pair s3rver accepts, so code
  // that builds its S3 client from the default credential chain also works against it.
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
};
for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
