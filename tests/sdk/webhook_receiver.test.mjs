// meet-recorder's own webhook receiver (POST /livekit/webhook of `meet-recorder serve`) against
// webhooks signed by the official LiveKit SDK (AccessToken with a sha256 claim, exactly what
// LiveKit sends): accepted with 200; tampered body, wrong secret or wrong issuer → 401.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccessToken } from 'livekit-server-sdk';

const BINARY = process.env.MR_BINARY;
const KEY = 'hook-key';
const SECRET = 'hook-secret-that-is-long-enough-for-hs256';
let service, base, storage;

const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

before(async () => {
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'mr-hook-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  service = spawn(BINARY, ['serve', '--encoder', 'none'], {
    env: {
      PATH: process.env.PATH, SERVER_PORT: String(port), MEET_STORAGE_DIR: storage,
      LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET, MEET_EMBEDDED_LIVEKIT_PORT: '0',
      MEET_INITIAL_API_KEY: 'k', ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? '',
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? '',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    try { if ((await fetch(`${base}/health`)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('meet-recorder did not start');
});

after(async () => {
  service?.kill('SIGTERM');
  await new Promise((r) => (service && service.exitCode === null ? service.on('exit', r) : r()));
  fs.rmSync(storage, { recursive: true, force: true });
});

async function sign(body, key = KEY, secret = SECRET) {
  const at = new AccessToken(key, secret, { ttl: '5m' });
  at.sha256 = crypto.createHash('sha256').update(body).digest('base64');
  return at.toJwt();
}

const post = (body, auth) => fetch(`${base}/livekit/webhook`, {
  method: 'POST', headers: { 'content-type': 'application/webhook+json', authorization: auth }, body,
});

test('SDK-signed webhooks are accepted; forged ones are 401', async () => {
  const body = JSON.stringify({ event: 'room_started', room: { sid: 'RM_abc', name: 'r1' }, id: 'EV_sdk1', createdAt: '1727000000' });
  let res = await post(body, await sign(body));
  assert.equal(res.status, 200);
  res = await post(body, await sign(body));  // The same event again: still 200 (de-duplicated).
  assert.equal(res.status, 200);
  res = await post(body.replace('r1', 'r2'), await sign(body));
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { error: 'Authentication Error', message: 'Invalid webhook signature' });
  res = await post(body, await sign(body, KEY, 'another-secret-that-is-long-enough-too'));
  assert.equal(res.status, 401);
  res = await post(body, await sign(body, 'other-key'));
  assert.equal(res.status, 401);
  res = await post(body, '');
  assert.equal(res.status, 401);
});
