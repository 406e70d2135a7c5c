// Starts the S3 test server (npm @20minutes/s3rver, which verifies Signature V4) on loopback.
// Usage: node --openssl-legacy-provider s3rver.mjs <port> <directory> <bucket>
// (the legacy provider is needed: its continuation tokens use DES). Prints "ready <port>" once
// listening; exits on SIGTERM/SIGINT.
//
// One fix is applied to s3rver here: its filesystem store writes an object's content and
// metadata files in place, and a GET takes the size from one look at the file and the bytes from
// another, so a GET racing a PUT of the same key reads a torn object (half a JSON document, or a
// body cut at the old Content-Length). Real S3 replaces objects atomically, and the service
// relies on that, so the files are written to a temporary name and renamed into place, and a GET
// opens the file once and takes the size and the bytes from that one open file. A range of an
// empty object is answered 416 as S3 does (s3rver promised one byte it never sent).
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import S3rver from '@20minutes/s3rver';

const require = createRequire(import.meta.url);
const FilesystemStore = require('@20minutes/s3rver/lib/stores/filesystem.js');

let counter = 0;
const tempName = (path) => `${path}.tmp-${process.pid}-${counter++}`;

async function writeAtomically(path, data) {
  const tmp = tempName(path);
  await fsp.writeFile(tmp, data);
  await fsp.rename(tmp, path);
}

const S3Object = require('@20minutes/s3rver/lib/models/object.js');
const { pick, pickBy } = require('lodash');

// As s3rver's own putMetadata, each file written atomically.
FilesystemStore.prototype.putMetadata = async function putMetadata(bucket, key, metadata, md5) {
  const json = {
    ...pick(metadata, S3Object.ALLOWED_METADATA),
    ...pickBy(metadata, (_value, name) => name.startsWith('x-amz-meta-')),
  };
  if (md5) {
    await writeAtomically(this.getResourcePath(bucket, key, 'object.md5'), md5);
  }
  await writeAtomically(this.getResourcePath(bucket, key, 'metadata.json'),
                        JSON.stringify(json, null, 2));
};

FilesystemStore.prototype.putContent = async function putContent(objectPath, content) {
  const md5 = crypto.createHash('md5');
  if (Buffer.isBuffer(content)) {
    md5.update(content);
    await writeAtomically(objectPath, content);
    return [content.length, md5.digest('hex')];
  }
  const tmp = tempName(objectPath);
  let size = 0;
  await pipeline(
    content,
    new Transform({
      transform(chunk, encoding, callback) {
        md5.update(chunk, encoding);
        size += chunk.length;
        callback(null, chunk);
      },
    }),
    fs.createWriteStream(tmp),
  );
  await fsp.rename(tmp, objectPath);
  return [size, md5.digest('hex')];
};

FilesystemStore.prototype.getObject = async function getObject(bucket, key, options) {
  let handle;
  try {
    handle = await fsp.open(this.getResourcePath(bucket, key, 'object'), 'r');
  } catch (err) {
    if (err.code === 'ENOENT') {
      return null;
    }
    throw err;
  }
  let streaming = false;
  try {
    const size = (await handle.stat()).size;
    const metadata = { ...(await this.getMetadata(bucket, key)), 'content-length': size };
    const lastByte = Math.max(0, size - 1);
    const range = { start: options?.start || 0, end: Math.min(options?.end || Infinity, lastByte) };
    const ranged = options && (options.start !== undefined || options.end);
    let content = null;
    // A range of an empty object is not satisfiable (S3 answers 416; s3rver announced one byte).
    const unsatisfiable = range.start < 0 || range.end < range.start || (ranged && size === 0);
    if (!unsatisfiable) {
      content = handle.createReadStream({ start: range.start, end: range.end, autoClose: true });
      streaming = true;
    }
    const object = new S3Object(bucket, key, content, metadata);
    if (ranged) {
      object.range = range;
    }
    return object;
  } catch (err) {
    if (err.code === 'ENOENT') {
      return null;
    }
    throw err;
  } finally {
    if (!streaming) {
      await handle.close();
    }
  }
};

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
