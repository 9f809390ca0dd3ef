// Where an image's bytes are served: the one spelling of the URL that the API, the split manifest,
// exports and Croissant give out (server/use-image-routes.ts serves it).

export type ImageVariant = 'original' | 'thumbnail';

/** `/images/<sha256>/<variant>`: the path the API signs (domain/signed-url.ts) for `Image.url`. */
export const imagePath = (sha256: string, variant: ImageVariant = 'original') => `/images/${sha256}/${variant}`;

/** `<origin>/images/<sha256>/<variant>`: content-addressed, immutable, under the API's access rules. */
export const imageUrl = (origin: string, sha256: string, variant: ImageVariant = 'original') =>
  `${origin}${imagePath(sha256, variant)}`;
