import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../../deploy/config.js';
import {
  type AvmlConfig,
  avmlConfigOf,
  ToolHashMismatchError,
  ToolSourceError,
  stageAvml,
} from '../../../deploy/tools.js';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const X86 = Buffer.from('\x7fELF pretend avml x86_64 build');
const ARM = Buffer.from('\x7fELF pretend avml aarch64 build');

const BASE = {
  securityAccount: '111111111111',
  forensicsAccount: '222222222222',
  organizationId: 'o-exampleorg1',
  externalId: 'ext-id-1234',
  alertsChannel: 'C0ALERTS',
  commandersChannel: 'C0COMMANDERS',
  respondersGroup: 'S0RESPONDERS',
  commandersGroup: 'S0COMMANDERS',
};

function avml(builds: { x86?: [string, string]; arm?: [string, string] }, version = '0.14.0'): AvmlConfig {
  return avmlConfigOf(
    parseDeployConfig({
      ...BASE,
      avmlVersion: version,
      ...(builds.x86 ? { avmlSourceX86_64: builds.x86[0], avmlSha256X86_64: builds.x86[1] } : {}),
      ...(builds.arm ? { avmlSourceAarch64: builds.arm[0], avmlSha256Aarch64: builds.arm[1] } : {}),
    }),
  );
}

let work: string;
let cacheDir: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'forensics-bot-tools-test-'));
  cacheDir = join(work, 'cache');
  writeFileSync(join(work, 'avml'), X86);
  writeFileSync(join(work, 'avml-arm'), ARM);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('Function: stageAvml (local files)', () => {
  it('stages both pinned builds under the names the capture script asks for', async () => {
    // Act
    const staged = await stageAvml(
      avml({ x86: [join(work, 'avml'), sha256(X86)], arm: [join(work, 'avml-arm'), sha256(ARM)] }),
      { cacheDir },
    );

    // Assess
    expect(staged?.version).toBe('0.14.0');
    expect(readdirSync(staged!.directory).sort()).toEqual(['avml-aarch64', 'avml-x86_64']);
    expect(readFileSync(join(staged!.directory, 'avml-x86_64'))).toEqual(X86);
    expect(readFileSync(join(staged!.directory, 'avml-aarch64'))).toEqual(ARM);
    expect(statSync(join(staged!.directory, 'avml-x86_64')).mode & 0o111).not.toBe(0);
    expect(staged!.files.map((f) => [f.fileName, f.sha256])).toEqual([
      ['avml-x86_64', sha256(X86)],
      ['avml-aarch64', sha256(ARM)],
    ]);
  });

  it('reads a relative path from the directory cdk runs in', async () => {
    // Act
    const staged = await stageAvml(avml({ x86: ['avml', sha256(X86)] }), { cacheDir, baseDir: work });

    // Assess
    expect(readdirSync(staged!.directory)).toEqual(['avml-x86_64']);
  });

  it('fails the synth on a hash mismatch, naming the file, the pinned and the actual hash', async () => {
    // Prepare
    const pinned = sha256('another build');

    // Act
    const error = await stageAvml(avml({ x86: [join(work, 'avml'), pinned] }), { cacheDir }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ToolHashMismatchError);
    expect((error as Error).message).toContain(join(work, 'avml'));
    expect((error as Error).message).toContain(pinned);
    expect((error as Error).message).toContain(sha256(X86));
  });

  it('names a missing file', async () => {
    // Act / Assess
    await expect(stageAvml(avml({ x86: [join(work, 'nope'), sha256(X86)] }), { cacheDir })).rejects.toThrow(
      new ToolSourceError(`${join(work, 'nope')}: no such file (the x86_64 AVML)`),
    );
  });

  it('stages nothing when no AVML is configured', async () => {
    // Act
    const staged = await stageAvml(avmlConfigOf(parseDeployConfig(BASE)), { cacheDir });

    // Assess
    expect(staged).toBeUndefined();
  });
});

