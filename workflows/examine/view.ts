import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { BodyEntry } from './sleuthkit.js';

/** The time window of the examination: `since` (and `until`, when given), in seconds for bodyfile times. */
export interface Window {
  since: Date;
  until?: Date;
}

/**
 * One examined filesystem as the checks see it: its bodyfile entries (names, times, deleted or not) and
 * the content The Sleuth Kit extracted (allocated files under `allocDir`, deleted ones under `deletedDir`).
 * Checks read through this and never touch the image.
 */
export class ImageView {
  private readonly byPath = new Map<string, BodyEntry>();
  private readonly byDir = new Map<string, BodyEntry[]>();

  constructor(
    /** Which image (and partition) this is, for evidence when there are several. */
    readonly label: string,
    readonly entries: BodyEntry[],
    readonly allocDir: string,
    readonly deletedDir: string,
    readonly window: Window,
  ) {
    for (const e of entries) {
      if (e.deleted) continue;
      this.byPath.set(e.path, e);
      const dir = posix.dirname(e.path);
      const list = this.byDir.get(dir) ?? [];
      list.push(e);
      this.byDir.set(dir, list);
    }
  }

  entry(path: string): BodyEntry | undefined {
    return this.byPath.get(path);
  }

  /** Allocated entries directly in `dir`. */
  children(dir: string): BodyEntry[] {
    return this.byDir.get(dir) ?? [];
  }

  /** Allocated regular files in `dir` (not links, not directories). */
  files(dir: string): BodyEntry[] {
    return this.children(dir).filter((e) => e.type === 'r');
  }

  /** Allocated entries anywhere under `prefix`. */
  under(prefix: string): BodyEntry[] {
    const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return this.entries.filter((e) => !e.deleted && e.path.startsWith(p));
  }

  /** Home directories: /root and those under /home. */
  homes(): string[] {
    return [
      '/root',
      ...this.children('/home')
        .filter((e) => e.type === 'd')
        .map((e) => e.path),
    ];
  }

  /** An allocated file's content, if extracted and not larger than `max`. */
  read(path: string, max = 16 * 1024 * 1024): Buffer | undefined {
    const e = this.byPath.get(path);
    if (!e || e.type !== 'r' || e.size > max) return undefined;
    try {
      return readFileSync(join(this.allocDir, path));
    } catch {
      return undefined;
    }
  }

  text(path: string, max?: number): string | undefined {
    return this.read(path, max)?.toString('utf8');
  }

  /** Modified (content) inside the window. */
  changedInWindow(e: BodyEntry): boolean {
    const t = e.mtime * 1000;
    return t >= this.window.since.getTime() && (!this.window.until || t <= this.window.until.getTime());
  }

  time(e: BodyEntry | undefined): string | undefined {
    return e && e.mtime > 0 ? new Date(e.mtime * 1000).toISOString() : undefined;
  }
}
