// Everything the console asks the server, in one place: the session routes (POST/GET/DELETE
// /session), GraphQL over POST JSON at /graphql (a multipart POST for the upload), and every GraphQL
// document the pages send. The session is an HttpOnly cookie the browser sends by itself: no token
// is ever held by a script.

export interface Session {
  role: 'VIEWER' | 'ANNOTATOR' | 'REVIEWER' | 'ADMIN';
  code: string | null;
  expiresAt: string | null;
}

export const ROLES = ['VIEWER', 'ANNOTATOR', 'REVIEWER', 'ADMIN'] as const;
export const atLeast = (session: Session | null, role: Session['role']) =>
  session !== null && ROLES.indexOf(session.role) >= ROLES.indexOf(role);

/** A refusal of the API, with its extensions.code (CONFLICT, BAD_USER_INPUT, FORBIDDEN, …). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as {
      code?: string;
      message?: string;
      error?: string;
      errors?: { message: string }[];
    };
    return new ApiError(
      body.message ?? body.error ?? body.errors?.[0]?.message ?? res.statusText,
      body.code ?? `HTTP_${res.status}`,
    );
  } catch {
    return new ApiError(`${res.status} ${res.statusText}`, `HTTP_${res.status}`);
  }
}

/** The signed-in role: documents ask staff-only fields (examiner and reviewer codes) only of staff. */
let signedInRole: Session['role'] | null = null;
const staff = () => signedInRole === 'REVIEWER' || signedInRole === 'ADMIN';

export async function getSession(): Promise<Session | null> {
  const res = await fetch('/session', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401 || res.status === 404) {
    signedInRole = null;
    return null;
  }
  if (!res.ok) throw await errorOf(res);
  const session = (await res.json()) as Session;
  signedInRole = session.role;
  return session;
}

export async function signIn(token: string): Promise<Session> {
  const res = await fetch('/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!res.ok) throw await errorOf(res);
  const session = await getSession();
  if (!session) throw new ApiError('the server did not keep the session', 'UNAUTHENTICATED');
  return session;
}

export async function signOut(): Promise<void> {
  await fetch('/session', { method: 'DELETE', credentials: 'same-origin' });
  signedInRole = null;
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Told when the server no longer knows the caller (UNAUTHENTICATED: the session ended, its token was
 * revoked): the frame shows the sign-in form again.
 */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}
function signedOut(): void {
  signedInRole = null;
  for (const l of signedOutListeners) l();
}

function unwrap<T>(body: GraphQLBody<T>, status: number): T {
  const first = body.errors?.[0];
  if (first?.extensions?.code === 'UNAUTHENTICATED' || (status === 401 && !body.data)) signedOut();
  if (first) throw new ApiError(first.message, first.extensions?.code ?? 'GRAPHQL_ERROR');
  if (!body.data) throw new ApiError(`the server answered ${status} without data`, `HTTP_${status}`);
  return body.data;
}

/** One GraphQL operation over POST JSON, with the session cookie. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    // application/json: a document this server's schema lacks a field of is answered 200 with its errors
    // (a newer console on an older server falls back without a failed request)
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  let body: GraphQLBody<T>;
  try {
    body = (await res.json()) as GraphQLBody<T>;
  } catch {
    if (res.status === 401) signedOut();
    throw new ApiError(`${res.status} ${res.statusText}`, `HTTP_${res.status}`);
  }
  return unwrap(body, res.status);
}

/** A field or argument this server does not have yet (another version of the schema). */
export const isSchemaMismatch = (e: unknown) =>
  e instanceof ApiError &&
  (e.code === 'GRAPHQL_VALIDATION_FAILED' || /Cannot query field|Unknown argument|Unknown type/.test(e.message));

/** The newer document when the server knows its fields, else the older one. */
export async function gqlEither<T>(newer: string, older: string, variables: Record<string, unknown> = {}): Promise<T> {
  try {
    return await gql<T>(newer, variables);
  } catch (e) {
    if (!isSchemaMismatch(e)) throw e;
    return gql<T>(older, variables);
  }
}

/** An upload (GraphQL multipart request spec): the file goes in its own part. */
export async function gqlUpload<T>(query: string, variables: Record<string, unknown>, file: File): Promise<T> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { ...variables, file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', file, file.name);
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    // a custom header: a cross-site form cannot send this request (yoga's CSRF check)
    headers: { 'x-graphql-yoga-csrf': 'console', accept: 'application/json' },
    body: form,
  });
  return unwrap((await res.json()) as GraphQLBody<T>, res.status);
}

// ---------------------------------------------------------------------------------------------
// The documents. Page sizes: the gallery 24 images, queues 25, releases and splits 50; every list
// has a "More" button that asks the next page with the connection's cursor.

export const GALLERY_PAGE = 24;
export const QUEUE_PAGE = 25;

