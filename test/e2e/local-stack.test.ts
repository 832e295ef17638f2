// End to end through the local stack (ARCHITECTURE §2, §8): a child process on a free port with a
// fresh data directory, driven with Twilio-signed traffic, checked in its database, then stopped.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Route } from '../../lambda/shared/names.js';
import { freePort } from '../../local/embedded-postgres.js';
import { randomSid } from '../../scripts/simulate/payloads.js';
import {
  runSimulation,
  type SimulationReport,
  simulationPassed,
} from '../../scripts/simulate/run-simulation.js';
import {
  runVoiceSimulation,
  type VoiceSimulationReport,
  voiceSimulationPassed,
} from '../../scripts/simulate/voice-simulation.js';
import { processAlive, type StackProcess, spawnLocalStack, waitForReady } from '../helpers/local-stack.js';
import { EXPECTED_SECURITY_HEADERS } from '../helpers/security-headers.js';

let dir: string;
let dataDir: string;
let port: number;
let url: string;
let stack: StackProcess;
let db: pg.Client;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-e2e-'));
  dataDir = path.join(dir, 'local');
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  stack = spawnLocalStack({ port, dataDir });
  await waitForReady(stack, url);
  db = new pg.Client((await readFile(path.join(dataDir, 'database-url'), 'utf8')).trim());
  await db.connect();
});

