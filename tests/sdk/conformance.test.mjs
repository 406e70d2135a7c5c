// Conformance of meet-recorder's embedded LiveKit-compatible server (lksim) with the official
// LiveKit server SDK (npm livekit-server-sdk): every RoomService and Egress call the recorder uses
// succeeds and parses, tokens with the wrong grant are refused, and lksim's webhooks pass the
// SDK's WebhookReceiver (tampered ones do not). Starts `meet-recorder lksim` on a free loopback port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AccessToken, DataPacket_Kind, EgressClient, EgressStatus, EncodedFileOutput, EncodedFileType,
  RoomServiceClient, WebhookReceiver,
} from 'livekit-server-sdk';

const BINARY = process.env.MR_BINARY;
const KEY = 'conformance-key';
const SECRET = 'conformance-secret-that-is-long-enough';
let sim, host, storage, webhookServer;
const webhooks = [];  // {body, auth}

const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function waitFor(what, check, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const control = (method, p, body) => fetch(`${host}${p}`, {
  method, headers: body ? { 'content-type': 'application/json' } : {},
  body: body ? JSON.stringify(body) : undefined,
});

before(async () => {
  assert.ok(BINARY, 'MR_BINARY must name the meet-recorder binary');
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'mr-sdk-'));
  const hookPort = await freePort();
  webhookServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { webhooks.push({ body, auth: req.headers.authorization }); res.end(); });
  });
  await new Promise((r) => webhookServer.listen(hookPort, '127.0.0.1', r));
  const port = await freePort();
  host = `http://127.0.0.1:${port}`;
  sim = spawn(BINARY, ['lksim'], {
    env: {
      PATH: process.env.PATH, MEET_EMBEDDED_LIVEKIT_PORT: String(port), LIVEKIT_API_KEY: KEY,
      LIVEKIT_API_SECRET: SECRET, MEET_STORAGE_DIR: storage, MEET_LKSIM_ENCODER: 'none',
      LIVEKIT_WEBHOOK_URLS: `http://127.0.0.1:${hookPort}/hook`,
      ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? '', UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? '',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitFor('lksim to listen', async () => {
    try { return (await control('GET', '/sim/faults')).ok; } catch { return false; }
  });
});

after(async () => {
  sim?.kill('SIGTERM');
  await new Promise((r) => (sim && sim.exitCode === null ? sim.on('exit', r) : r()));
  await new Promise((r) => webhookServer.close(r));
  fs.rmSync(storage, { recursive: true, force: true });
});

test('RoomService: create, list, update metadata, delete', async () => {
  const rs = new RoomServiceClient(host, KEY, SECRET);
  const room = await rs.createRoom({ name: 'sdk-room-a', emptyTimeout: 60 });
  assert.equal(room.name, 'sdk-room-a');
  assert.match(room.sid, /^RM_/);
  const rooms = await rs.listRooms(['sdk-room-a']);
  assert.deepEqual(rooms.map((r) => r.name), ['sdk-room-a']);
  const updated = await rs.updateRoomMetadata('sdk-room-a', '{"k":1}');
  assert.equal(updated.metadata, '{"k":1}');
  await rs.deleteRoom('sdk-room-a');
  assert.deepEqual(await rs.listRooms(['sdk-room-a']), []);
});

test('RoomService: participants and data', async () => {
  const rs = new RoomServiceClient(host, KEY, SECRET);
  assert.equal((await control('POST', '/sim/rooms/sdk-room-b/participants', { identity: 'alice', name: 'Alice' })).status, 201);
  assert.equal((await control('POST', '/sim/rooms/sdk-room-b/participants', { identity: 'bob' })).status, 201);
  const list = await rs.listParticipants('sdk-room-b');
  assert.deepEqual(list.map((p) => p.identity).sort(), ['alice', 'bob']);
  const alice = await rs.getParticipant('sdk-room-b', 'alice');
  assert.equal(alice.name, 'Alice');
  assert.match(alice.sid, /^PA_/);
  await rs.sendData('sdk-room-b', new TextEncoder().encode('hello'), DataPacket_Kind.RELIABLE,
    { topic: 'recordingStarted', destinationIdentities: ['bob'] });
  const data = await (await control('GET', '/sim/rooms/sdk-room-b/data')).json();
  assert.equal(data.packets.at(-1).payload, 'hello');
  assert.equal(data.packets.at(-1).topic, 'recordingStarted');
  assert.deepEqual(data.packets.at(-1).destination_identities, ['bob']);
  await rs.removeParticipant('sdk-room-b', 'bob');
  assert.deepEqual((await rs.listParticipants('sdk-room-b')).map((p) => p.identity), ['alice']);
  await assert.rejects(rs.getParticipant('sdk-room-b', 'nobody'), /not found|not exist/i);
});

test('Egress: room composite start, active, stop, complete; stop again is refused', async () => {
  const eg = new EgressClient(host, KEY, SECRET);
  assert.equal((await control('POST', '/sim/rooms/sdk-room-c/participants', { identity: 'carol' })).status, 201);
  const output = new EncodedFileOutput({ filepath: 'openvidu-meet/recordings/sdk-room-c/sdk-room-c--0123456789', fileType: EncodedFileType.MP4, disableManifest: true });
  const started = await eg.startRoomCompositeEgress('sdk-room-c', { file: output }, { layout: 'grid' });
  assert.match(started.egressId, /^EG_.{12}$/);
  assert.equal(started.status, EgressStatus.EGRESS_STARTING);
  assert.equal(started.roomName, 'sdk-room-c');
  await waitFor('ACTIVE', async () => (await eg.listEgress({ egressId: started.egressId }))[0]?.status === EgressStatus.EGRESS_ACTIVE);
  const active = await eg.listEgress({ roomName: 'sdk-room-c', active: true });
  assert.deepEqual(active.map((e) => e.egressId), [started.egressId]);
  const stopping = await eg.stopEgress(started.egressId);
  assert.equal(stopping.status, EgressStatus.EGRESS_ENDING);
  const done = await waitFor('COMPLETE', async () => {
    const [e] = await eg.listEgress({ egressId: started.egressId });
    return e?.status === EgressStatus.EGRESS_COMPLETE ? e : null;
  });
  assert.equal(done.fileResults.length, 1);
  assert.equal(done.fileResults[0].filename, 'openvidu-meet/recordings/sdk-room-c/sdk-room-c--0123456789.mp4');
  assert.ok(done.fileResults[0].size > 0n);
  assert.ok(fs.statSync(path.join(storage, done.fileResults[0].filename)).size > 0);
  await assert.rejects(eg.stopEgress(started.egressId), /failed_precondition|cannot be stopped|412/i);
});

test('Access tokens: a missing grant, another room and a bad token are refused', async () => {
  const call = async (service, method, body, token) => fetch(`${host}/twirp/livekit.${service}/${method}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const join = new AccessToken(KEY, SECRET, { identity: 'x', ttl: '10m' });
  join.addGrant({ roomJoin: true, room: 'sdk-room-b' });
  let res = await call('RoomService', 'ListRooms', {}, await join.toJwt());
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { code: 'unauthenticated', msg: 'permissions denied' });

  const otherRoom = new AccessToken(KEY, SECRET, { ttl: '10m' });
  otherRoom.addGrant({ roomAdmin: true, room: 'some-other-room' });
  res = await call('RoomService', 'ListParticipants', { room: 'sdk-room-b' }, await otherRoom.toJwt());
  assert.equal(res.status, 401);

  const good = new AccessToken(KEY, SECRET, { ttl: '10m' });
  good.addGrant({ roomAdmin: true, room: 'sdk-room-b' });
  res = await call('RoomService', 'ListParticipants', { room: 'sdk-room-b' }, await good.toJwt());
  assert.equal(res.status, 200);

  const wrongSecret = new AccessToken(KEY, 'another-secret-that-is-long-enough', { ttl: '10m' });
  wrongSecret.addGrant({ roomList: true });
  res = await call('RoomService', 'ListRooms', {}, await wrongSecret.toJwt());
  assert.equal(res.status, 401);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
});

test('Webhooks: the SDK accepts lksim webhooks and rejects tampered ones', async () => {
  const receiver = new WebhookReceiver(KEY, SECRET);
  const names = await waitFor('egress webhooks', async () => {
    const events = [];
    for (const w of webhooks) events.push(await receiver.receive(w.body, w.auth));
    const got = new Set(events.map((e) => e.event));
    return ['room_started', 'participant_joined', 'egress_started', 'egress_updated', 'egress_ended']
      .every((n) => got.has(n)) ? got : null;
  });
  assert.ok(names.has('egress_ended'));
  const sample = webhooks.find((w) => w.body.includes('egress_ended'));
  const ended = await receiver.receive(sample.body, sample.auth);
  assert.equal(ended.egressInfo.status, EgressStatus.EGRESS_COMPLETE);
  await assert.rejects(receiver.receive(sample.body.replace('egress_ended', 'egress_endee'), sample.auth));
  await assert.rejects(new WebhookReceiver(KEY, 'wrong-secret-that-is-long-enough').receive(sample.body, sample.auth));
});
