#!/usr/bin/env node
// An admin's morning check: the intake funnel, verification stages and the latest refusals.
//   DERMASET_URL=http://127.0.0.1:4000 DERMASET_TOKEN=dst_... node examples/admin-check.mjs
import { readFileSync } from 'node:fs';

const url = (process.env.DERMASET_URL ?? 'http://127.0.0.1:4000').replace(/\/$/, '');
const query = readFileSync(new URL('./queries/admin.graphql', import.meta.url), 'utf8');
const res = await fetch(`${url}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.DERMASET_TOKEN}` },
  body: JSON.stringify({ query, variables: { first: 10 } }),
});
const { data, errors } = await res.json();
if (errors) {
  console.error(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('\n'));
  process.exit(1);
}
const s = data.datasetSummary;
console.log(`images ${s.images} from ${s.patients} patients`);
console.log(
  `intake: ${s.intake.attempts} attempts, ${s.intake.sopRejected} refused by the SOP gate, ` +
    `${s.intake.duplicates} duplicates (${(s.intake.duplicateShare * 100).toFixed(1)} %), ${s.intake.invalidRejected} invalid`,
);
console.log(`stages: ${s.stages.map((x) => `${x.stage.toLowerCase()} ${x.count}`).join(', ')}`);
console.log(`malignant verified by histology: ${s.malignant.histologyVerified} of ${s.malignant.count}`);
console.log(`refused attempts: ${data.intakeLog.totalCount}`);
for (const { node } of data.intakeLog.edges) {
  console.log(`  ${node.at} ${node.outcome} ${node.errorCode ?? `score ${node.qualityScore}`} ${node.reason ?? ''}`);
}
