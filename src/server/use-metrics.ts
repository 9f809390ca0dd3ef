// Prometheus metrics at GET /metrics: GraphQL requests, durations and errors per operation (the
// yoga/envelop Prometheus plugin), the acquisition pipeline, exports, the verification queues and
// the process. Who may read them: a caller with `Authorization: Bearer <DERMASET_METRICS_TOKEN>`,
// or, when no token is set, a direct connection from loopback (a request carrying forwarding
// headers is not direct: a proxy on the same machine does not make the world local). The series
// hold counts and timings only: no ids, no tokens, no patient data; operation names and error codes
// are bounded (OPERATION_LABELS), so a caller cannot grow the series without bound.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createCounter, createHistogram, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Db } from '../db/client.ts';
import { dataVersions, versionKey } from '../db/data-version.ts';
import { MIN_CONSENSUS_REVIEWS } from '../domain/verification.ts';
import type { AcquisitionPipeline } from '../ingest/pipeline.ts';
import { runningExports } from '../resolvers/exports.ts';

/** Distinct operation names (and error codes) kept as label values; later ones count as "other". */
export const OPERATION_LABELS = 100;
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/** A label value from a caller-chosen name: the first OPERATION_LABELS distinct sane names, then "other". */
function boundedLabels(limit: number) {
  const seen = new Set<string>();
  return (name: string | undefined, none: string): string => {
    if (!name) return none;
    if (seen.has(name)) return name;
    if (!NAME.test(name) || seen.size >= limit) return 'other';
    seen.add(name);
    return name;
  };
}

/** Process metrics (CPU, memory, event loop, GC), one collector per process for every server in it. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The verification queues, the stages and the intake (all instances), read from the database. */
interface DataFigures {
  stages: Record<string, number>;
  queues: { review: number; consensus: number; histology: number };
  intake: Record<string, number>;
}

/**
 * Five statements, each counted on an index (verification_stage, intake outcome) or on the rows of
 * one stage: no GROUP BY over every image's columns.
 */
async function readDataFigures(db: Db): Promise<DataFigures> {
  const [stages, enough, histology, intake] = await Promise.all([
    db.image.groupBy({ by: ['verificationStage'], _count: { _all: true } }),
    db.image.count({ where: { verificationStage: 'INITIAL', reviewCount: { gte: MIN_CONSENSUS_REVIEWS } } }),
    db.image.count({ where: { verificationStage: 'CONSENSUS', clinicalStatus: 'MALIGNANT' } }),
    db.intakeRecord.groupBy({ by: ['outcome'], _count: { _all: true } }),
  ]);
  const out: DataFigures = {
    stages: { INITIAL: 0, CONSENSUS: 0, HISTOLOGY: 0 },
    queues: { review: 0, consensus: enough, histology },
    intake: { ACCEPTED: 0, DUPLICATE: 0, REJECTED_QUALITY: 0, REJECTED_INVALID: 0 },
  };
  for (const r of stages) out.stages[r.verificationStage] = r._count._all;
  out.queues.review = (out.stages.INITIAL ?? 0) - enough;
  for (const r of intake) out.intake[r.outcome] = r._count._all;
  return out;
}

/** The data figures are read again at most this often, and only when the data versions moved. */
export const DATA_REFRESH_MS = 15_000;
/** A scrape waits this long for a refresh in progress, then answers with the figures it has. */
const SCRAPE_WAIT_MS = 1_000;

export interface MetricsOptions {
  /** DERMASET_METRICS_TOKEN: the bearer token /metrics asks for; unset: loopback connections only. */
  token?: string | undefined;
  /** How often the data figures may be read again (DERMASET_METRICS_REFRESH; default DATA_REFRESH_MS). */
  refreshMs?: number;
}

/**
 * The metrics plugins: GraphQL (requests, durations, errors per operation; HTTP durations), the
 * acquisition pipeline of this instance (acquisitions by outcome, in flight), exports (running on
 * this instance; by status and rows written, from the database), the verification queues and the
 * intake (from the database, read again only when the data versions moved), and the process.
 */
