// The vocabularies' value sets come from the Prisma schema, so the database, the client and the
// domain rules can never disagree. This file only re-exports the generated constants.
export {
  AnatomicalSite,
  BorderRegularity,
  ClinicalStatus,
  Color,
  ConsensusOutcome,
  DermoscopicStructure,
  DiagnosisClass,
  Elevation,
  FitzpatrickType,
  IntakeOutcome,
  Sex,
  VerificationStage,
} from '../db/generated/sqlite/enums.ts';
