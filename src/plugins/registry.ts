import type { ClassMappingPolicy, DermasetPlugin, Exporter, MetadataImporter } from './types.ts';

export class PluginRegistryError extends Error {
  override name = 'PluginRegistryError';
}

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Holds the plugins of each kind; refuses duplicate ids and malformed metadata at start-up. */
export class PluginRegistry {
  readonly policies = new Map<string, ClassMappingPolicy>();
  readonly exporters = new Map<string, Exporter>();
  readonly importers = new Map<string, MetadataImporter>();

  constructor(plugins: readonly DermasetPlugin[]) {
    for (const p of plugins) this.add(p);
  }

  add(p: DermasetPlugin): void {
    if (!ID.test(p.id)) throw new PluginRegistryError(`plugin id "${p.id}" must be kebab-case`);
    if (!SEMVER.test(p.version)) throw new PluginRegistryError(`plugin ${p.id}: version "${p.version}" is not semver`);
    if (!p.description.trim()) throw new PluginRegistryError(`plugin ${p.id} has no description`);
    const map = p.kind === 'policy' ? this.policies : p.kind === 'exporter' ? this.exporters : this.importers;
    if (map.has(p.id)) throw new PluginRegistryError(`duplicate ${p.kind} id "${p.id}"`);
    (map as Map<string, DermasetPlugin>).set(p.id, p);
  }

  policy(id: string): ClassMappingPolicy | undefined {
    return this.policies.get(id);
  }

  exporter(id: string): Exporter | undefined {
    return this.exporters.get(id);
  }

  importer(id: string): MetadataImporter | undefined {
    return this.importers.get(id);
  }
}