export function useMetrics(db: () => Db, opts: MetricsOptions = {}): Plugin[] {
  const registry = new Registry();
  const operation = boundedLabels(OPERATION_LABELS);
  const errorCode = boundedLabels(OPERATION_LABELS);
  const opLabels = (p: { operationName?: string; operationType?: string }) => ({
    operationName: operation(p.operationName, 'Anonymous'),
    operationType: p.operationType ?? 'unknown',
  });
  const graphql = usePrometheus({
    registry,
    endpoint: false,
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_request',
          help: 'GraphQL operations executed, by operation',
          labelNames: ['operationName', 'operationType'],
        },
        fillLabelsFn: opLabels,
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_envelop_request_duration',
          help: 'Time spent executing a GraphQL operation, in seconds',
          labelNames: ['operationName', 'operationType'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        },
        fillLabelsFn: opLabels,
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'Errors in GraphQL results, by operation, phase and code',
          labelNames: ['operationName', 'operationType', 'phase', 'code'],
        },
        fillLabelsFn: (p) => {
          const code = p.error?.extensions?.code;
          return {
            ...opLabels(p),
            phase: p.errorPhase ?? 'unknown',
            code: errorCode(typeof code === 'string' ? code : undefined, 'none'),
          };
        },
      }),
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_yoga_http_duration',
          help: 'Time spent on a GraphQL HTTP request, in seconds',
          labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        },
        fillLabelsFn: (p: {
          operationName?: string;
          operationType?: string;
          request: Request;
          response: Response;
        }) => ({
          ...opLabels(p),
          method: p.request.method === 'GET' || p.request.method === 'POST' ? p.request.method : 'other',
          statusCode: p.response.status,
        }),
      }),
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_schema_change: false,
      graphql_envelop_execute_resolver: false,
    },
  });

  const acquisitions = new Counter({
    name: 'dermaset_pipeline_acquisitions_total',
    help: 'Acquisitions through the pipeline of this instance, by outcome (ACCEPTED = stored; REJECTED_* = refused)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'dermaset_pipeline_in_flight',
    help: 'Acquisitions the pipeline of this instance is processing now',
    registers: [registry],
  });
  const exportsRunningHere = new Gauge({
    name: 'dermaset_exports_running_here',
    help: 'Exports this instance is writing now',
    registers: [registry],
    collect() {
      this.set(runningExports.size);
    },
  });
  void exportsRunningHere;
  const exportsByStatus = new Gauge({
    name: 'dermaset_exports',
    help: 'Exports in the database, by status (all instances)',
    labelNames: ['status'],
    registers: [registry],
  });
  const exportRows = new Gauge({
    name: 'dermaset_export_rows',
    help: 'Rows written by finished exports (all instances)',
    registers: [registry],
  });
  const images = new Gauge({
    name: 'dermaset_images',
    help: 'Stored images, by verification stage',
    labelNames: ['stage'],
    registers: [registry],
  });
  const queue = new Gauge({
    name: 'dermaset_verification_queue',
    help: `Images awaiting a step: review (initial, fewer than ${MIN_CONSENSUS_REVIEWS} reviews), consensus (initial, enough reviews), histology (consensus on a malignant label)`,
    labelNames: ['queue'],
    registers: [registry],
  });
  const intake = new Gauge({
    name: 'dermaset_intake_records',
    help: 'Acquisition attempts recorded, by outcome (all instances)',
    labelNames: ['outcome'],
    registers: [registry],
  });

  const age = new Gauge({
    name: 'dermaset_data_figures_age_seconds',
    help: `Age of the stage, queue and intake figures: read again at most every ${DATA_REFRESH_MS / 1000} s, when the data changed`,
    registers: [registry],
  });
  // the figures are read in the background, at most every DATA_REFRESH_MS and only when the data
  // versions moved: a scrape never waits for more than SCRAPE_WAIT_MS (at 1M images a read is seconds)
  let figures: { key: string; at: number; values: DataFigures } | undefined;
  let refreshing: Promise<void> | undefined;
  let lastTry = Number.NEGATIVE_INFINITY;
  const refreshFigures = async () => {
    const key = versionKey(await dataVersions());
    if (figures?.key === key) {
      figures.at = Date.now();
      return;
    }
    figures = { key, at: Date.now(), values: await readDataFigures(db()) };
  };
  const refresh = async () => {
    if (!refreshing && Date.now() - lastTry >= (opts.refreshMs ?? DATA_REFRESH_MS)) {
      lastTry = Date.now();
      refreshing = refreshFigures()
        .catch(() => undefined)
        .finally(() => {
          refreshing = undefined;
        });
    }
    if (refreshing) await Promise.race([refreshing, new Promise((r) => setTimeout(r, SCRAPE_WAIT_MS).unref())]);
    if (figures) {
      const f = figures.values;
      for (const [stage, n] of Object.entries(f.stages)) images.set({ stage }, n);
      for (const [name, n] of Object.entries(f.queues)) queue.set({ queue: name }, n);
      for (const [outcome, n] of Object.entries(f.intake)) intake.set({ outcome }, n);
      age.set((Date.now() - figures.at) / 1000);
    }
    // the export table is small: read at every scrape
    const exports = await db().export.groupBy({ by: ['status'], _count: { _all: true }, _sum: { rowCount: true } });
    for (const status of ['RUNNING', 'DONE', 'FAILED']) exportsByStatus.set({ status }, 0);
    let rows = 0;
    for (const r of exports) {
      exportsByStatus.set({ status: r.status }, r._count._all);
      if (r.status === 'DONE') rows += r._sum.rowCount ?? 0;
    }
    exportRows.set(rows);
  };

  const instrumented = new WeakMap<AcquisitionPipeline, AcquisitionPipeline>();
  const instrument = (pipeline: AcquisitionPipeline): AcquisitionPipeline => {
    let view = instrumented.get(pipeline);
    if (!view) {
      const ingest: AcquisitionPipeline['ingest'] = async (input) => {
        inFlight.inc();
        try {
          const result = await pipeline.ingest(input);
          acquisitions.inc({ outcome: result.outcome });
          return result;
        } finally {
          inFlight.dec();
        }
      };
      // the same pipeline (its commit queue and near-duplicate index), its ingest counted
      view = new Proxy(pipeline, {
        get(target, key) {
          if (key === 'ingest') return ingest;
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      instrumented.set(pipeline, view);
    }
    return view;
  };

  const expected = opts.token ? digest(opts.token) : undefined;
  const admitted = (request: Request, serverContext: unknown): boolean => {
    if (expected) {
      const m = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization')?.trim() ?? '');
      return m?.[1] !== undefined && timingSafeEqual(digest(m[1]), expected);
    }
    if (FORWARDED.some((h) => request.headers.has(h))) return false;
    const address = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req?.socket
      ?.remoteAddress;
    return address !== undefined && LOOPBACK.test(address);
  };

  const endpoint: Plugin = {
    onContextBuilding() {
      return ({ context, extendContext }) => {
        const pipeline = (context as { pipeline?: () => AcquisitionPipeline }).pipeline;
        if (pipeline) extendContext({ pipeline: () => instrument(pipeline()) } as never);
      };
    },
    async onRequest({ request, url, endResponse, fetchAPI, serverContext }) {
      if (url.pathname !== '/metrics') return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return endResponse(
          fetchAPI.Response.json(
            { code: 'METHOD_NOT_ALLOWED', message: '/metrics is read with GET or HEAD' },
            { status: 405, headers: { allow: 'GET, HEAD' } },
          ),
        );
      }
      if (!admitted(request, serverContext)) {
        return endResponse(
          expected
            ? fetchAPI.Response.json(
                { code: 'UNAUTHENTICATED', message: '/metrics needs the bearer token DERMASET_METRICS_TOKEN' },
                { status: 401, headers: { 'www-authenticate': 'Bearer' } },
              )
            : fetchAPI.Response.json(
                {
                  code: 'FORBIDDEN',
                  message:
                    '/metrics answers direct loopback connections only; set DERMASET_METRICS_TOKEN to read it from elsewhere',
                },
                { status: 403 },
              ),
        );
      }
      try {
        await refresh();
      } catch {
        // the database is away: the process and GraphQL series still tell what happens
      }
      const merged = Registry.merge([processMetrics(), registry]);
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : await merged.metrics(), {
          headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
        }),
      );
    },
  };
  return [graphql, endpoint];
}