const IMAGE_CARD = `
  id sha256 width height
  thumbnail: url(variant: THUMBNAIL)
  diagnostic { verificationStage clinicalStatus diagnosisClass { code name } }
  patient { code }
`;

const GALLERY_BASE = `images(filter: $filter, first: $first, after: $after, ORDER) {
  edges { node { ${IMAGE_CARD} } }
  pageInfo { hasNextPage endCursor }
}`;

export const GALLERY = {
  newer: `query ConsoleGallery($filter: ImageFilter, $first: Int, $after: String, $orderBy: ImageOrder) {
    ${GALLERY_BASE.replace('ORDER', 'orderBy: $orderBy').replace('pageInfo', 'totalCount pageInfo')}
    facets(filter: $filter) { total fields { field displayName present missing values { value count filter displayName } } }
  }`,
  middle: `query ConsoleGalleryMiddle($filter: ImageFilter, $first: Int, $after: String, $orderBy: ImageOrder) {
    ${GALLERY_BASE.replace('ORDER', 'orderBy: $orderBy').replace('pageInfo', 'totalCount pageInfo')}
    facets(filter: $filter) { total fields { field present missing values { value count filter displayName } } }
  }`,
  older: `query ConsoleGalleryOlder($filter: ImageFilter, $first: Int, $after: String) {
    ${GALLERY_BASE.replace(', ORDER', '')}
    facets(filter: $filter) { total fields { field present missing values { value count } } }
  }`,
};

const IMAGE_DETAIL_DOC = `query ConsoleImage($id: ID!, $staff: Boolean!) {
  node(id: $id) {
    ... on Image {
      id sha256 version width height format byteSize acquiredAt
      original: url(variant: ORIGINAL)
      thumbnail: url(variant: THUMBNAIL)
      collection { slug name }
      patient { code }
      lesion { code }
      label { label decision reason policyId }
      demographic { ageAtExam ageAtExamRaw sex fitzpatrickType }
      anamnestic { sunburnHistory personalCaHistory }
      morphological { anatomicalSite lesionDiameterMm dominantColors elevation borderRegularity }
      dermoscopic { dermoscopicStructures }
      diagnostic {
        clinicalDiagnosis clinicalStatus verificationStage histopathologyResult
        diagnosisClass { code name } term { path }
      }
      service { examinerId @include(if: $staff) imageQualityScore qualityAdvice { verdicts } }
      initialAnnotation { createdAt examinerId @include(if: $staff) clinicalDiagnosis diagnosisClass { code name } structures }
      reviews { createdAt reviewerId @include(if: $staff) diagnosisClass { code name } structures }
      consensus { decidedAt decidedBy @include(if: $staff) outcome note reviewCount diagnosisClass { code name } }
      histopathology { reportedAt reportedBy @include(if: $staff) result diagnosisClass { code name } }
      labelChanges { at actor @include(if: $staff) reason from { code } to { code } }
    }
  }
}`;

/** One image with its six blocks and trail; examiner and reviewer codes only for staff (reviewers, admins). */
export const imageDetail = <T>(id: string) => gql<T>(IMAGE_DETAIL_DOC, { id, staff: staff() });

export const DATASHEET = `query ConsoleDatasheet {
  datasheet { sections { id title entries { key question answer fromData } } }
}`;

const VOCABULARY = `query ConsoleVocabulary($name: String) { vocabularies(name: $name) { values { value displayName } } }`;
const vocabularies = new Map<string, Promise<Map<string, string>>>();

/** The display names of one vocabulary (DermoscopicStructure, …), read once; empty on a server without them. */
export function displayNames(name: string): Promise<Map<string, string>> {
  let names = vocabularies.get(name);
  if (!names) {
    names = gql<{ vocabularies: { values: { value: string; displayName: string }[] }[] }>(VOCABULARY, { name }).then(
      (d) => new Map(d.vocabularies.flatMap((v) => v.values.map((x) => [x.value, x.displayName] as const))),
      (e) => {
        if (isSchemaMismatch(e)) return new Map<string, string>();
        vocabularies.delete(name);
        throw e;
      },
    );
    vocabularies.set(name, names);
  }
  return names;
}

export const CLASSES = `query ConsoleClasses { diagnosisClasses { code name status } }`;

const STATS_FIELDS = `images patients excluded unmapped policyId policyVersion
  labels { label count share }
  statuses { status count share }
  malignant { count histologyVerified histologyShare }
  age { n min median mean max }`;

export const STATS = `query ConsoleStats($policy: String) { stats(policy: $policy) { ${STATS_FIELDS} } }`;

export const SUMMARY = `query ConsoleSummary {
  datasetSummary {
    images patients diagnosticCategories singleImagePatients nearDuplicatePairs outsideNine
    classes { diagnosisClass status count share }
    stages { stage count }
    intake { attempts records uniqueImages duplicates sopRejected invalidRejected }
  }
  stats { agreement { fleiss { kappa n } } }
}`;

