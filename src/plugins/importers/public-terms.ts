// Diagnosis terms (paths of domain/terms.ts) that more than one public importer gives a label, so
// that the same source meaning gets the same term in every collection.
import { termByPath } from '../../domain/terms.ts';

const term = (path: string): string => termByPath(path).path;

/** ISIC's actinic keratosis: premalignant, outside the 9 (HAM10000 akiec, ISIC 2019 AK, PAD-UFES-20 ACK, legacy). */
export const AK_TERM = term('Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis');

/**
 * ISIC's node over seborrheic keratosis, solar lentigo and lichen-planus-like keratosis: benign,
 * outside the 9 (HAM10000 bkl, ISIC 2019 BKL, which mix the three).
 */
export const BENIGN_EPIDERMAL = term('Benign:Benign epidermal proliferations');

/** A lentigo the source does not qualify (simplex or solar): ISIC's Lentigo NOS, benign, outside the 9. */
export const LENTIGO_NOS = term('Benign:Flat melanotic pigmentations - not melanocytic nevus:Lentigo NOS');

/** ISIC's node of flat melanotic pigmentations that are no melanocytic nevus (melanosis): benign, outside the 9. */
export const FLAT_MELANOTIC = term('Benign:Flat melanotic pigmentations - not melanocytic nevus');
