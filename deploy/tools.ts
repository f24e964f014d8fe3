import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DeployConfig } from './config.js';

/**
 * Staging of the pinned AVML builds at synth (issue 15): each configured build is read from its local
 * file or downloaded from its URL (cached, never fetched again while the cached copy has the pinned
 * hash), its SHA-256 checked against the configuration, and the builds put into one directory as
 * `avml-x86_64` / `avml-aarch64`, which the forensics stack deploys under `avml/` of the tools bucket.
 * A mismatch stops the synth: nothing unpinned ever reaches the bucket.
 */

export type AvmlArch = 'x86_64' | 'aarch64';

/** One architecture's pinned build, as configured. */
export interface AvmlBuild {
  readonly arch: AvmlArch;
  /** The file name under the tools prefix, as the capture script asks for it. */
  readonly fileName: `avml-${AvmlArch}`;
  /** The steps setting carrying its hash. */
  readonly setting: 'AVML_SHA256_X86_64' | 'AVML_SHA256_AARCH64';
  readonly sha256?: string;
  /** A local path or an http(s) URL; absent: pinned, but put under the prefix by hand. */
  readonly source?: string;
}

/** The AVML part of the deploy configuration (the context keys `avml*`). */
export interface AvmlConfig {
  readonly version?: string;
  readonly builds: readonly AvmlBuild[];
}

export function avmlConfigOf(config: DeployConfig): AvmlConfig {
  return {
    version: config.avmlVersion,
    builds: [
      {
        arch: 'x86_64',
        fileName: 'avml-x86_64',
        setting: 'AVML_SHA256_X86_64',
        sha256: config.avmlSha256X86_64,
        source: config.avmlSourceX86_64,
      },
      {
        arch: 'aarch64',
        fileName: 'avml-aarch64',
        setting: 'AVML_SHA256_AARCH64',
        sha256: config.avmlSha256Aarch64,
        source: config.avmlSourceAarch64,
      },
    ],
  };
}

/** What was staged: the directory to deploy and each file in it with its verified hash. */
export interface StagedTools {
  readonly directory: string;
  readonly version: string;
  readonly files: readonly { readonly fileName: string; readonly sha256: string; readonly source: string }[];
}

export interface StageOptions {
  /** Where downloads are cached and the staged directory is made (default: `<os.tmpdir()>/forensics-bot-tools`). */
  readonly cacheDir?: string;
  /** Relative local paths are read from here (default: the current directory, where cdk runs). */
  readonly baseDir?: string;
  /** Milliseconds a download may take (default 5 minutes). */
  readonly downloadTimeoutMs?: number;
}

/** Base class of the staging errors: each says which file and why. */
export class ToolStagingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolStagingError';
  }
}

