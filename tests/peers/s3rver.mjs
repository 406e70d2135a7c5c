// Starts the S3 test server (npm @20minutes/s3rver, which verifies Signature V4) on loopback.
// Usage: node --openssl-legacy-provider s3rver.mjs <port> <directory> <bucket>
// (the legacy provider is needed: its continuation tokens use DES). Prints "ready <port>" once
// listening; exits on SIGTERM/SIGINT.
import S3rver from '@20minutes/s3rver';

const [port, directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
const { port: bound } = await server.run();
console.log(`ready ${bound}`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
