import { once } from 'node:events';
import { defineExporter } from '../types.ts';

/** One JSON record per line with the 16 fields nested in their six blocks. */
export const jsonl = defineExporter({
  id: 'jsonl',
  version: '2.0.0',
  description:
    'JSON Lines: one record per image, the six blocks nested, the policy label beside them (and its split part); age_at_exam and acquisition_date as the de-identification profile shows them',
  mediaType: 'application/x-ndjson',
  extension: 'jsonl',
  needsImages: false,
  options: {},
  async write(ctx, out) {
    for await (const r of ctx.rows()) {
      const record = {
        image: r.file_name,
        sha256: r.sha256,
        patient_id: r.patient_id,
        lesion_id: r.lesion_id,
        label: { policy: ctx.policy.id, policy_version: ctx.policy.version, value: r.label },
        demographic: { age_at_exam: r.age_at_exam, sex: r.sex, fitzpatrick_type: r.fitzpatrick_type },
        anamnestic: { sunburn_history: r.sunburn_history, personal_ca_history: r.personal_ca_history },
        morphological: {
          anatomical_site: r.anatomical_site,
          lesion_diameter_mm: r.lesion_diameter_mm,
          dominant_colors: r.dominant_colors,
          elevation: r.elevation,
          border_regularity: r.border_regularity,
        },
        dermoscopic: { dermoscopic_structures: r.dermoscopic_structures },
        diagnostic: {
          clinical_diagnosis: r.clinical_diagnosis,
          diagnosis_class: r.diagnosis_class,
          origin: r.origin,
          clinical_status: r.clinical_status_label,
          histopathology_result: r.histopathology_result,
          verification_stage: r.verification_stage,
        },
        service: { examiner_id: r.examiner_id, image_quality_score: r.image_quality_score },
        acquisition_date: r.acquisition_date,
        file: { width: r.width, height: r.height, format: r.format },
        ...(ctx.split ? { split: r.split } : {}),
      };
      if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
    }
    return [];
  },
});
