/**
 * What every output writes for a licence, creator or attribution that nobody stated: the documents
 * never assume terms (the paper's own dataset is not public).
 */
export const NOT_STATED = 'not stated';