const QUEUE_NODE = `node { id version sha256 thumbnail: url(variant: THUMBNAIL) diagnostic { verificationStage } }`;

/** A queue's page; newer servers also count the whole queue (totalCount). */
const queue = (name: string, field: string) => ({
  newer: `query Console${name}($first: Int, $after: String) {
    ${field}(first: $first, after: $after) { totalCount edges { ${QUEUE_NODE} } pageInfo { hasNextPage endCursor } }
  }`,
  older: `query Console${name}Older($first: Int, $after: String) {
    ${field}(first: $first, after: $after) { edges { ${QUEUE_NODE} } pageInfo { hasNextPage endCursor } }
  }`,
});
export const REVIEW_QUEUE = queue('ReviewQueue', 'reviewQueue');
export const CONSENSUS_QUEUE = queue('ConsensusQueue', 'consensusQueue');
export const HISTOLOGY_QUEUE = queue('PendingHistology', 'pendingHistology');

export const SUBMIT_REVIEW = `mutation ConsoleReview($image: ID!, $expectedVersion: Int!, $diagnosisClass: DiagnosisClass!, $structures: [DermoscopicStructure!]!) {
  submitReview(image: $image, expectedVersion: $expectedVersion, diagnosisClass: $diagnosisClass, structures: $structures) { id version }
}`;
export const RECORD_CONSENSUS = `mutation ConsoleConsensus($image: ID!, $expectedVersion: Int!, $diagnosisClass: DiagnosisClass!, $structures: [DermoscopicStructure!]!, $note: String) {
  recordConsensus(image: $image, expectedVersion: $expectedVersion, diagnosisClass: $diagnosisClass, structures: $structures, note: $note) { id version }
}`;
export const ATTACH_HISTOLOGY = `mutation ConsoleHistology($image: ID!, $expectedVersion: Int!, $diagnosisClass: DiagnosisClass!, $result: String!, $reason: String) {
  attachHistopathology(image: $image, expectedVersion: $expectedVersion, diagnosisClass: $diagnosisClass, result: $result, reason: $reason) { id version }
}`;

export const UPLOAD = `mutation ConsoleUpload($file: File!, $input: AcquisitionRecordInput!) {
  createInitialAnnotation(file: $file, input: $input) {
    outcome
    intake { id outcome reason errorCode }
    image { id sha256 }
    qualityAdvice { verdicts }
  }
}`;

export const POLICIES = `query ConsolePolicies {
  activePolicy { id version }
  policies { id version description labels minVerificationStage }
  policyHistory(last: 10) { at actor from to }
}`;
export const SET_POLICY = `mutation ConsoleSetPolicy($id: String!) { setActivePolicy(id: $id) { id version } }`;

const EXPORT_FIELDS = `id format status createdAt finishedAt rowCount byteSize error downloadUrl policyId profile`;
export const EXPORTS = {
  newer: `query ConsoleExports { exporters { id description } exports { ${EXPORT_FIELDS} progress { rowsDone rowsTotal fraction } } }`,
  older: `query ConsoleExportsOlder { exporters { id description } exports { ${EXPORT_FIELDS} } }`,
};
export const START_EXPORT = `mutation ConsoleStartExport($format: String!, $policy: String) {
  startExport(format: $format, policy: $policy) { id status }
}`;

export const SPLITS = `query ConsoleSplits {
  splits(limit: 50) { id name createdAt seed imageCount patientCount policyId parts { name images patients } certificate { clean } }
}`;
export const CREATE_SPLIT = `mutation ConsoleCreateSplit($input: CreateSplitInput!) { createSplit(input: $input) { id } }`;

export const RELEASES = `query ConsoleReleases {
  releases(limit: 50) { id name version createdAt imageCount contentHash }
  collections { slug name kind license imageCount }
}`;
export const CREATE_RELEASE = `mutation ConsoleCreateRelease($input: CreateReleaseInput!) { createRelease(input: $input) { id } }`;

const TOKEN_FIELDS = 'id label role prefix createdAt revokedAt';
/** Token labels: 1–100 characters (CreateTokenInput.label). */
export const TOKEN_LABEL_MAX = 100;
export const TOKENS = `query ConsoleTokens { tokens { ${TOKEN_FIELDS} } }`;
export const CREATE_TOKEN = `mutation ConsoleCreateToken($input: CreateTokenInput!) {
  createToken(input: $input) { secret token { ${TOKEN_FIELDS} } }
}`;
export const REVOKE_TOKEN = `mutation ConsoleRevokeToken($id: Int!) { revokeToken(id: $id) { ${TOKEN_FIELDS} } }`;