/** A build whose SHA-256 is not the pinned one. */
export class ToolHashMismatchError extends ToolStagingError {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${file}: SHA-256 ${actual} is not the pinned ${expected}; refusing to deploy it`);
    this.name = 'ToolHashMismatchError';
  }
}

/** A build that could not be read or downloaded. */
export class ToolSourceError extends ToolStagingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolSourceError';
  }
}

const isUrl = (source: string) => /^https?:\/\//i.test(source);

export function defaultCacheDir(): string {
  return join(tmpdir(), 'forensics-bot-tools');
}

/** SHA-256 of a file, lowercase hex. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The local file of a build: the file itself, or the verified cached download of its URL. */
async function fetchBuild(
  build: AvmlBuild & { sha256: string; source: string },
  version: string,
  options: Required<Pick<StageOptions, 'cacheDir' | 'baseDir' | 'downloadTimeoutMs'>>,
): Promise<string> {
  if (!isUrl(build.source)) {
    const path = resolve(options.baseDir, build.source);
    if (!(await exists(path))) throw new ToolSourceError(`${path}: no such file (the ${build.arch} AVML)`);
    const actual = await sha256OfFile(path);
    if (actual !== build.sha256) throw new ToolHashMismatchError(path, build.sha256, actual);
    return path;
  }
  const downloads = join(options.cacheDir, 'downloads');
  await mkdir(downloads, { recursive: true });
  // keyed by the pinned hash: another pin never reuses this file, this pin never fetches it again
  const cached = join(downloads, `avml-${version}-${build.arch}-${build.sha256}`);
  if (await exists(cached)) {
    if ((await sha256OfFile(cached)) === build.sha256) return cached;
    await rm(cached, { force: true }); // damaged or altered: fetch it again
  }
  const partial = `${cached}.${process.pid}.${Date.now()}.part`;
  try {
    const response = await fetch(build.source, {
      redirect: 'follow',
      signal: AbortSignal.timeout(options.downloadTimeoutMs),
    });
    if (!response.ok || !response.body)
      throw new ToolSourceError(`${build.source}: HTTP ${response.status} (the ${build.arch} AVML)`);
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      createWriteStream(partial),
    );
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof ToolStagingError) throw error;
    throw new ToolSourceError(`${build.source}: download failed (the ${build.arch} AVML)`, { cause: error });
  }
  const actual = await sha256OfFile(partial);
  if (actual !== build.sha256) {
    await rm(partial, { force: true });
    throw new ToolHashMismatchError(build.source, build.sha256, actual);
  }
  await rename(partial, cached);
  return cached;
}

/**
 * Stages the configured AVML builds; `undefined` when no build has a source (nothing to deploy).
 * Throws a {@link ToolStagingError} naming the file when one is missing, cannot be downloaded, or
 * does not have its pinned SHA-256.
 */
export async function stageAvml(
  avml: AvmlConfig,
  options: StageOptions = {},
): Promise<StagedTools | undefined> {
  const wanted = avml.builds.filter(
    (b): b is AvmlBuild & { sha256: string; source: string } => !!b.source && !!b.sha256,
  );
  const unpinned = avml.builds.find((b) => b.source && !b.sha256);
  if (unpinned)
    throw new ToolStagingError(`${unpinned.source}: the ${unpinned.arch} AVML has no pinned SHA-256`);
  if (wanted.length === 0) return undefined;
  if (!avml.version) throw new ToolStagingError('the AVML version is missing (avmlVersion)');
  const resolved = {
    cacheDir: options.cacheDir ?? defaultCacheDir(),
    baseDir: options.baseDir ?? process.cwd(),
    downloadTimeoutMs: options.downloadTimeoutMs ?? 5 * 60_000,
  };
  const files: { build: AvmlBuild & { sha256: string; source: string }; path: string }[] = [];
  for (const build of wanted) files.push({ build, path: await fetchBuild(build, avml.version, resolved) });

  // One directory per set of pins, made aside and renamed into place: concurrent synths agree on it.
  const key = createHash('sha256')
    .update(files.map((f) => `${f.build.fileName}=${f.build.sha256}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const staged = join(resolved.cacheDir, 'staged', `avml-${avml.version}-${key}`);
  const complete = async () => {
    for (const f of files) {
      const path = join(staged, f.build.fileName);
      if (!(await exists(path)) || (await sha256OfFile(path)) !== f.build.sha256) return false;
    }
    return true;
  };
  if (!(await complete())) {
    await mkdir(join(resolved.cacheDir, 'staged'), { recursive: true });
    const aside = await mkdtemp(`${staged}.`);
    for (const f of files) {
      await copyFile(f.path, join(aside, f.build.fileName));
      await chmod(join(aside, f.build.fileName), 0o755);
    }
    await rm(staged, { recursive: true, force: true });
    await rename(aside, staged).catch(async (error: unknown) => {
      await rm(aside, { recursive: true, force: true });
      if (!(await complete()))
        throw new ToolStagingError(`${staged}: could not stage the AVML builds`, { cause: error });
    });
  }
  return {
    directory: staged,
    version: avml.version,
    files: files.map((f) => ({ fileName: f.build.fileName, sha256: f.build.sha256, source: f.build.source })),
  };
}
