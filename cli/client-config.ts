// The client settings file: where client commands go when no flag and no environment variable says so, for a
// user who always works against the same server. `TRACELIGHT_CONFIG` names it, else
// `$XDG_CONFIG_HOME/tracelight/config.yaml` (`~/.config/…`) when it exists. Its `client:` section:
//
//   client:
//     server: https://tracelight.internal:4318   # like --server / TRACELIGHT_URL
//     api_key_env: TRACELIGHT_PROD_KEY           # the variable holding the key (a file names the variable, never the key)
//
// The same file may be a `serve --config` file; client commands read only `client:`.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { readConfigFile } from '../algorithms/apo/config.js';
import { describeZodError } from '../schemas/errors.js';
import { CliError } from './output.js';

const ClientSection = z
  .object({
    server: z.url({ protocol: /^https?$/ }).optional(),
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
  })
  .strict();

export interface ClientDefaults {
  server?: string;
  apiKey?: string;
}

function configPath(): string | null {
  const named = process.env.TRACELIGHT_CONFIG?.trim();
  if (named) return named;
  const base = process.env.XDG_CONFIG_HOME?.trim() || join(homedir(), '.config');
  const path = join(base, 'tracelight', 'config.yaml');
  return existsSync(path) ? path : null;
}

let cached: ClientDefaults | undefined;

/** The `client:` section of the settings file ({} when there is none). */
export function clientDefaults(): ClientDefaults {
  if (cached) return cached;
  const path = configPath();
  if (!path) return (cached = {});
  let raw: unknown;
  try {
    raw = readConfigFile(path);
  } catch (err) {
    throw new CliError(`invalid client config: ${(err as Error).message}`);
  }
  const section = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).client : undefined;
  if (section === undefined) return (cached = {});
  const parsed = ClientSection.safeParse(section);
  if (!parsed.success) throw new CliError(`invalid client config: ${path}: ${describeZodError(parsed.error, 'client')}`);
  const { server, api_key_env: keyEnv } = parsed.data;
  const apiKey = keyEnv ? process.env[keyEnv]?.trim() : undefined;
  if (keyEnv && !apiKey) throw new CliError(`${path}: client.api_key_env names ${keyEnv}, which is not set`);
  return (cached = { server, apiKey });
}
