// A trained checkpoint becomes the next version of the `model` resource and takes the label the proxy routes
// by; a reference policy server, when there is one, is told to serve it. Shared by GRPO and SFT.
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ModelContent, ResourceVersion } from '../../schemas/resources.js';
import type { RunContext } from '../algorithm.js';
import { ConfigError } from '../apo/config.js';
import type { ResourcePort } from '../ports.js';
import { loadPolicy } from './trainer-bridge.js';

/** The checkpoint a `model` version points at (a local path the reference trainer reads). */
export function checkpointOf(v: ResourceVersion): string {
  if (v.kind !== 'model') throw new ConfigError(`model: resource ${v.name} is a ${v.kind}, not a model`);
  const c = v.content as ModelContent;
  if (c.type !== 'checkpoint') throw new ConfigError(`model: ${v.name}@${v.version} is an ${c.type}; the reference trainer needs a checkpoint`);
  return c.uri.replace(/^file:\/\//, '');
}

/** The folder a run writes its checkpoints into. */
export function runDir(ctx: RunContext, checkpoints: string): string {
  const base = isAbsolute(checkpoints) ? checkpoints : resolve(ctx.baseDir, checkpoints);
  const dir = join(base, ctx.runId);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function publish(
  resources: ResourcePort,
  o: {
    model: string;
    label: string;
    parent: ResourceVersion;
    checkpoint: string;
    step: number;
    metrics: Record<string, number>;
    runId: string;
    policyServer?: string;
  },
): Promise<ResourceVersion> {
  const parent = o.parent.content as ModelContent;
  const v = await resources.createVersion(o.model, {
    kind: 'model',
    content: { ...parent, type: 'checkpoint', uri: o.checkpoint, step: o.step, format: parent.format ?? 'tracelight-trainer' },
    parent: o.parent.version,
    metrics: o.metrics,
    labels: [],
    author: o.runId,
  });
  await resources.moveLabel(o.model, o.label, v.version, o.runId);
  if (o.policyServer) await loadPolicy(o.policyServer, o.checkpoint);
  return v;
}
