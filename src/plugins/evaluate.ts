import { stageRank } from '../domain/vocabularies.ts';
import type { ClassMappingPolicy, PolicyDecision, PolicyInput } from './types.ts';

/** The image columns a policy decides on (PolicyInput), as a Prisma select: spread it where rows are decided. */
export const POLICY_INPUT_SELECT = {
  diagnosisClass: true,
  diagnosisTerm: true,
  clinicalStatus: true,
  verificationStage: true,
} as const;

/**
 * A policy's decision for one image, with its minimum verification stage applied. Never throws:
 * a policy that fails is reported as unmapped rather than breaking a page or an export.
 */
export function decide(policy: ClassMappingPolicy, input: PolicyInput): PolicyDecision {
  if (policy.minVerificationStage && stageRank(input.verificationStage) < stageRank(policy.minVerificationStage)) {
    return {
      kind: 'excluded',
      reason: `${policy.id} needs verification stage ${policy.minVerificationStage.toLowerCase()} or later`,
    };
  }
  try {
    return policy.map(input);
  } catch (e) {
    return { kind: 'unmapped', reason: `policy ${policy.id} failed: ${(e as Error).message}` };
  }
}
