// An in-memory ResourcePort: for benchmarks and tests that run APO without a store. Same semantics as the
// store's (versions numbered 1, 2, … per name; labels point at one version each).
import type { NewVersion, ResourceVersion } from '../../schemas/resources.js';
import type { ResourcePort } from '../ports.js';

export class MemoryResources implements ResourcePort {
  readonly versions = new Map<string, ResourceVersion[]>();
  readonly labelMap = new Map<string, Map<string, number>>();

  async createVersion(name: string, input: NewVersion): Promise<ResourceVersion> {
    const list = this.versions.get(name) ?? [];
    const v: ResourceVersion = {
      name,
      version: list.length + 1,
      kind: input.kind,
      content: input.content,
      parent: input.parent,
      metrics: input.metrics,
      labels: [],
      author: input.author,
      created_at: new Date().toISOString(),
    };
    list.push(v);
    this.versions.set(name, list);
    for (const l of input.labels) await this.moveLabel(name, l, v.version);
    return this.view(v);
  }

  async moveLabel(name: string, label: string, version: number): Promise<unknown> {
    if (!this.versions.get(name)?.[version - 1]) throw new Error(`resource "${name}" has no version ${version}`);
    const labels = this.labelMap.get(name) ?? new Map<string, number>();
    labels.set(label, version);
    this.labelMap.set(name, labels);
    return { name, label, version };
  }

  async resolve(name: string, sel: { label?: string; version?: number }): Promise<ResourceVersion> {
    const list = this.versions.get(name) ?? [];
    const n = sel.version ?? this.labelMap.get(name)?.get(sel.label ?? 'production') ?? (sel.label ? undefined : list.length);
    const v = n === undefined ? undefined : list[n - 1];
    if (!v) throw new Error(`resource "${name}" has no ${sel.version !== undefined ? `version ${sel.version}` : `label ${sel.label ?? 'production'}`}`);
    return this.view(v);
  }

  private view(v: ResourceVersion): ResourceVersion {
    const labels = [...(this.labelMap.get(v.name)?.entries() ?? [])].filter(([, n]) => n === v.version).map(([l]) => l);
    return { ...v, labels };
  }
}
