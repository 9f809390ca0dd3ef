import { PROSE, writeDatasheetText } from '../../src/resolvers/datasheet.ts';

/** Who the audit log names for these answers. */
export const DEMO_PROSE_ACTOR = 'demo seed';

const from = (where: string) => `Demo cohort — the paper's statement (${where}):`;

const ISP_RAS = 'Ivannikov Institute for System Programming of the Russian Academy of Sciences (ISP RAS)';

/** One answer per editable datasheet question (keys of PROSE). */
export const DEMO_PROSE: Readonly<Record<string, string>> = {
  'motivation.purpose': `${from('introduction')} to construct a clinically verified dataset of dermoscopic images of skin neoplasms for medical informatics, integrating a standard operating procedure for image acquisition, a 16-field metadata information model in ISIC-compatible notation and multi-stage expert verification of each label. International collections were formed under conditions that differ from Russian outpatient practice and mobile dermoscopy; the dataset is a pilot, locally verified resource for independent evaluation.`,
  'motivation.creators': `${from('author note, section 2.6')} the paper's author, a specialist at the ${ISP_RAS}. Initial annotation and the consensus review by three specialists were carried out in the Colba image annotation system developed at ISP RAS.`,
  'motivation.funding': `${from('whole text')} the paper names no funding.`,
  'composition.confidentiality': `${from('section 2.3')} yes: health data of patients (diagnoses, histopathology, age, sex, skin phototype). Records were de-identified before inclusion: the personal patient identifier was replaced with a stable de-identified code, and images contain no patient-identifying features (face, tattoos or other unique skin markers are absent or excluded by cropping). The dataset is non-public.`,
  'collection.consent': `${from('section 2.3')} yes: written informed consent was obtained from each patient for the use of de-identified clinical data and dermoscopic images for research purposes. Images and clinical information were collected within routine outpatient dermoscopic practice.`,
  'collection.ethics': `${from('section 2.3')} the study was conducted in accordance with the principles of the Declaration of Helsinki. The paper names no ethics committee or review board.`,
  'uses.intended': `${from('abstract, sections 4–6')} a pilot clinically verified resource for independent model evaluation and external validation, domain-shift analysis and domain adaptation to Russian outpatient practice, interpretability studies (model attention against the expert-annotated dermoscopic_structures), and further expansion. verification_stage selects training, validation and test subsets by confirmation level; splits must be patient-stratified, as one patient contributes several images.`,
  'uses.avoid': `${from('section 5')} at its current size the dataset is not a complete training base for challenging multi-class diagnosis, and rare malignant classes are too small for direct metric evaluation. Collected in Russian outpatient conditions, it does not represent the global population. Benign and borderline lesions are confirmed by consensus, not histology, so it is no gold standard for classifier specificity in benign classes (select verification_stage histology where strict verification is needed). The female majority reflects screening visits, not prevalence.`,
  'distribution.license': `${from('section 2.3')} none — the dataset is non-public and is used exclusively within the closed research environment of the ${ISP_RAS}; publication of the images in open access is not planned.`,
  'distribution.creator': `${ISP_RAS} (demo cohort — the paper's affiliation)`,
  'maintenance.owner': `${from('section 2.3, author note')} the paper's author keeps the dataset within the closed research environment of the ${ISP_RAS} (ORCID 0009-0007-9432-1663); the paper gives no other contact.`,
  'maintenance.updates': `${from('sections 2.6, 2.7, 6')} further versions are planned: augmentation of rare diagnostic classes, wider geographic coverage, and a quantitative comparison of model attention with the expert-annotated structures. Later versions are to keep each expert's decision before the consensus, so that inter-rater agreement (Fleiss' kappa) can be reported in the datasheet; the stored image hash keeps deduplication reproducible in later maintenance. The paper names no schedule.`,
};

/** Writes the demo's answers where none is written yet; returns how many it wrote. */
export async function seedDemoProse(): Promise<number> {
  let written = 0;
  for (const [key, text] of Object.entries(DEMO_PROSE)) {
    if (!PROSE[key]) throw new Error(`the demo prose answers "${key}", which is no datasheet question`);
    if (await writeDatasheetText(DEMO_PROSE_ACTOR, key, text, { onlyIfUnwritten: true })) written++;
  }
  return written;
}
