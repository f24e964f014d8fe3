import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ToolFailedError } from './errors.js';

export interface RunOptions {
  /** Write stdout to this file instead of collecting it (bodyfiles and timelines can be large). */
  stdoutFile?: string;
  /** Collected stdout beyond this is an error (default 64 MiB): the engine's memory stays bounded. */
  maxStdout?: number;
  /** Exit codes that are not failures (yara exits 0 with or without matches; some tools use 1). */
  okCodes?: number[];
  timeoutMs?: number;
}

/** Runs a tool without a shell; resolves with its stdout (empty when written to a file). */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
  const { stdoutFile, maxStdout = 64 * 1024 * 1024, okCodes = [0], timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failed: Error | undefined;
    // The file is complete only when its stream has finished, which can be after the process closed.
    const written = stdoutFile
      ? new Promise<void>((done, fail) => {
          const file = createWriteStream(stdoutFile);
          file.on('finish', done).on('error', fail);
          child.stdout.pipe(file);
        })
      : Promise.resolve();
    if (!stdoutFile)
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxStdout) {
          failed ??= new ToolFailedError(`${cmd} wrote more than ${maxStdout} bytes to stdout`);
          child.kill();
        } else out.push(chunk);
      });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', (error) =>
      reject(new ToolFailedError(`${cmd} could not start: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (failed) return reject(failed);
      if (code !== null && okCodes.includes(code))
        return void written.then(() => resolve(Buffer.concat(out).toString('utf8')), reject);
      reject(
        new ToolFailedError(
          `${cmd} ${args.join(' ')} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${stderr.trim().slice(-600)}`,
        ),
      );
    });
  });
}

/** Starts a tool whose stdout is consumed as a stream (blkls' unallocated space); `done` settles at exit. */
export function stream(cmd: string, args: string[]): { stdout: Readable; done: Promise<void> } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error) => reject(new ToolFailedError(`${cmd} could not start: ${error.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new ToolFailedError(
              `${cmd} ${args.join(' ')} failed (exit ${code}): ${stderr.trim().slice(-600)}`,
            ),
          ),
    );
  });
  return { stdout: child.stdout, done };
}
