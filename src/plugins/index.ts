// THE list of dermaset's domain plugins. A new plugin is one file and one line here.

import { croissantExporter } from './exporters/croissant.ts';
import { imagefolder } from './exporters/imagefolder.ts';
import { isicCsv } from './exporters/isic-csv.ts';
import { isicZip } from './exporters/isic-zip.ts';
import { jsonl } from './exporters/jsonl.ts';
import { parquet } from './exporters/parquet.ts';
import { derm7pt } from './importers/derm7pt.ts';
import { dermasetCsv } from './importers/dermaset-csv.ts';
import { ham10000 as ham10000Importer } from './importers/ham10000.ts';
import { isicLegacy } from './importers/isic-legacy.ts';
import { isic2019 as isic2019Importer } from './importers/isic2019.ts';
import { padUfes20 } from './importers/pad-ufes-20.ts';
import { ph2 } from './importers/ph2.ts';
import { screeningBinary, strictBinary, threeTier } from './policies/binary.ts';
import { nineClass } from './policies/nine-class.ts';
import { ham10000, isic2019 } from './policies/public-datasets.ts';
import { PluginRegistry } from './registry.ts';
import type { DermasetPlugin } from './types.ts';

export const PLUGINS: readonly DermasetPlugin[] = [
  // class-mapping policies
  screeningBinary,
  strictBinary,
  threeTier,
  nineClass,
  isic2019,
  ham10000,
  // exporters
  isicCsv,
  isicZip,
  imagefolder,
  jsonl,
  parquet,
  croissantExporter,
  // importers: our own CSV (the default of `dermaset import`), then public collections
  dermasetCsv,
  ham10000Importer,
  isic2019Importer,
  isicLegacy,
  padUfes20,
  derm7pt,
  ph2,
];

export const registry = new PluginRegistry(PLUGINS);

/** The policy in force until an admin chooses another. */
export const DEFAULT_POLICY_ID = screeningBinary.id;
