// Offline access to Prisma's schema engine (the Wasm build) for creating migrations.
// See ../shared/notes/offline-stack.md for the pitfalls this works around.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

type Engine = {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
};
type WasmExports = Record<string, unknown>;
/** Node's global WebAssembly, typed here because the project's lib settings leave it out. */
const { WebAssembly: Wasm } = globalThis as unknown as {
  WebAssembly: {
    instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: WasmExports } }>;
  };
};
type EngineModule = {
  __wbg_set_wasm(exports: WasmExports): void;
  SchemaEngine: { new: (options: unknown, log: (msg: string) => void, adapter: unknown) => Promise<Engine> };
};

let loaded: EngineModule | undefined;

/** Instantiates the .wasm once per process: a second instance reads garbage. */
async function loadEngineModule(): Promise<EngineModule> {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const bg = (await import(join(dir, 'schema_engine_bg.js'))) as EngineModule & Record<string, unknown>;
  const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
  g.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message: string) {
      throw new Error(`schema engine panic: ${message}`);
    },
  };
  const bytes = readFileSync(join(dir, 'schema_engine_bg.wasm'));
  const { instance } = await Wasm.instantiate(bytes, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  loaded = bg;
  return bg;
}

/**
 * The SQL that takes a database from `from` (the previous datamodel, or nothing) to `to`.
 * The dialect comes from the adapter, so the adapter must match the schema's provider.
 */
export async function diffSchemas(
  factory: SqlMigrationAwareDriverAdapterFactory,
  from: { path: string; content: string } | null,
  to: { path: string; content: string },
): Promise<string> {
  const mod = await loadEngineModule();
  const engine = await mod.SchemaEngine.new(
    { datamodels: [[to.path, to.content]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  try {
    const result = await engine.diff({
      from: from ? { tag: 'schemaDatamodel', files: [from] } : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [to] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    return result.stdout ?? '';
  } finally {
    engine.free();
  }
}
