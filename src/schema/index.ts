import { builder } from '../builder.ts';
import './vocabulary.ts';
import './dataset.ts';

export const schema = builder.toSchema();
