// A search text as Postgres is given it: shared by full-text search (search.ts) and the knowledge ranking
// (knowledge/rank.ts), so user text never becomes a database error or a multi-second query.

/** Longer queries are cut (at a word): nobody types more, and a pasted 100 KB must not cost seconds. */
export const QUERY_MAX_CHARS = 500;
export const QUERY_MAX_WORDS = 32;

/**
 * The query as Postgres is given it: control characters (NUL included, which Postgres text cannot hold)
 * become spaces, whitespace is collapsed, and it is cut to QUERY_MAX_WORDS words and QUERY_MAX_CHARS
 * characters. The empty string means there is nothing to search for.
 */
export function normalizeQuery(query: string): string {
  const words = query
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    // A lone surrogate would reach Postgres as U+FFFD; drop it instead.
    .replace(LONE_SURROGATE, ' ')
    .split(/\s+/)
    .filter((w) => w !== '');
  let text = words.slice(0, QUERY_MAX_WORDS).join(' ');
  if (text.length > QUERY_MAX_CHARS) {
    text = text.slice(0, QUERY_MAX_CHARS);
    const cut = text.lastIndexOf(' ');
    text = (cut > 0 ? text.slice(0, cut) : text).replace(LONE_SURROGATE, '');
  }
  return text.trim();
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
