/**
 * The sandbox's public HTTP API as the browser test and the fault scenarios use it, with waits that
 * poll it (never sleep a fixed time).
 */

export interface Message {
  ts: string;
  text: string;
  blocks?: Record<string, any>[];
  replies: Message[];
}

export class SandboxApi {
  constructor(readonly url: string) {}

  async get<T = any>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async post<T = any>(path: string, body: unknown): Promise<{ status: number; json: T }> {
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as T };
  }

  async messages(channel: string, user?: string): Promise<{ messages: Message[]; ephemerals?: Message[] }> {
    return this.get(`/api/channels/${channel}/messages${user ? `?user=${user}` : ''}`);
  }

  /** All text of a message and its blocks (for assertions that do not depend on layout). */
  static textOf(message: Message): string {
    return `${message.text}\n${JSON.stringify(message.blocks ?? [])}`;
  }
}

/** Polls `probe` until it returns a value (not undefined/false), or fails naming what was awaited. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`,
  );
}

/** Statuses a case workflow ends in (or later ones). */
export const TERMINAL = ['evidence-secured', 'evidence-incomplete', 'failed', 'denied', 'closed', 'released'];

/** Waits for the case to reach a terminal status; answers the record. */
export function waitForCaseEnd(api: SandboxApi, caseId: string, timeoutMs = 120_000): Promise<any> {
  return waitFor(
    `case ${caseId} to finish`,
    async () => {
      const record = await api.get(`/api/cases/${caseId}`);
      return TERMINAL.includes(record.status) ? record : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

export const CASE_ID = /CASE-\d{8}-[0-9A-HJKMNP-TV-Z]{4}/;
export const SHA256 = /\b[0-9a-f]{64}\b/;
