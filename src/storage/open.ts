// Which blob store a data folder's blobs live in. The server, a CLI command or a test opens the
// configured store once for its data folder (openBlobStore); everything that reads or writes blobs
// of that folder (the pipeline, the routes, the exporters, the sweep) then gets the same store from
// blobStore(dataDir). A folder for which nothing was opened is the local backend in DATA_DIR/blobs,
// as before there were backends.
import { join, resolve } from 'node:path';
import { type BlobStore, LocalBlobStore } from './blob-store.ts';
import { S3BlobStore, type S3StorageConfig } from './s3-store.ts';

export type { S3StorageConfig } from './s3-store.ts';

/** DERMASET_STORAGE: the local folder (default) or an S3-compatible object store. */
export type StorageConfig = { backend: 'local' } | S3StorageConfig;

const opened = new Map<string, { config: string; store: BlobStore }>();

const localStore = (dataDir: string) => new LocalBlobStore(join(dataDir, 'blobs'), join(dataDir, 'exports'));

/**
 * Opens the store `storage` names for a data folder and makes it that folder's store; opening the
 * same configuration again returns the same store (one S3 client per process and folder).
 */
export function openBlobStore(dataDir: string, storage: StorageConfig = { backend: 'local' }): BlobStore {
  const folder = resolve(dataDir);
  const config = JSON.stringify(storage);
  const known = opened.get(folder);
  if (known?.config === config) return known.store;
  const store = storage.backend === 's3' ? new S3BlobStore(storage) : localStore(folder);
  opened.set(folder, { config, store });
  return store;
}

/** The store of a data folder: the one opened for it, else the local folder DATA_DIR/blobs. */
export function blobStore(dataDir: string): BlobStore {
  return opened.get(resolve(dataDir))?.store ?? localStore(resolve(dataDir));
}

/** The store of a configuration: opens the configured backend when one is named, else blobStore(dataDir). */
export function storeFor(config: { dataDir: string; storage?: StorageConfig | undefined }): BlobStore {
  return config.storage ? openBlobStore(config.dataDir, config.storage) : blobStore(config.dataDir);
}