afterAll(async () => {
  await db?.end().catch(() => undefined);
  if (stack && stack.child.exitCode === null && stack.child.signalCode === null) {
    stack.child.kill('SIGTERM');
    await stack.exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

function expectSecurityHeaders(headers: Headers): void {
  for (const [name, value] of Object.entries(EXPECTED_SECURITY_HEADERS))
    expect(headers.get(name), name).toBe(value);
}

async function expectGenericError(response: Response, status: number): Promise<void> {
  expect(response.status).toBe(status);
  expectSecurityHeaders(response.headers);
  const body = await response.text();
  expect(JSON.parse(body)).toEqual({ error: expect.any(String) });
  expect(body).not.toMatch(/ at |Error|node:|\.ts/);
}

/** Sends raw bytes and returns the raw answer, for requests fetch refuses to make. */
function rawExchange(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.write(bytes);
  });
}

function rawHeader(answer: string, name: string): string | undefined {
  const head = answer.split('\r\n\r\n', 1)[0] ?? '';
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

async function waitFor(query: string, expected: number, params: unknown[] = []): Promise<number> {
  const deadline = Date.now() + 15_000;
  let count = -1;
  while (Date.now() < deadline) {
    count = Number((await db.query<{ n: string }>(query, params)).rows[0]?.n);
    if (count >= expected) return count;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return count;
}

describe('the local stack', () => {
  it('answers GET /health with 200 and the security headers', async () => {
    const response = await fetch(`${url}${Route.health}`);
    expect(response.status).toBe(200);
    expectSecurityHeaders(response.headers);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  describe('refuses bad requests as API Gateway and the webhook do', () => {
    const messages = () => `${url}${Route.messages}`;
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

    it('refuses an unsigned request without a body with 403', async () => {
      await expectGenericError(await fetch(messages(), { method: 'POST', headers: form }), 403);
    });

    it('refuses a 1 MB body with 413', async () => {
      const body = `Body=${'a'.repeat(1024 * 1024)}`;
      await expectGenericError(await fetch(messages(), { method: 'POST', headers: form, body }), 413);
    });

    it('refuses a body declared over 10 MB with 413 before it is sent', async () => {
      const answer = await rawExchange(
        `POST ${Route.messages} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${20 * 1024 * 1024}\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(rawHeader(answer, 'X-Frame-Options')).toBe('DENY');
    });

    it('refuses GET on a webhook route with 405 and names the allowed method', async () => {
      const response = await fetch(messages());
      expect(response.headers.get('allow')).toBe('POST');
      await expectGenericError(response, 405);
    });

    it('answers an unknown path with a generic 404', async () => {
      await expectGenericError(await fetch(`${url}/webhooks/twilio/unknown`), 404);
      await expectGenericError(await fetch(`${url}/.env`), 404);
    });

    it('refuses a JSON body with 415', async () => {
      const response = await fetch(messages(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ MessageSid: randomSid('SM') }),
      });
      await expectGenericError(response, 415);
    });

    it('answers malformed headers with 400 and the security headers, and keeps serving', async () => {
      const answer = await rawExchange(
        `GET ${Route.health} HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      for (const [name, value] of Object.entries(EXPECTED_SECURITY_HEADERS))
        expect(rawHeader(answer, name), name).toBe(value);
      expect(answer).not.toMatch(/ at |node:/);
      const garbage = await rawExchange('\u0000\u0001 not http at all\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
      expect((await fetch(`${url}${Route.health}`)).status).toBe(200);
    });
  });

  describe('with signed traffic', () => {
    let report: SimulationReport;

    beforeAll(async () => {
      const secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8')) as {
        twilioAuthToken: string;
        twilioAccountSid: string;
      };
      report = await runSimulation({
        targetUrl: url,
        publicUrl: url,
        authToken: secrets.twilioAuthToken,
        accountSid: secrets.twilioAccountSid,
        count: 40,
        concurrency: 8,
        duplicates: 15,
        forged: 8,
        statusCallbacks: 20,
      });
    });

    it('accepts every genuine delivery and duplicate, and rejects every forgery with 403', () => {
      expect(report.genuine).toEqual({ sent: 40, accepted: 40, rejected: 0 });
      expect(report.duplicates).toEqual({ sent: 15, accepted: 15, rejected: 0 });
      expect(report.statusCallbacks).toEqual({ sent: 20, accepted: 20, rejected: 0 });
      expect(report.forged).toEqual({ sent: 8, accepted: 0, rejected: 8 });
      expect(report.statusCodes['403']).toBe(8);
      expect(simulationPassed(report)).toBe(true);
    });

    it('stores each genuine message exactly once', async () => {
      expect(await waitFor('SELECT count(*) AS n FROM messages', 40)).toBe(40);
      const rows = await db.query<{ message_sid: string }>('SELECT message_sid FROM messages');
      expect(rows.rows.map((r) => r.message_sid).sort()).toEqual([...report.messageSids].sort());
    });

    it('stores no forged message', async () => {
      const forged = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM messages WHERE message_sid = ANY($1)',
        [report.forgedMessageSids],
      );
      expect(Number(forged.rows[0]?.n)).toBe(0);
    });

    it('keeps bodies and phone numbers only sealed', async () => {
      const rows = await db.query<{ sealed: Buffer; from_index: string }>(
        'SELECT sealed, from_index FROM messages',
      );
      expect(rows.rows).toHaveLength(40);
      for (const { sealed, from_index } of rows.rows) {
        const bytes = sealed.toString('latin1');
        expect(bytes.startsWith('SG')).toBe(true);
        expect(bytes).not.toMatch(/\[sim \d+\]/);
        expect(bytes).not.toMatch(/\+1\d{10}/);
        expect(bytes).not.toContain('Body');
        expect(from_index).toMatch(/^[0-9a-f]{64}$/);
      }
    });

    it('records every status callback once', async () => {
      expect(await waitFor('SELECT count(*) AS n FROM message_status_updates', 20)).toBe(20);
      const rows = await db.query<{ message_sid: string; status: string }>(
        'SELECT message_sid, status FROM message_status_updates',
      );
      const stored = rows.rows.map((r) => `${r.message_sid}/${r.status}`).sort();
      expect(stored).toEqual(report.statusPairs.map((p) => `${p.messageSid}/${p.status}`).sort());
    });
  });

  describe('with signed voice traffic', () => {
    let report: VoiceSimulationReport;

    beforeAll(async () => {
      const secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8')) as {
        twilioAuthToken: string;
        twilioAccountSid: string;
      };
      report = await runVoiceSimulation({
        targetUrl: url,
        publicUrl: url,
        authToken: secrets.twilioAuthToken,
        accountSid: secrets.twilioAccountSid,
        calls: 8,
        duplicates: 4,
        forged: 3,
        concurrency: 6,
      });
    });

    it('answers every call with the local stream TwiML and every callback with 204, and refuses every forgery', () => {
      expect(report.calls).toEqual({ sent: 8, accepted: 8, rejected: 0 });
      expect(report.duplicates).toEqual({ sent: 4, accepted: 4, rejected: 0 });
      expect(report.callStatuses).toEqual({ sent: 24, accepted: 24, rejected: 0 });
      expect(report.recordings).toEqual({ sent: 8, accepted: 8, rejected: 0 });
      expect(report.forged).toEqual({ sent: 3, accepted: 0, rejected: 3 });
      expect(report.twiml).toEqual({ stream: 12 });
      expect(voiceSimulationPassed(report)).toBe(true);
    });

    it('stores each call, call status and recording exactly once, nothing forged, numbers only sealed', async () => {
      expect(await waitFor('SELECT count(*) AS n FROM voice_recordings', 8)).toBe(8);
      expect(await waitFor('SELECT count(*) AS n FROM voice_call_statuses', 24)).toBe(24);
      const calls = await db.query<{ call_sid: string; sealed: Buffer }>(
        'SELECT call_sid, sealed FROM voice_calls',
      );
      expect(calls.rows.map((r) => r.call_sid).sort()).toEqual([...report.callSids].sort());
      for (const { sealed } of calls.rows) expect(sealed.toString('latin1')).not.toMatch(/\+1\d{10}/);
      const statuses = await db.query<{ key: string }>(
        "SELECT call_sid || '/' || status || '/' || sequence_number AS key FROM voice_call_statuses",
      );
      expect(statuses.rows.map((r) => r.key).sort()).toEqual(
        report.callStatusKeys.map((k) => `${k.callSid}/${k.status}/${k.sequenceNumber}`).sort(),
      );
      const recordings = await db.query<{ recording_sid: string }>(
        'SELECT recording_sid FROM voice_recordings',
      );
      expect(recordings.rows.map((r) => r.recording_sid).sort()).toEqual([...report.recordingSids].sort());
      const forged = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM voice_calls WHERE call_sid = ANY($1)',
        [report.forgedCallSids],
      );
      expect(Number(forged.rows[0]?.n)).toBe(0);
    });
  });

  it('refuses a second start on the same port with a clear message, starting nothing', async () => {
    const second = spawnLocalStack({ port, dataDir: path.join(dir, 'second') });
    const { code } = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toMatch(new RegExp(`port ${port} .*in use`));
    expect(second.output()).not.toMatch(/ at .*\(/);
    expect((await fetch(`${url}${Route.health}`)).status).toBe(200);
  });

  it('stops on SIGTERM with exit code 0 and leaves no PostgreSQL behind', async () => {
    const postmaster = Number(
      (await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    expect(processAlive(postmaster)).toBe(true);
    await db.end();
    stack.child.kill('SIGTERM');
    const { code } = await stack.exited;
    expect(code).toBe(0);
    expect(processAlive(postmaster)).toBe(false);
    await expect(readFile(path.join(dataDir, 'stack.pid'))).rejects.toThrow(
      /^ENOENT: no such file or directory/,
    );
  });

  it('keeps the stored messages across a restart', async () => {
    const again = spawnLocalStack({ port, dataDir });
    try {
      await waitForReady(again, url);
      const client = new pg.Client((await readFile(path.join(dataDir, 'database-url'), 'utf8')).trim());
      await client.connect();
      const rows = await client.query<{ n: string }>('SELECT count(*) AS n FROM messages');
      await client.end();
      expect(Number(rows.rows[0]?.n)).toBe(40);
    } finally {
      again.child.kill('SIGTERM');
      expect((await again.exited).code).toBe(0);
    }
  });
});
