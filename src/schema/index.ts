import { builder } from '../builder.ts';
import './vocabulary.ts';
import './dataset.ts';
import './patient.ts';
import './image.ts';
import './verification.ts';
import './intake.ts';
import './facets.ts';
import './policy.ts';
import './export.ts';
import './stats.ts';
import './datasheet.ts';
import './workflow.ts';
import './split.ts';

export const schema = builder.toSchema();
