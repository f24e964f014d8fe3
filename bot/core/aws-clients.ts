/**
 * Every AWS SDK client is made here, so that one hook can see each new client. In AWS the hook list is
 * empty and clients talk to AWS. In the sandbox and in tests the simulated AWS organization registers a
 * hook that adds an `initialize` middleware answering commands from its own state: the code under test
 * runs the real SDK clients, commands and input validation unchanged.
 */
import type { MiddlewareStack } from '@smithy/types';

export interface HookableClient {
  middlewareStack: MiddlewareStack<any, any>;
  config: { region: () => Promise<string>; credentials?: unknown };
}

export type AwsClientHook = (client: HookableClient) => void;

const hooks = new Set<AwsClientHook>();

/** Registers a hook for clients created from now on; returns its removal. */
export function onAwsClientCreated(hook: AwsClientHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** `new Ctor(config)` with the registered hooks applied. Create clients lazily, not at module load. */
export function createAwsClient<C extends HookableClient, Cfg>(Ctor: new (config: Cfg) => C, config: Cfg): C {
  const client = new Ctor(config);
  for (const hook of hooks) hook(client);
  return client;
}

/** The region the bot itself runs in (security account). */
export function homeRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}