describe('Function: stageAvml (download)', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  const bodies: Record<string, Buffer> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/redirect/avml') {
        res.writeHead(302, { location: '/releases/avml' }).end();
        return;
      }
      const body = bodies[req.url ?? ''];
      if (!body) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));
  beforeEach(() => {
    requests.length = 0;
    bodies['/releases/avml'] = X86;
    bodies['/releases/avml-aarch64'] = ARM;
  });

  it('downloads a pinned build, following a redirect as release downloads do', async () => {
    // Act
    const staged = await stageAvml(
      avml({
        x86: [`${base}/redirect/avml`, sha256(X86)],
        arm: [`${base}/releases/avml-aarch64`, sha256(ARM)],
      }),
      { cacheDir },
    );

    // Assess
    expect(readFileSync(join(staged!.directory, 'avml-x86_64'))).toEqual(X86);
    expect(readFileSync(join(staged!.directory, 'avml-aarch64'))).toEqual(ARM);
    expect(requests).toEqual(['/redirect/avml', '/releases/avml', '/releases/avml-aarch64']);
  });

  it('never downloads again a cached build whose hash matches', async () => {
    // Prepare
    const config = avml({ x86: [`${base}/releases/avml`, sha256(X86)] });
    await stageAvml(config, { cacheDir });
    requests.length = 0;

    // Act
    const staged = await stageAvml(config, { cacheDir });

    // Assess
    expect(requests).toEqual([]);
    expect(readFileSync(join(staged!.directory, 'avml-x86_64'))).toEqual(X86);
  });

  it('downloads again a cached build that was altered', async () => {
    // Prepare
    const config = avml({ x86: [`${base}/releases/avml`, sha256(X86)] });
    await stageAvml(config, { cacheDir });
    const downloads = join(cacheDir, 'downloads');
    const [cached] = readdirSync(downloads);
    writeFileSync(join(downloads, cached!), 'tampered');
    requests.length = 0;

    // Act
    await stageAvml(config, { cacheDir });

    // Assess
    expect(requests).toEqual(['/releases/avml']);
    expect(readFileSync(join(downloads, cached!))).toEqual(X86);
  });

  it('refuses a download whose hash is not the pinned one, and keeps nothing of it', async () => {
    // Prepare
    bodies['/releases/avml'] = Buffer.from('a different build');
    const pinned = sha256(X86);

    // Act
    const error = await stageAvml(avml({ x86: [`${base}/releases/avml`, pinned] }), { cacheDir }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ToolHashMismatchError);
    expect((error as Error).message).toBe(
      `${base}/releases/avml: SHA-256 ${sha256('a different build')} is not the pinned ${pinned}; refusing to deploy it`,
    );
    expect(readdirSync(join(cacheDir, 'downloads'))).toEqual([]);
  });

  it('names the URL of a failed download', async () => {
    // Act / Assess
    await expect(
      stageAvml(avml({ x86: [`${base}/releases/missing`, sha256(X86)] }), { cacheDir }),
    ).rejects.toThrow(`${base}/releases/missing: HTTP 404 (the x86_64 AVML)`);
  });
});

describe('Function: parseDeployConfig (AVML)', () => {
  it('refuses a source without its pinned hash, and a source without a version', () => {
    // Act / Assess
    expect(() => parseDeployConfig({ ...BASE, avmlSourceX86_64: '/opt/avml' })).toThrow(
      /avmlSha256X86_64 is missing: avmlSourceX86_64 is set.*avmlVersion is missing/,
    );
  });

  it('refuses a URL that is not https (plain http only on the loopback interface)', () => {
    // Act / Assess
    expect(() =>
      parseDeployConfig({
        ...BASE,
        avmlVersion: '0.14.0',
        avmlSha256X86_64: sha256(X86),
        avmlSourceX86_64: 'http://example.com/avml',
      }),
    ).toThrow(/avmlSourceX86_64: avmlSourceX86_64 must be a local file path or an https:\/\/ URL/);
  });

  it('takes a hash without a source (a build put under the prefix by hand), in lowercase', () => {
    // Act
    const config = parseDeployConfig({ ...BASE, avmlSha256Aarch64: sha256(ARM).toUpperCase() });

    // Assess
    expect(config.avmlSha256Aarch64).toBe(sha256(ARM));
    expect(avmlConfigOf(config).builds.map((b) => [b.fileName, b.sha256, b.source])).toEqual([
      ['avml-x86_64', undefined, undefined],
      ['avml-aarch64', sha256(ARM), undefined],
    ]);
  });
});
