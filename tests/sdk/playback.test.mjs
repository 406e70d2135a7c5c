// The issue-3 user path end to end: `meet-recorder lksim` with the real ffmpeg encoder, two
// simulated participants joined with the CLI (`meet-recorder lksim join`), a room-composite egress
// started and stopped with the official LiveKit SDK, and the resulting MP4 played in headless
// Chromium (Debian's chromium, driven by playwright-core).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { EgressClient, EgressStatus, EncodedFileOutput, EncodedFileType } from 'livekit-server-sdk';

const BINARY = process.env.MR_BINARY;
const KEY = 'devkey';
const SECRET = 'secret';
let sim, port, storage;

const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port: p } = s.address(); s.close(() => resolve(p)); });
});

async function waitFor(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const env = () => ({
  PATH: process.env.PATH, MEET_EMBEDDED_LIVEKIT_PORT: String(port), LIVEKIT_API_KEY: KEY,
  LIVEKIT_API_SECRET: SECRET, MEET_STORAGE_DIR: storage, MEET_LKSIM_ENCODER: 'ffmpeg',
  ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? '', UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? '',
});

before(async () => {
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'mr-play-'));
  port = await freePort();
  sim = spawn(BINARY, ['lksim'], { env: env(), stdio: ['ignore', 'inherit', 'inherit'] });
  await waitFor('lksim', async () => {
    try { return (await fetch(`http://127.0.0.1:${port}/sim/faults`)).ok; } catch { return false; }
  });
});

after(async () => {
  sim?.kill('SIGTERM');
  await new Promise((r) => (sim && sim.exitCode === null ? sim.on('exit', r) : r()));
  fs.rmSync(storage, { recursive: true, force: true });
});

test('record two CLI participants with the SDK and play the MP4 in Chromium', async () => {
  for (const [identity, name] of [['alice', 'Alice'], ['bob', 'Bob']]) {
    execFileSync(BINARY, ['lksim', 'join', 'demo', identity, '--name', name], { env: env() });
  }
  const eg = new EgressClient(`http://127.0.0.1:${port}`, KEY, SECRET);
  const started = await eg.startRoomCompositeEgress('demo', {
    file: new EncodedFileOutput({ filepath: 'openvidu-meet/recordings/demo/demo--0123456789', fileType: EncodedFileType.MP4, disableManifest: true }),
  }, { layout: 'grid' });
  await waitFor('ACTIVE', async () => (await eg.listEgress({ egressId: started.egressId }))[0]?.status === EgressStatus.EGRESS_ACTIVE);
  await new Promise((r) => setTimeout(r, 2500));
  await eg.stopEgress(started.egressId);
  const done = await waitFor('COMPLETE', async () => {
    const [e] = await eg.listEgress({ egressId: started.egressId });
    return e?.status === EgressStatus.EGRESS_COMPLETE ? e : null;
  });
  const file = path.join(storage, done.fileResults[0].filename);
  assert.ok(fs.statSync(file).size > 10000, 'the recording has media');
  execFileSync(BINARY, ['lksim', 'leave', 'demo', 'bob'], { env: env() });

  // Serve the file and a page over loopback, as the recorder's media endpoint would.
  const server = http.createServer((req, res) => {
    if (req.url === '/r.mp4') {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<video id="v" src="/r.mp4" muted playsinline></video>');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const result = await page.evaluate(() => new Promise((resolve) => {
      const v = document.getElementById('v');
      const give = (ok, why) => resolve({ ok, why, duration: v.duration, width: v.videoWidth, height: v.videoHeight, t: v.currentTime });
      v.onerror = () => give(false, `error ${v.error && v.error.code}`);
      v.ontimeupdate = () => { if (v.currentTime > 0.3) give(true, 'played'); };
      setTimeout(() => give(false, 'timeout'), 15000);
      v.play().catch((e) => give(false, String(e)));
    }));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.width, 640);
    assert.equal(result.height, 360);
    assert.ok(result.duration > 1, JSON.stringify(result));
  } finally {
    await browser.close();
    server.close();
  }
});
